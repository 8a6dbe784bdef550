package directory

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func TestNormalizeCustomNumbers(t *testing.T) {
	fields := []store.CustomField{{Name: "seats", Type: FieldInteger}, {Name: "score", Type: FieldNumber}}
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "integer exponent", in: `{"seats":1e2}`, want: `{"seats":100}`},
		{name: "integer fraction zero", in: `{"seats":3.0}`, want: `{"seats":3}`},
		{name: "integer negative zero", in: `{"seats":-0}`, want: `{"seats":0}`},
		{name: "integer max int64", in: `{"seats":9223372036854775807}`, want: `{"seats":9223372036854775807}`},
		{name: "integer min int64", in: `{"seats":-9223372036854775808}`, want: `{"seats":-9223372036854775808}`},
		{name: "integer fraction", in: `{"seats":3.5}`, wantErr: "must be an integer for custom field seats, not the number 3.5"},
		{name: "integer tiny fraction", in: `{"seats":9007199254740993.5}`, wantErr: "not the number 9007199254740993.5"},
		{name: "integer above int64", in: `{"seats":9223372036854775808}`, wantErr: "is outside the range of a 64-bit integer"},
		{name: "integer far above int64", in: `{"seats":99999999999999999999999}`, wantErr: "99999999999999999999999 is outside the range of a 64-bit integer"},
		{name: "integer beyond float64", in: `{"seats":1e400}`, wantErr: "is outside the range of a 64-bit integer"},
		{name: "number fraction zero", in: `{"score":3.0}`, want: `{"score":3}`},
		{name: "number exponent", in: `{"score":1e2}`, want: `{"score":100}`},
		{name: "number fraction", in: `{"score":0.25}`, want: `{"score":0.25}`},
		{name: "number large", in: `{"score":1.5e300}`, want: `{"score":1.5e+300}`},
		{name: "number beyond float64", in: `{"score":1e400}`, wantErr: "is outside the range of a 64-bit floating-point number"},
		{name: "number negative beyond float64", in: `{"score":-1e400}`, wantErr: "is outside the range of a 64-bit floating-point number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v validation.Error

			got := normalizeCustomValues(&v, json.RawMessage(tt.in), fields, "US")

			if tt.wantErr != "" {
				require.Error(t, v.Err())
				require.Len(t, v.Fields, 1)
				require.Contains(t, v.Fields[0].Reason, tt.wantErr)
				return
			}
			require.NoError(t, v.Err())
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestCustomNumbersStoredCanonical(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "seats", Type: FieldInteger})
		require.NoError(t, err)
		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "score", Type: FieldNumber})
		require.NoError(t, err)

		created, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"seats":1e2,"score":2.50}`)})
		require.NoError(t, err)
		require.Equal(t, `{"score":2.5,"seats":100}`, string(created.ExtraData), "create")

		patched, err := svc.PatchContact(ctx, w.ID, created.ID, []byte(`{"extra_data":{"seats":3.0}}`))
		require.NoError(t, err)
		require.Equal(t, `{"score":2.5,"seats":3}`, string(patched.ExtraData), "patch")

		replaced, err := svc.ReplaceContact(ctx, w.ID, created.ID, ContactInput{FirstName: "Ann", ExtraData: json.RawMessage(`{"seats":4E1,"score":1e1}`)})
		require.NoError(t, err)
		require.Equal(t, `{"score":10,"seats":40}`, string(replaced.ExtraData), "replace")

		stored, err := st.GetContact(ctx, w.ID, created.ID)
		require.NoError(t, err)
		require.Equal(t, `{"score":10,"seats":40}`, string(stored.ExtraData), "stored")

		report, err := svc.UpsertBatch(ctx, w.ID, pb.ID, []json.RawMessage{
			json.RawMessage(`{"external_id":"b1","extra_data":{"seats":7.00}}`),
			json.RawMessage(`{"external_id":"b2","extra_data":{"score":1e400}}`),
		})
		require.NoError(t, err)
		require.Equal(t, string(store.UpsertCreated), report.Results[0].Status)
		require.Equal(t, StatusError, report.Results[1].Status)
		require.Contains(t, report.Results[1].Error.InvalidParams[0].Reason, "outside the range of a 64-bit floating-point number")
		b1, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "b1")
		require.NoError(t, err)
		require.Equal(t, `{"seats":7}`, string(b1.ExtraData), "batch")

		imported, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,extra_data.seats,extra_data.score\nc1,1e1,3.0\nc2,2.5,1\nc3,99999999999999999999,1\n"))
		require.NoError(t, err)
		require.Equal(t, 1, imported.Created)
		require.Equal(t, 2, imported.Failed)
		require.Contains(t, imported.Errors[1].InvalidParams[0].Reason, "is outside the range of a 64-bit integer")
		c1, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "c1")
		require.NoError(t, err)
		require.Equal(t, `{"score":3,"seats":10}`, string(c1.ExtraData), "CSV")
	})
}

func TestRequiredFieldEmptyStringIsMissing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "region", Type: FieldString, Required: true})
		require.NoError(t, err)

		_, err = svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"region":""}`)})
		require.Contains(t, fieldErrors(t, err)["extra_data.region"], "is missing")

		_, err = svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"region":"  "}`)})
		require.Contains(t, fieldErrors(t, err)["extra_data.region"], "is missing")

		report, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,extra_data.region\nc1,\n"))
		require.NoError(t, err)
		require.Equal(t, 1, report.Failed)
		require.Contains(t, report.Errors[0].InvalidParams[0].Reason, "is missing")
	})
}

func TestOptionalFieldKeepsEmptyString(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "note", Type: FieldString})
		require.NoError(t, err)

		c, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"note":""}`)})

		require.NoError(t, err)
		require.Equal(t, `{"note":""}`, string(c.ExtraData))
	})
}

func TestCustomFieldConflictMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		_, err := svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "tier", Type: FieldEnum, AllowedValues: []string{"gold", "silver"}})
		require.NoError(t, err)
		ann, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann", ExtraData: json.RawMessage(`{"tier":"gold"}`)})
		require.NoError(t, err)
		_, err = svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Bob", ExtraData: json.RawMessage(`{"tier":"gold"}`)})
		require.NoError(t, err)

		values := []string{"silver"}
		_, err = svc.UpdateCustomField(ctx, w.ID, "tier", CustomFieldPatch{AllowedValues: &values})
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), `2 stored contacts have a value not in the allowed values, such as `+ann.ID+` with "gold"`)

		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "region", Type: FieldString, Required: true})
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), "2 stored contacts lack a value, such as "+ann.ID)
		require.NotContains(t, err.Error(), "of type")

		_, err = svc.PatchContact(ctx, w.ID, ann.ID, []byte(`{"extra_data":{"seats":"ten"}}`))
		require.NoError(t, err)
		_, err = svc.CreateCustomField(ctx, w.ID, CustomFieldInput{Name: "seats", Type: FieldInteger})
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), `1 stored contact has a value that is not an integer: `+ann.ID+` with "ten"`)
	})
}
