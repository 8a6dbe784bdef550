package directory

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Limits of contact fields. Lengths count Unicode code points.
const (
	MaxNameLength       = 200 // first_name, last_name, display_name and company
	MaxExternalIDLength = 255
	MaxEmails           = 20
	MaxEmailLength      = 254 // the 256-octet path limit of RFC 5321 (4.5.3.1.3) less the angle brackets
	MaxPhoneNumbers     = 20
	MaxLabelLength      = 50
	MaxNumberLength     = 100       // the text of one phone number as given
	MaxExtraDataBytes   = 64 * 1024 // extra_data in canonical JSON
)

// ContactInput is a contact as a client writes it. A field that is absent
// or null is empty, so a create or a replace built from it clears every
// field the client left out.
type ContactInput struct {
	// PhonebookID names the phonebook of a new contact. On a replace, patch
	// or batch item it may be sent only with the phonebook the contact is
	// already in, because contacts do not move between phonebooks.
	PhonebookID  string             `json:"phonebook_id,omitempty"`
	ExternalID   string             `json:"external_id,omitempty"`
	FirstName    string             `json:"first_name,omitempty"`
	LastName     string             `json:"last_name,omitempty"`
	DisplayName  string             `json:"display_name,omitempty"`
	Company      string             `json:"company,omitempty"`
	Emails       []string           `json:"emails,omitempty"`
	PhoneNumbers []PhoneNumberInput `json:"phone_numbers,omitempty"`
	// ExtraData must be a JSON object when set.
	ExtraData json.RawMessage `json:"extra_data,omitempty"`

	// ID, CreatedAt and UpdatedAt are read-only. They are decoded only so a
	// client that sends them back gets a validation error naming them
	// rather than an unknown-field error.
	ID        json.RawMessage `json:"id,omitempty"`
	CreatedAt json.RawMessage `json:"created_at,omitempty"`
	UpdatedAt json.RawMessage `json:"updated_at,omitempty"`
}

// PhoneNumberInput is one phone number as a client writes it.
type PhoneNumberInput struct {
	Label  string `json:"label,omitempty"`
	Number string `json:"number,omitempty"`
	// E164 is read-only and decoded only to be rejected by name.
	E164 json.RawMessage `json:"e164,omitempty"`
}

// normalizeContact validates in and returns the contact it describes,
// without workspace, id or timestamps. Phone numbers without a country code
// are read in the region of rules, and extra_data is checked against its
// custom fields. phonebookID is the phonebook the contact is in; when it is
// empty the contact is new and in.PhonebookID is required. Every invalid
// field is reported, not only the first.
func normalizeContact(in ContactInput, rules contactRules, phonebookID string) (store.Contact, error) {
	var v validation.Error
	rejectReadOnly(&v, in)

	c := store.Contact{
		PhonebookID: checkPhonebookID(&v, in.PhonebookID, phonebookID),
		FirstName:   checkText(&v, "first_name", in.FirstName, MaxNameLength),
		LastName:    checkText(&v, "last_name", in.LastName, MaxNameLength),
		DisplayName: checkText(&v, "display_name", in.DisplayName, MaxNameLength),
		Company:     checkText(&v, "company", in.Company, MaxNameLength),
	}
	if id := checkText(&v, "external_id", in.ExternalID, MaxExternalIDLength); id != "" {
		c.ExternalID = &id
	}
	if c.DisplayName == "" {
		c.DisplayName = defaultDisplayName(c.FirstName, c.LastName, c.Company)
	}

	c.Emails.V = normalizeEmails(&v, in.Emails)
	c.PhoneNumbers.V = normalizePhoneNumbers(&v, in.PhoneNumbers, rules.region)
	if rules.coerceText {
		in.ExtraData = coerceText(in.ExtraData, rules.fields)
	}
	c.ExtraData = normalizeExtraData(&v, in.ExtraData)
	if c.ExtraData != nil {
		c.ExtraData = normalizeCustomValues(&v, c.ExtraData, rules.fields, rules.region)
		checkExtraDataSize(&v, c.ExtraData)
	}
	if err := v.Err(); err != nil {
		return store.Contact{}, err
	}
	return c, nil
}

// defaultDisplayName is the display name of a contact sent without one:
// its first and last name, or its company when it has neither.
func defaultDisplayName(first, last, company string) string {
	name := strings.TrimSpace(first + " " + last)
	if name == "" {
		return company
	}
	return name
}

// checkPhonebookID returns the phonebook of the contact: sent for a new
// contact, which must name one, and current otherwise, which sent may only
// repeat.
func checkPhonebookID(v *validation.Error, sent, current string) string {
	switch {
	case current == "" && sent == "":
		v.Add("phonebook_id", "is missing: name the phonebook (pb_...) to add the contact to")
	case current == "":
		return sent
	case sent != "" && sent != current:
		v.Add("phonebook_id", "is %q, but the contact is in %s; contacts cannot move between phonebooks", sent, current)
	}
	return current
}

func rejectReadOnly(v *validation.Error, in ContactInput) {
	const reason = "is read-only: leave it out of writes"
	if len(in.ID) > 0 {
		v.Add("id", reason)
	}
	if len(in.CreatedAt) > 0 {
		v.Add("created_at", reason)
	}
	if len(in.UpdatedAt) > 0 {
		v.Add("updated_at", reason)
	}
	for i, n := range in.PhoneNumbers {
		if len(n.E164) > 0 {
			v.Add(fmt.Sprintf("phone_numbers[%d].e164", i), "is read-only: it is computed from number")
		}
	}
}

// checkText trims value and records an error on field when it is longer
// than max code points or holds text that cannot be stored: invalid UTF-8
// or control characters such as NUL and line breaks.
func checkText(v *validation.Error, field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(value):
		v.Add(field, "is not valid UTF-8")
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.Add(field, "contains a control character such as a line break or NUL")
	case utf8.RuneCountInString(value) > max:
		v.Add(field, "is %d characters long; the limit is %d", utf8.RuneCountInString(value), max)
	}
	return value
}

// normalizeEmails checks each address and drops repeats, compared without
// regard to case, keeping the first spelling.
func normalizeEmails(v *validation.Error, emails []string) []string {
	if len(emails) > MaxEmails {
		v.Add("emails", "has %d addresses; the limit is %d", len(emails), MaxEmails)
		return nil
	}

	out := make([]string, 0, len(emails))
	seen := map[string]bool{}
	for i, raw := range emails {
		field := fmt.Sprintf("emails[%d]", i)
		email := checkText(v, field, raw, MaxEmailLength)
		if email == "" {
			v.Add(field, "is empty: leave the entry out instead")
			continue
		}
		if !isBareAddress(email) {
			v.Add(field, "%q is not an email address such as ann@example.com", email)
			continue
		}
		if key := strings.ToLower(email); !seen[key] {
			seen[key] = true
			out = append(out, email)
		}
	}
	return out
}

// isBareAddress reports whether s is an addr-spec (RFC 5322) with nothing
// around it, so "Ann <ann@example.com>" is rejected.
func isBareAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}

func normalizePhoneNumbers(v *validation.Error, numbers []PhoneNumberInput, region string) []store.PhoneNumber {
	if len(numbers) > MaxPhoneNumbers {
		v.Add("phone_numbers", "has %d numbers; the limit is %d", len(numbers), MaxPhoneNumbers)
		return nil
	}

	out := make([]store.PhoneNumber, 0, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("phone_numbers[%d]", i)
		label := checkText(v, field+".label", n.Label, MaxLabelLength)
		raw := checkText(v, field+".number", n.Number, MaxNumberLength)
		if raw == "" {
			v.Add(field+".number", "is missing")
			continue
		}

		parsed, err := phone.Parse(raw, region)
		if err != nil {
			v.Add(field+".number", "%s", err.Error())
			continue
		}
		out = append(out, store.PhoneNumber{Label: label, Number: raw, E164: parsed.E164})
	}
	return out
}

// normalizeExtraData returns raw as a JSON object in canonical form: keys
// sorted at every level, compact, numbers as written. Absent and null give
// the empty object.
func normalizeExtraData(v *validation.Error, raw json.RawMessage) json.RawMessage {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		return json.RawMessage(`{}`)
	}

	value, err := decodeAny([]byte(trimmed))
	if err != nil {
		v.Add("extra_data", "is not valid JSON: %v", err)
		return nil
	}
	if _, ok := value.(map[string]any); !ok {
		v.Add("extra_data", "must be a JSON object")
		return nil
	}
	canonical, err := marshalCompact(value)
	if err != nil {
		v.Add("extra_data", "cannot be encoded: %v", err)
		return nil
	}
	if !checkExtraDataSize(v, canonical) {
		return nil
	}
	return canonical
}

// checkExtraDataSize records an error and returns false when extraData is
// over MaxExtraDataBytes. It runs again after custom values are
// normalized, because 1e18 grows to 19 digits.
func checkExtraDataSize(v *validation.Error, extraData json.RawMessage) bool {
	if len(extraData) > MaxExtraDataBytes {
		v.Add("extra_data", "is %d bytes as compact JSON; the limit is %d", len(extraData), MaxExtraDataBytes)
		return false
	}
	return true
}

// inputOf returns the writable fields of c as a ContactInput, the document
// a merge patch applies to. A display name equal to the one the names
// would give is left out, so a patch of the names updates it too.
func inputOf(c store.Contact) ContactInput {
	in := ContactInput{
		FirstName: c.FirstName,
		LastName:  c.LastName,
		Company:   c.Company,
		Emails:    c.Emails.V,
		ExtraData: c.ExtraData,
	}
	if c.ExternalID != nil {
		in.ExternalID = *c.ExternalID
	}
	if c.DisplayName != defaultDisplayName(c.FirstName, c.LastName, c.Company) {
		in.DisplayName = c.DisplayName
	}
	for _, n := range c.PhoneNumbers.V {
		in.PhoneNumbers = append(in.PhoneNumbers, PhoneNumberInput{Label: n.Label, Number: n.Number})
	}
	if string(in.ExtraData) == "{}" {
		in.ExtraData = nil
	}
	return in
}
