package mapping

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// value is one value read from a source: its text, the label a list
// element carried, and the JSON scalar it came from.
type value struct {
	text  string
	label string
	raw   any
}

// Apply maps rec into a contact. region reads phone numbers without a
// country code. It returns the validation error of an invalid mapping and
// never fails on the record's values:
//   - external_id is rec.ID when the mapping leaves it empty;
//   - phone numbers that phone.Parse rejects and text that is not an email
//     address are left out, so one bad CRM field does not reject the contact;
//   - a phone number or email address already added is not added again;
//   - emails and phone numbers beyond the directory's limits are left out.
//
// The contact has no phonebook_id: the caller sets it.
func Apply(m Mapping, rec crm.Record, region string) (directory.ContactInput, error) {
	if err := Validate(m, nil); err != nil {
		return directory.ContactInput{}, err
	}

	var in directory.ContactInput
	extra := map[string]any{}
	for _, f := range m.Fields {
		values := read(f, rec, region)
		switch {
		case f.Target == TargetEmails:
			in.Emails = addEmails(in.Emails, values)
		case f.Target == TargetPhoneNumbers:
			in.PhoneNumbers = addPhoneNumbers(in.PhoneNumbers, values, f.Label, region)
		case strings.HasPrefix(f.Target, TargetExtraDataPrefix):
			if len(values) > 0 {
				extra[strings.TrimPrefix(f.Target, TargetExtraDataPrefix)] = extraValue(f, values[0])
			}
		case len(values) > 0:
			*singleField(&in, f.Target) = values[0].text
		}
	}

	if in.ExternalID == "" {
		in.ExternalID = rec.ID
	}
	if len(extra) > 0 {
		encoded, err := json.Marshal(extra)
		if err != nil {
			return directory.ContactInput{}, fmt.Errorf("encode extra_data of CRM record %s: %w", rec.ID, err)
		}
		in.ExtraData = encoded
	}
	return in, nil
}

// singleField returns the field of in that target names; target is one of
// singleTargets.
func singleField(in *directory.ContactInput, target string) *string {
	switch target {
	case TargetFirstName:
		return &in.FirstName
	case TargetLastName:
		return &in.LastName
	case TargetDisplayName:
		return &in.DisplayName
	case TargetCompany:
		return &in.Company
	default:
		return &in.ExternalID
	}
}

// read returns the values f gives for rec, transformed, without empty
// ones. Single targets use the first; lists use all of them.
func read(f FieldMapping, rec crm.Record, region string) []value {
	switch f.transform() {
	case TransformConstant:
		return nonEmpty([]value{{text: strings.TrimSpace(f.Value)}})
	case TransformTemplate:
		return nonEmpty([]value{{text: render(f.Template, rec)}})
	}

	var values []value
	for _, source := range f.sourceList() {
		values = append(values, sourceValues(rec, source)...)
	}
	for i := range values {
		values[i] = transform(f.transform(), values[i], region)
	}
	return nonEmpty(values)
}

func transform(name string, v value, region string) value {
	switch name {
	case TransformLowercase:
		return value{text: strings.ToLower(v.text), label: v.label}
	case TransformNormalizePhone:
		n, err := phone.Parse(v.text, region)
		if err != nil || n.E164 == "" {
			return value{} // dropped: not a dialable number
		}
		text := n.E164
		if n.Extension != "" {
			text += " x" + n.Extension
		}
		return value{text: text, label: v.label}
	}
	return v
}

func nonEmpty(values []value) []value {
	out := values[:0]
	for _, v := range values {
		if v.text != "" {
			out = append(out, v)
		}
	}
	return out
}

// render replaces each {{field}} of template with the first value of that
// source and makes runs of white space one space.
func render(template string, rec crm.Record) string {
	text := placeholder.ReplaceAllStringFunc(template, func(match string) string {
		name := placeholder.FindStringSubmatch(match)[1]
		if values := sourceValues(rec, name); len(values) > 0 {
			return values[0].text
		}
		return ""
	})
	return strings.Join(strings.Fields(text), " ")
}

// sourceValues returns the values of source in rec: a record source, or a
// property read as valuesOf describes.
func sourceValues(rec crm.Record, source string) []value {
	var text string
	switch source {
	case SourceID:
		text = rec.ID
	case SourceObject:
		text = rec.Object
	case SourceURL:
		text = rec.URL
	case SourceOwnerID:
		text = rec.OwnerID
	case SourceOwnerName:
		text = rec.OwnerName
	case SourceOwnerEmail:
		text = rec.OwnerEmail
	case SourceUpdatedAt:
		if !rec.UpdatedAt.IsZero() {
			text = rec.UpdatedAt.UTC().Format(time.RFC3339)
		}
	default:
		return valuesOf(rec.Properties[source])
	}
	return nonEmpty([]value{{text: strings.TrimSpace(text)}})
}

// valuesOf reads a property as a connector decoded it from JSON: a scalar
// gives one value, a list one value per element, and an object its
// "value" member with its "label".
func valuesOf(property any) []value {
	switch p := property.(type) {
	case []any:
		var out []value
		for _, element := range p {
			out = append(out, valuesOf(element)...)
		}
		return out
	case map[string]any:
		values := valuesOf(p["value"])
		if label, ok := p["label"].(string); ok {
			for i := range values {
				values[i].label = strings.TrimSpace(label)
			}
		}
		return values
	}

	text := scalarText(property)
	if text == "" {
		return nil
	}
	return []value{{text: text, raw: property}}
}

// scalarText returns a JSON scalar as text, "" for null and containers.
func scalarText(v any) string {
	switch s := v.(type) {
	case string:
		return strings.TrimSpace(s)
	case bool:
		return strconv.FormatBool(s)
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case json.Number:
		return s.String()
	case int:
		return strconv.Itoa(s)
	case int64:
		return strconv.FormatInt(s, 10)
	}
	return ""
}

// extraValue returns the value an extra_data key stores. A boolean or
// number from the CRM keeps its JSON type when the mapping does not
// transform it, so rules can compare extra_data.vip == true. Anything else
// is stored as text.
func extraValue(f FieldMapping, v value) any {
	if f.transform() != TransformNone {
		return v.text
	}
	switch v.raw.(type) {
	case bool, float64, json.Number, int, int64:
		return v.raw
	}
	return v.text
}

func addEmails(emails []string, values []value) []string {
	for _, v := range values {
		if len(emails) >= directory.MaxEmails {
			break
		}
		addr, err := mail.ParseAddress(v.text)
		if err != nil || addr.Name != "" || addr.Address != v.text || len(v.text) > directory.MaxEmailLength {
			continue
		}
		if !containsFold(emails, v.text) {
			emails = append(emails, v.text)
		}
	}
	return emails
}

func addPhoneNumbers(numbers []directory.PhoneNumberInput, values []value, label, region string) []directory.PhoneNumberInput {
	seen := map[string]bool{}
	for _, n := range numbers {
		if parsed, err := phone.Parse(n.Number, region); err == nil {
			seen[parsed.E164+"x"+parsed.Extension] = true
		}
	}

	for _, v := range values {
		if len(numbers) >= directory.MaxPhoneNumbers {
			break
		}
		parsed, err := phone.Parse(v.text, region)
		if err != nil || len(v.text) > directory.MaxNumberLength || seen[parsed.E164+"x"+parsed.Extension] {
			continue
		}
		seen[parsed.E164+"x"+parsed.Extension] = true

		numberLabel := label
		if numberLabel == "" {
			numberLabel = truncate(v.label, directory.MaxLabelLength)
		}
		numbers = append(numbers, directory.PhoneNumberInput{Label: numberLabel, Number: v.text})
	}
	return numbers
}

func containsFold(list []string, s string) bool {
	for _, item := range list {
		if strings.EqualFold(item, s) {
			return true
		}
	}
	return false
}

// truncate returns s cut to at most max characters.
func truncate(s string, max int) string {
	runes := []rune(s)
	if len(runes) <= max {
		return s
	}
	return string(runes[:max])
}
