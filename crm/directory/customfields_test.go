package directory

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// fieldErrors returns the invalid fields of err by name.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *validation.Error
	require.True(t, errors.As(err, &verr), "want a validation error, got %v", err)
	out := map[string]string{}
	for _, f := range verr.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func TestCustomFieldValuesOnEveryWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "seats", Type: FieldInteger})
		require.NoError(t, err)
		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "tier", Type: FieldEnum, AllowedValues: []string{"gold", "silver"}})
		require.NoError(t, err)

		_, err = svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"seats":"ten"}`)})
		require.Contains(t, fieldErrors(t, err)["extra_data.seats"], "must be an integer")

		ann, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"seats":10,"tier":"gold","note":"free"}`)})
		require.NoError(t, err)

		_, err = svc.PatchContact(ctx, w.ID, ann.ID, []byte(`{"extra_data":{"tier":"bronze"}}`))
		require.Contains(t, fieldErrors(t, err)["extra_data.tier"], "one of the strings gold, silver")

		_, err = svc.ReplaceContact(ctx, w.ID, ann.ID, ContactInput{FirstName: "Ann", ExtraData: json.RawMessage(`{"seats":1.5}`)})
		require.Contains(t, fieldErrors(t, err)["extra_data.seats"], "not the number 1.5")

		report, err := svc.UpsertBatch(ctx, w.ID, pb.ID, []json.RawMessage{
			json.RawMessage(`{"external_id":"b1","extra_data":{"seats":"3"}}`),
			json.RawMessage(`{"external_id":"b2","extra_data":{"seats":3}}`),
		})
		require.NoError(t, err)
		require.Equal(t, StatusError, report.Results[0].Status, "the API takes no text for an integer")
		require.Equal(t, "extra_data.seats", report.Results[0].Error.InvalidParams[0].Field)
		require.Equal(t, string(store.UpsertCreated), report.Results[1].Status)

		records, err := svc.UpsertRecords(ctx, w.ID, pb.ID, []json.RawMessage{
			json.RawMessage(`{"external_id":"r1","extra_data":{"seats":"3"}}`),
			json.RawMessage(`{"external_id":"r2","extra_data":{"seats":"three"}}`),
		})
		require.NoError(t, err)
		require.Equal(t, string(store.UpsertCreated), records.Results[0].Status, "CRM text converts to an integer")
		require.Equal(t, StatusError, records.Results[1].Status)
		r1, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "r1")
		require.NoError(t, err)
		require.JSONEq(t, `{"seats":3}`, string(r1.ExtraData))
	})
}

func TestCustomFieldCSVImport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "vip", Type: FieldBoolean})
		require.NoError(t, err)

		report, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,extra_data.vip\na,true\nb,maybe\n"))

		require.NoError(t, err)
		require.Equal(t, 1, report.Created)
		require.Equal(t, 1, report.Failed)
		require.Equal(t, 2, report.Errors[0].Row)
		require.Equal(t, "extra_data.vip", report.Errors[0].InvalidParams[0].Field)
		a, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "a")
		require.NoError(t, err)
		require.JSONEq(t, `{"vip":true}`, string(a.ExtraData))
	})
}

func TestRequiredCustomField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		ann, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann"})
		require.NoError(t, err)

		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "region", Type: FieldString, Required: true})
		require.ErrorIs(t, err, store.ErrConflict, "Ann has no region")
		require.Contains(t, err.Error(), ann.ID)

		_, err = svc.PatchContact(ctx, w.ID, ann.ID, []byte(`{"extra_data":{"region":"EMEA"}}`))
		require.NoError(t, err)
		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "region", Type: FieldString, Required: true})
		require.NoError(t, err)

		_, err = svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Bob"})
		require.Contains(t, fieldErrors(t, err)["extra_data.region"], "is missing")
		_, err = svc.PatchContact(ctx, w.ID, ann.ID, []byte(`{"extra_data":{"region":null}}`))
		require.Contains(t, fieldErrors(t, err)["extra_data.region"], "is missing")
	})
}

func TestCustomFieldDefinitionErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, _ := setup(t, st)
		ctx := context.Background()
		tests := []struct {
			name  string
			in    CustomFieldInput
			field string
		}{
			{name: "missing name", in: CustomFieldInput{Type: FieldString}, field: "name"},
			{name: "uppercase name", in: CustomFieldInput{Name: "Tier", Type: FieldString}, field: "name"},
			{name: "built-in name", in: CustomFieldInput{Name: "company", Type: FieldString}, field: "name"},
			{name: "unknown type", in: CustomFieldInput{Name: "tier", Type: "money"}, field: "type"},
			{name: "enum without values", in: CustomFieldInput{Name: "tier", Type: FieldEnum}, field: "allowed_values"},
			{name: "values on a string", in: CustomFieldInput{Name: "tier", Type: FieldString, AllowedValues: []string{"a"}}, field: "allowed_values"},
			{name: "repeated value", in: CustomFieldInput{Name: "tier", Type: FieldEnum, AllowedValues: []string{"a", "a"}}, field: "allowed_values[1]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.CreateCustomField(ctx, w.ID, tt.in)
				require.Contains(t, fieldErrors(t, err), tt.field)
			})
		}

		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "tier", Type: FieldString})
		require.NoError(t, err)
		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "tier", Type: FieldString})
		require.ErrorIs(t, err, store.ErrConflict, "names are unique per workspace")
	})
}

func TestCustomFieldTypes(t *testing.T) {
	tests := []struct {
		fieldType string
		valid     []string
		invalid   []string
	}{
		{FieldString, []string{`"x"`}, []string{`1`, `true`}},
		{FieldNumber, []string{`1.5`, `-2`}, []string{`"1"`}},
		{FieldInteger, []string{`3`, `1e3`}, []string{`3.5`, `"3"`, `1e300`}},
		{FieldBoolean, []string{`true`}, []string{`"true"`, `0`}},
		{FieldDate, []string{`"2025-03-01"`}, []string{`"2025-02-30"`, `"01/03/2025"`}},
		{FieldDateTime, []string{`"2025-03-01T09:30:00Z"`}, []string{`"2025-03-01"`}},
		{FieldEmail, []string{`"ann@example.com"`}, []string{`"Ann <ann@example.com>"`}},
		{FieldPhone, []string{`"+14155550123"`, `"(415) 555-0123"`}, []string{`"12"`}},
		{FieldURL, []string{`"https://example.com/a"`}, []string{`"example.com"`, `"ftp://example.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.fieldType, func(t *testing.T) {
			fields := []store.CustomField{{Name: "f", Type: tt.fieldType}}
			for _, value := range tt.valid {
				var v validation.Error
				checkCustomValues(&v, json.RawMessage(`{"f":`+value+`}`), fields, "US")
				require.NoError(t, v.Err(), "value %s", value)
			}
			for _, value := range tt.invalid {
				var v validation.Error
				checkCustomValues(&v, json.RawMessage(`{"f":`+value+`}`), fields, "US")
				require.Error(t, v.Err(), "value %s", value)
			}
		})
	}
}
