package directory

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// contactRules is the context a contact write is checked in: the default
// region for phone numbers and the workspace's custom fields.
type contactRules struct {
	region string
	fields []store.CustomField
	// coerceText converts extra_data text of number, integer and boolean
	// custom fields to those types first, for sources that only have
	// text: CSV cells and CRM records.
	coerceText bool
}

// checkCustomValues records an error, named extra_data.<name>, for every
// custom field whose value in extraData (canonical JSON object text) has
// the wrong type, or is missing while the field is required. A null value
// counts as missing.
func checkCustomValues(v *validation.Error, extraData json.RawMessage, fields []store.CustomField, region string) {
	if len(fields) == 0 {
		return
	}
	values := map[string]any{}
	if object, ok := decodeObjectOrNil(extraData); ok {
		values = object
	}

	for _, f := range fields {
		name := "extra_data." + f.Name
		value, present := values[f.Name]
		if !present || value == nil {
			if f.Required {
				v.Add(name, "is missing: custom field %s is required and takes %s", f.Name, describeType(f))
			}
			continue
		}
		if !validValue(f, value, region) {
			v.Add(name, "must be %s for custom field %s, not %s", describeType(f), f.Name, describeValue(value))
		}
	}
}

// validValue reports whether value, decoded with json.Number, is a valid
// value of f.
func validValue(f store.CustomField, value any, region string) bool {
	switch f.Type {
	case FieldNumber:
		_, ok := value.(json.Number)
		return ok
	case FieldInteger:
		n, ok := value.(json.Number)
		return ok && isInteger(n)
	case FieldBoolean:
		_, ok := value.(bool)
		return ok
	}

	text, ok := value.(string)
	if !ok {
		return false
	}
	switch f.Type {
	case FieldDate:
		_, err := time.Parse(time.DateOnly, text)
		return err == nil
	case FieldDateTime:
		_, err := time.Parse(time.RFC3339, text)
		return err == nil
	case FieldEnum:
		return slices.Contains(f.AllowedValues.V, text)
	case FieldEmail:
		return isBareAddress(text)
	case FieldPhone:
		_, err := phone.Parse(text, region)
		return err == nil
	case FieldURL:
		u, err := url.Parse(text)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	return true // FieldString
}

// isInteger reports whether n is a whole number that a float64 holds
// exactly (at most 2^53 in magnitude), such as 42 or 1e3, so JSON clients
// that read numbers as doubles keep the value.
func isInteger(n json.Number) bool {
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53
}

// describeType names the values of f for error messages, such as "an
// integer" or "one of the strings gold, silver".
func describeType(f store.CustomField) string {
	switch f.Type {
	case FieldNumber:
		return "a number"
	case FieldInteger:
		return "an integer"
	case FieldBoolean:
		return "a boolean (true or false)"
	case FieldDate:
		return "a date as a string such as \"2025-03-01\""
	case FieldDateTime:
		return "a date and time as an RFC 3339 string such as \"2025-03-01T09:30:00Z\""
	case FieldEnum:
		return "one of the strings " + strings.Join(f.AllowedValues.V, ", ")
	case FieldEmail:
		return "an email address as a string such as \"ann@example.com\""
	case FieldPhone:
		return "a phone number as a string such as \"+14155550123\""
	case FieldURL:
		return "an http or https URL as a string"
	}
	return "a string"
}

// describeValue shows a rejected value briefly: strings quoted and cut at
// 40 characters, other JSON types by name.
func describeValue(value any) string {
	switch v := value.(type) {
	case string:
		if len([]rune(v)) > 40 {
			v = string([]rune(v)[:40]) + "…"
		}
		return strconv.Quote(v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return fmt.Sprintf("the boolean %t", v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// coerceText returns extraData with the string values of number, integer
// and boolean custom fields converted to JSON numbers and booleans where
// the text reads as one ("42", "true"). Other values are left for
// checkCustomValues to judge, so "forty" still fails with a clear message.
func coerceText(extraData json.RawMessage, fields []store.CustomField) json.RawMessage {
	values, ok := decodeObjectOrNil(extraData)
	if !ok {
		return extraData
	}
	changed := false
	for _, f := range fields {
		text, isText := values[f.Name].(string)
		if !isText {
			continue
		}
		if converted, ok := convertText(f.Type, strings.TrimSpace(text)); ok {
			values[f.Name] = converted
			changed = true
		}
	}
	if !changed {
		return extraData
	}
	encoded, err := marshalCompact(values)
	if err != nil {
		return extraData
	}
	return encoded
}

func convertText(fieldType, text string) (any, bool) {
	switch fieldType {
	case FieldNumber, FieldInteger:
		// Unmarshalling into a float64 accepts only JSON number syntax, so
		// "NaN" and "0x1F" stay text.
		var f float64
		if text != "null" && json.Unmarshal([]byte(text), &f) == nil {
			return json.Number(text), true
		}
	case FieldBoolean:
		switch strings.ToLower(text) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return nil, false
}
