package directory

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func TestNormalizeContact(t *testing.T) {
	in := ContactInput{
		PhonebookID:  "pb_1",
		ExternalID:   "  crm-7 ",
		FirstName:    " Ann ",
		LastName:     "Lee",
		Company:      "Acme",
		Emails:       []string{"ann@example.com", "ANN@example.com", "ann.lee@example.org"},
		PhoneNumbers: []PhoneNumberInput{{Label: "mobile", Number: "(415) 555-0100"}, {Number: "+44 20 7946 0958"}},
		ExtraData:    json.RawMessage(`{"z": 1, "a": {"y": true, "b": "x"}}`),
	}

	c, err := normalizeContact(in, contactRules{region: "US"}, "")
	require.NoError(t, err)

	require.Equal(t, "pb_1", c.PhonebookID)
	require.Equal(t, "crm-7", *c.ExternalID)
	require.Equal(t, "Ann", c.FirstName)
	require.Equal(t, "Ann Lee", c.DisplayName)
	require.Equal(t, []string{"ann@example.com", "ann.lee@example.org"}, c.Emails.V)
	require.Equal(t, []store.PhoneNumber{
		{Label: "mobile", Number: "(415) 555-0100", E164: "+14155550100"},
		{Label: "", Number: "+44 20 7946 0958", E164: "+442079460958"},
	}, c.PhoneNumbers.V)
	require.Equal(t, `{"a":{"b":"x","y":true},"z":1}`, string(c.ExtraData))
}

func TestNormalizeContactDefaults(t *testing.T) {
	tests := []struct {
		name        string
		in          ContactInput
		displayName string
		extraData   string
	}{
		{name: "first name only", in: ContactInput{FirstName: "Ann"}, displayName: "Ann", extraData: `{}`},
		{name: "last name only", in: ContactInput{LastName: "Lee"}, displayName: "Lee", extraData: `{}`},
		{name: "company without names", in: ContactInput{Company: "Acme"}, displayName: "Acme", extraData: `{}`},
		{name: "display name given", in: ContactInput{FirstName: "Ann", DisplayName: "Dr. Lee"}, displayName: "Dr. Lee", extraData: `{}`},
		{name: "nothing", in: ContactInput{}, displayName: "", extraData: `{}`},
		{name: "null extra data", in: ContactInput{ExtraData: json.RawMessage(`null`)}, displayName: "", extraData: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := normalizeContact(tt.in, contactRules{region: "US"}, "pb_1")
			require.NoError(t, err)
			require.Equal(t, tt.displayName, c.DisplayName)
			require.Equal(t, tt.extraData, string(c.ExtraData))
			require.Nil(t, c.ExternalID)
		})
	}
}

func TestNormalizeContactErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        ContactInput
		phonebook string
		field     string
		reason    string
	}{
		{name: "invalid phone", in: ContactInput{PhoneNumbers: []PhoneNumberInput{{Number: "+1 555"}}}, field: "phone_numbers[0].number", reason: `"+1 555"`},
		{name: "national phone without region", in: ContactInput{PhoneNumbers: []PhoneNumberInput{{Number: "+14155550100"}, {Number: "030 1234567"}}}, field: "phone_numbers[1].number", reason: `"030 1234567" has no country code`},
		{name: "missing number", in: ContactInput{PhoneNumbers: []PhoneNumberInput{{Label: "work"}}}, field: "phone_numbers[0].number", reason: "is missing"},
		{name: "long label", in: ContactInput{PhoneNumbers: []PhoneNumberInput{{Label: strings.Repeat("l", 51), Number: "+14155550100"}}}, field: "phone_numbers[0].label", reason: "limit is 50"},
		{name: "too many numbers", in: ContactInput{PhoneNumbers: make([]PhoneNumberInput, 21)}, field: "phone_numbers", reason: "limit is 20"},
		{name: "invalid email", in: ContactInput{Emails: []string{"ann@example.com", "not an address"}}, field: "emails[1]", reason: `"not an address"`},
		{name: "email with display name", in: ContactInput{Emails: []string{"Ann <ann@example.com>"}}, field: "emails[0]", reason: "not an email address"},
		{name: "empty email", in: ContactInput{Emails: []string{" "}}, field: "emails[0]", reason: "is empty"},
		{name: "too many emails", in: ContactInput{Emails: make([]string, 21)}, field: "emails", reason: "limit is 20"},
		{name: "long first name", in: ContactInput{FirstName: strings.Repeat("é", 201)}, field: "first_name", reason: "201 characters"},
		{name: "long company", in: ContactInput{Company: strings.Repeat("c", 201)}, field: "company", reason: "limit is 200"},
		{name: "long external id", in: ContactInput{ExternalID: strings.Repeat("x", 256)}, field: "external_id", reason: "limit is 255"},
		{name: "nul in name", in: ContactInput{LastName: "Le\x00e"}, field: "last_name", reason: "control character"},
		{name: "line break in name", in: ContactInput{LastName: "Le\ne"}, field: "last_name", reason: "control character"},
		{name: "invalid utf-8", in: ContactInput{Company: "Ac\xffme"}, field: "company", reason: "UTF-8"},
		{name: "extra data array", in: ContactInput{ExtraData: json.RawMessage(`[1]`)}, field: "extra_data", reason: "must be a JSON object"},
		{name: "extra data string", in: ContactInput{ExtraData: json.RawMessage(`"x"`)}, field: "extra_data", reason: "must be a JSON object"},
		{name: "extra data too large", in: ContactInput{ExtraData: json.RawMessage(`{"k":"` + strings.Repeat("x", MaxExtraDataBytes) + `"}`)}, field: "extra_data", reason: "limit is 65536"},
		{name: "read-only id", in: ContactInput{ID: json.RawMessage(`"ct_1"`)}, field: "id", reason: "read-only"},
		{name: "read-only created_at", in: ContactInput{CreatedAt: json.RawMessage(`"2024-01-01T00:00:00Z"`)}, field: "created_at", reason: "read-only"},
		{name: "read-only updated_at", in: ContactInput{UpdatedAt: json.RawMessage(`null`)}, field: "updated_at", reason: "read-only"},
		{name: "read-only e164", in: ContactInput{PhoneNumbers: []PhoneNumberInput{{Number: "+14155550100", E164: json.RawMessage(`"+14155550100"`)}}}, field: "phone_numbers[0].e164", reason: "read-only"},
		{name: "missing phonebook", in: ContactInput{FirstName: "Ann"}, phonebook: "-", field: "phonebook_id", reason: "is missing"},
		{name: "moving phonebook", in: ContactInput{PhonebookID: "pb_2"}, field: "phonebook_id", reason: "cannot move"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region := "US"
			if tt.name == "national phone without region" {
				region = ""
			}
			phonebook := "pb_1"
			if tt.phonebook == "-" {
				phonebook = ""
			}

			_, err := normalizeContact(tt.in, contactRules{region: region}, phonebook)

			var verr *validation.Error
			require.True(t, errors.As(err, &verr), "error %v", err)
			require.Equal(t, tt.field, verr.Fields[0].Field)
			require.Contains(t, verr.Fields[0].Reason, tt.reason)
		})
	}
}

func TestNormalizeContactReportsEveryField(t *testing.T) {
	in := ContactInput{
		ID:           json.RawMessage(`"ct_1"`),
		Emails:       []string{"bad"},
		PhoneNumbers: []PhoneNumberInput{{Number: "nope"}},
		ExtraData:    json.RawMessage(`[]`),
	}

	_, err := normalizeContact(in, contactRules{region: "US"}, "pb_1")

	var verr *validation.Error
	require.True(t, errors.As(err, &verr))
	var fields []string
	for _, f := range verr.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"id", "emails[0]", "phone_numbers[0].number", "extra_data"}, fields)
}

func TestInputOfRoundTrips(t *testing.T) {
	in := ContactInput{
		ExternalID:   "crm-1",
		FirstName:    "Ann",
		LastName:     "Lee",
		Company:      "Acme",
		Emails:       []string{"ann@example.com"},
		PhoneNumbers: []PhoneNumberInput{{Label: "work", Number: "+1 415 555 0100"}},
		ExtraData:    json.RawMessage(`{"tier":"gold"}`),
	}
	c, err := normalizeContact(in, contactRules{region: "US"}, "pb_1")
	require.NoError(t, err)

	back := inputOf(c)

	require.Equal(t, in, back)
}

func TestInputOfKeepsCustomDisplayName(t *testing.T) {
	c, err := normalizeContact(ContactInput{FirstName: "Ann", DisplayName: "Dr. Lee"}, contactRules{region: "US"}, "pb_1")
	require.NoError(t, err)

	require.Equal(t, "Dr. Lee", inputOf(c).DisplayName)
}

func TestDecodeContactInputFieldPaths(t *testing.T) {
	tests := []struct {
		name, doc, field string
	}{
		{name: "unknown top-level field", doc: `{"nickname": "Ann"}`, field: "nickname"},
		{name: "unknown phone field", doc: `{"phone_numbers": [{"number": "+14155550100"}, {"lable": "work"}]}`, field: "phone_numbers[1].lable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeContactInput([]byte(tt.doc))

			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields, 1)
			require.Equal(t, tt.field, verr.Fields[0].Field)
		})
	}
}
