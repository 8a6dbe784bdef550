package mapping_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// hubspotContact is a contact as the HubSpot connector reads it: every
// property a string or null.
func hubspotContact() crm.Record {
	return crm.Record{
		ID:     "51",
		Object: "contact",
		Properties: map[string]any{
			"firstname":        "Ann",
			"lastname":         "Lee",
			"company":          "Acme Ltd",
			"email":            "Ann.Lee@example.com",
			"phone":            "(415) 555-0142",
			"mobilephone":      "+1 415 555 0199",
			"hs_lead_status":   "OPEN",
			"vip":              "true",
			"hubspot_owner_id": "901",
			"fax":              nil,
		},
		OwnerID:    "901",
		OwnerName:  "Bo Diaz",
		OwnerEmail: "bo@acme.example",
		URL:        "https://app.hubspot.com/contacts/123/record/0-1/51",
		UpdatedAt:  time.Date(2026, 3, 10, 14, 2, 11, 0, time.UTC),
	}
}

// pipedrivePerson is a person as the Pipedrive API v2 returns it: lists
// of labelled emails and phones, numbers as JSON numbers.
func pipedrivePerson() crm.Record {
	return crm.Record{
		ID:     "7",
		Object: "person",
		Properties: map[string]any{
			"name":       "Cy Berg",
			"first_name": "Cy",
			"last_name":  "Berg",
			"org_name":   "Berg GmbH",
			"emails": []any{
				map[string]any{"value": "cy@berg.example", "primary": true, "label": "work"},
				map[string]any{"value": "cy@home.example", "primary": false, "label": "home"},
			},
			"phones": []any{
				map[string]any{"value": "030 1234567", "primary": true, "label": "work"},
				map[string]any{"value": "0170 1234567", "primary": false, "label": "mobile"},
				map[string]any{"value": "not a number", "primary": false, "label": "other"},
			},
			"owner_id": float64(11),
			"score":    json.Number("4.5"),
		},
		OwnerID:   "11",
		OwnerName: "Di Wu",
		URL:       "https://berg.pipedrive.com/person/7",
	}
}

// salesforceLead is a Lead as the Salesforce connector reads it: field API
// names, relationship fields flattened as Owner.Name, booleans as JSON.
func salesforceLead() crm.Record {
	return crm.Record{
		ID:     "00Q5e000001AbCdEAF",
		Object: "Lead",
		Properties: map[string]any{
			"Id":          "00Q5e000001AbCdEAF",
			"FirstName":   "Eve",
			"LastName":    "Ng",
			"Name":        "Eve Ng",
			"Company":     "Ng Partners",
			"Email":       "eve@ng.example",
			"Phone":       "+44 20 7946 0958",
			"MobilePhone": nil,
			"Title":       "CTO",
			"IsConverted": false,
			"Owner.Name":  "Fay Ode",
		},
		OwnerName: "Fay Ode",
		URL:       "https://ng.my.salesforce.com/lightning/r/Lead/00Q5e000001AbCdEAF/view",
	}
}

func TestApplyDefaultMappings(t *testing.T) {
	tests := []struct {
		name   string
		kind   crm.Kind
		record crm.Record
		region string
		want   directory.ContactInput
		extra  string
	}{
		{
			name: "hubspot contact", kind: crm.KindHubSpot, record: hubspotContact(), region: "US",
			want: directory.ContactInput{
				ExternalID: "51", FirstName: "Ann", LastName: "Lee", Company: "Acme Ltd",
				Emails: []string{"Ann.Lee@example.com"},
				PhoneNumbers: []directory.PhoneNumberInput{
					{Label: "work", Number: "(415) 555-0142"},
					{Label: "mobile", Number: "+1 415 555 0199"},
				},
			},
			extra: `{"crm_url":"https://app.hubspot.com/contacts/123/record/0-1/51","owner_email":"bo@acme.example","owner_id":"901","owner_name":"Bo Diaz"}`,
		},
		{
			name: "pipedrive person", kind: crm.KindPipedrive, record: pipedrivePerson(), region: "DE",
			want: directory.ContactInput{
				ExternalID: "7", FirstName: "Cy", LastName: "Berg", DisplayName: "Cy Berg", Company: "Berg GmbH",
				Emails: []string{"cy@berg.example", "cy@home.example"},
				PhoneNumbers: []directory.PhoneNumberInput{
					{Label: "work", Number: "030 1234567"},
					{Label: "mobile", Number: "0170 1234567"},
				},
			},
			extra: `{"crm_url":"https://berg.pipedrive.com/person/7","owner_id":"11","owner_name":"Di Wu"}`,
		},
		{
			name: "salesforce lead", kind: crm.KindSalesforce, record: salesforceLead(), region: "GB",
			want: directory.ContactInput{
				ExternalID: "00Q5e000001AbCdEAF", FirstName: "Eve", LastName: "Ng", DisplayName: "Eve Ng", Company: "Ng Partners",
				Emails:       []string{"eve@ng.example"},
				PhoneNumbers: []directory.PhoneNumberInput{{Label: "work", Number: "+44 20 7946 0958"}},
			},
			extra: `{"crm_url":"https://ng.my.salesforce.com/lightning/r/Lead/00Q5e000001AbCdEAF/view","owner_name":"Fay Ode","title":"CTO"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapping.Apply(mapping.Default(tt.kind), tt.record, tt.region)
			require.NoError(t, err)

			extra := got.ExtraData
			got.ExtraData = nil
			require.Equal(t, tt.want, got)
			require.JSONEq(t, tt.extra, string(extra))
		})
	}
}

func TestApplyTransforms(t *testing.T) {
	rec := hubspotContact()
	tests := []struct {
		name  string
		field mapping.FieldMapping
		want  directory.ContactInput
	}{
		{name: "first source with a value wins",
			field: mapping.FieldMapping{Target: "company", Sources: []string{"fax", "missing", "company"}},
			want:  directory.ContactInput{Company: "Acme Ltd"}},
		{name: "lowercase",
			field: mapping.FieldMapping{Target: "emails", Source: "email", Transform: "lowercase"},
			want:  directory.ContactInput{Emails: []string{"ann.lee@example.com"}}},
		{name: "constant",
			field: mapping.FieldMapping{Target: "company", Transform: "constant", Value: " Acme Group "},
			want:  directory.ContactInput{Company: "Acme Group"}},
		{name: "template with a missing field",
			field: mapping.FieldMapping{Target: "display_name", Transform: "template", Template: "{{ firstname }} {{fax}} {{lastname}} ({{$owner_name}})"},
			want:  directory.ContactInput{DisplayName: "Ann Lee (Bo Diaz)"}},
		{name: "normalize phone",
			field: mapping.FieldMapping{Target: "phone_numbers", Sources: []string{"phone", "mobilephone"}, Transform: "normalize_phone", Label: "main"},
			want: directory.ContactInput{PhoneNumbers: []directory.PhoneNumberInput{
				{Label: "main", Number: "+14155550142"}, {Label: "main", Number: "+14155550199"},
			}}},
		{name: "same number twice kept once",
			field: mapping.FieldMapping{Target: "phone_numbers", Sources: []string{"phone", "phone"}},
			want:  directory.ContactInput{PhoneNumbers: []directory.PhoneNumberInput{{Number: "(415) 555-0142"}}}},
		{name: "text that is no email left out",
			field: mapping.FieldMapping{Target: "emails", Sources: []string{"firstname", "email"}},
			want:  directory.ContactInput{Emails: []string{"Ann.Lee@example.com"}}},
		{name: "record source",
			field: mapping.FieldMapping{Target: "external_id", Source: "$object"},
			want:  directory.ContactInput{ExternalID: "contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapping.Apply(mapping.Mapping{Fields: []mapping.FieldMapping{tt.field}}, rec, "US")
			require.NoError(t, err)

			if tt.want.ExternalID == "" {
				tt.want.ExternalID = "51" // the record id when the mapping sets none
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestApplyExtraDataTypes(t *testing.T) {
	m := mapping.Mapping{Fields: []mapping.FieldMapping{
		{Target: "extra_data.converted", Source: "IsConverted"},
		{Target: "extra_data.score", Source: "score"},
		{Target: "extra_data.score_text", Source: "score", Transform: "lowercase"},
		{Target: "extra_data.updated", Source: "$updated_at"},
	}}
	rec := salesforceLead()
	rec.Properties["score"] = float64(12.5)
	rec.UpdatedAt = time.Date(2026, 3, 10, 14, 2, 11, 0, time.UTC)

	got, err := mapping.Apply(m, rec, "GB")

	require.NoError(t, err)
	require.JSONEq(t, `{"converted":false,"score":12.5,"score_text":"12.5","updated":"2026-03-10T14:02:11Z"}`, string(got.ExtraData))
}

func TestApplyKeepsElementLabels(t *testing.T) {
	m := mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "phone_numbers", Source: "phones", Transform: "normalize_phone"}}}

	got, err := mapping.Apply(m, pipedrivePerson(), "DE")

	require.NoError(t, err)
	require.Equal(t, []directory.PhoneNumberInput{
		{Label: "work", Number: "+49301234567"},
		{Label: "mobile", Number: "+491701234567"},
	}, got.PhoneNumbers)
}

func TestApplyCapsPhoneNumbers(t *testing.T) {
	var phones []any
	for i := range directory.MaxPhoneNumbers + 5 {
		phones = append(phones, map[string]any{"value": "+1415555" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"})
	}
	rec := crm.Record{ID: "1", Properties: map[string]any{"phones": phones}}
	m := mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "phone_numbers", Source: "phones"}}}

	got, err := mapping.Apply(m, rec, "US")

	require.NoError(t, err)
	require.Len(t, got.PhoneNumbers, directory.MaxPhoneNumbers)
}

func TestApplyRejectsInvalidMapping(t *testing.T) {
	_, err := mapping.Apply(mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "shoe_size", Source: "x"}}}, hubspotContact(), "US")

	var verr *validation.Error
	require.True(t, errors.As(err, &verr))
	require.Equal(t, "fields[0].target", verr.Fields[0].Field)
}

func TestValidate(t *testing.T) {
	fields := []crm.Field{{Name: "firstname"}, {Name: "lastname"}, {Name: "phone"}, {Name: "email"}}
	tests := []struct {
		name string
		m    []mapping.FieldMapping
		want map[string]string // field name → part of the reason
	}{
		{name: "unknown source",
			m:    []mapping.FieldMapping{{Target: "first_name", Source: "firstname"}, {Target: "last_name", Source: "surname"}},
			want: map[string]string{"fields[1].source": `"surname" is not a field of this CRM connection`}},
		{name: "unknown source in a list",
			m:    []mapping.FieldMapping{{Target: "phone_numbers", Sources: []string{"phone", "fax"}}},
			want: map[string]string{"fields[0].sources[1]": `"fax" is not a field`}},
		{name: "unknown record source",
			m:    []mapping.FieldMapping{{Target: "extra_data.x", Source: "$owner_phone"}},
			want: map[string]string{"fields[0].source": `"$owner_phone" is not a field`}},
		{name: "missing source",
			m:    []mapping.FieldMapping{{Target: "first_name"}},
			want: map[string]string{"fields[0].source": "is missing"}},
		{name: "source and sources",
			m:    []mapping.FieldMapping{{Target: "first_name", Source: "firstname", Sources: []string{"lastname"}}},
			want: map[string]string{"fields[0].sources": "is set together with source"}},
		{name: "unknown target",
			m:    []mapping.FieldMapping{{Target: "nickname", Source: "firstname"}},
			want: map[string]string{"fields[0].target": `"nickname" is not a contact field`}},
		{name: "bad extra_data key",
			m:    []mapping.FieldMapping{{Target: "extra_data.a.b", Source: "firstname"}},
			want: map[string]string{"fields[0].target": "invalid extra_data key"}},
		{name: "single target twice",
			m:    []mapping.FieldMapping{{Target: "last_name", Source: "lastname"}, {Target: "last_name", Source: "firstname"}},
			want: map[string]string{"fields[1].target": "repeats the target of fields[0]"}},
		{name: "unknown transform",
			m:    []mapping.FieldMapping{{Target: "first_name", Source: "firstname", Transform: "uppercase"}},
			want: map[string]string{"fields[0].transform": `"uppercase" is not a transform`}},
		{name: "constant without value",
			m:    []mapping.FieldMapping{{Target: "company", Transform: "constant"}},
			want: map[string]string{"fields[0].value": "is missing"}},
		{name: "constant with source",
			m:    []mapping.FieldMapping{{Target: "company", Transform: "constant", Value: "Acme", Source: "firstname"}},
			want: map[string]string{"fields[0].source": "must be left out with the constant transform"}},
		{name: "template without placeholder",
			m:    []mapping.FieldMapping{{Target: "display_name", Transform: "template", Template: "Customer"}},
			want: map[string]string{"fields[0].template": "at least one {{field}} placeholder"}},
		{name: "template unknown field",
			m:    []mapping.FieldMapping{{Target: "display_name", Transform: "template", Template: "{{firstname}} {{nick}}"}},
			want: map[string]string{"fields[0].template": `names "nick"`}},
		{name: "value without constant",
			m:    []mapping.FieldMapping{{Target: "company", Source: "firstname", Value: "Acme"}},
			want: map[string]string{"fields[0].value": "only read by the constant transform"}},
		{name: "label outside phone numbers",
			m:    []mapping.FieldMapping{{Target: "emails", Source: "email", Label: "work"}},
			want: map[string]string{"fields[0].label": "only read for phone_numbers"}},
		{name: "empty mapping",
			m:    nil,
			want: map[string]string{"fields": "is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapping.Validate(mapping.Mapping{Fields: tt.m}, fields)

			var verr *validation.Error
			require.True(t, errors.As(err, &verr), "error: %v", err)
			got := map[string]string{}
			for _, f := range verr.Fields {
				got[f.Field] = f.Reason
			}
			require.Len(t, got, len(tt.want), "errors: %v", got)
			for field, reason := range tt.want {
				require.Contains(t, got[field], reason, "field %s", field)
			}
		})
	}
}

func TestValidateWithoutFieldsChecksShapeOnly(t *testing.T) {
	m := mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "last_name", Source: "anything"}}}

	require.NoError(t, mapping.Validate(m, nil))
	require.Error(t, mapping.Validate(m, []crm.Field{}), "an empty field list knows no field")
}

func TestDefaultMappingsAreValid(t *testing.T) {
	for _, kind := range []crm.Kind{crm.KindHubSpot, crm.KindPipedrive, crm.KindSalesforce, crm.KindGeneric} {
		t.Run(string(kind), func(t *testing.T) {
			m := mapping.Default(kind)

			require.NoError(t, mapping.Validate(m, nil))
			require.Contains(t, m.Fields, mapping.FieldMapping{Target: "extra_data.crm_url", Source: "$url"})
			require.Contains(t, m.Fields, mapping.FieldMapping{Target: "extra_data.owner_name", Source: "$owner_name"})
		})
	}
}

func TestMappingJSON(t *testing.T) {
	raw := `{"fields":[{"target":"phone_numbers","sources":["phone","mobilephone"],"transform":"normalize_phone","label":"work"}]}`
	var m mapping.Mapping

	require.NoError(t, json.Unmarshal([]byte(raw), &m))
	encoded, err := json.Marshal(m)

	require.NoError(t, err)
	require.JSONEq(t, raw, string(encoded))
}

func TestHasStrayBraces(t *testing.T) {
	tests := []struct {
		template string
		want     bool
	}{
		{template: "{{firstname}} {{lastname}}", want: false},
		{template: "{{ firstname }}", want: false},
		{template: "{{firstname}} {{nonexistent}", want: true},
		{template: "{{firstname}} nonexistent}}", want: true},
		{template: "{firstname}", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			require.Equal(t, tt.want, mapping.HasStrayBraces(tt.template))
		})
	}
}
