package directory

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
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

// valueFault is the reason a custom value does not fit its field.
type valueFault int

const (
	faultNone valueFault = iota
	// faultMissing: the field is required and the value is absent, null or
	// a string of only white space.
	faultMissing
	// faultType: the value has another JSON type or form than the field
	// takes, such as 3.5 for an integer.
	faultType
	// faultNotAllowed: an enum field's value is a string outside the
	// allowed values.
	faultNotAllowed
	// faultRange: a number is outside the range of an int64 (integer) or a
	// float64 (number).
	faultRange
)

// checkCustomValues records an error, named extra_data.<name>, for every
// custom field whose value in extraData (canonical JSON object text) does
// not hold for the field.
func checkCustomValues(v *validation.Error, extraData json.RawMessage, fields []store.CustomField, region string) {
	normalizeCustomValues(v, extraData, fields, region)
}

// normalizeCustomValues checks extraData like checkCustomValues and
// returns it with the values of integer and number fields in canonical
// form: an integer as a plain integer literal (1e2 and 100.0 become 100)
// and a number as the shortest text that reads back as the same float64
// (3.0 becomes 3). Other values are returned as they are.
func normalizeCustomValues(v *validation.Error, extraData json.RawMessage, fields []store.CustomField, region string) json.RawMessage {
	if len(fields) == 0 {
		return extraData
	}
	values, ok := decodeObjectOrNil(extraData)
	if !ok {
		values = map[string]any{}
	}

	changed := false
	for _, f := range fields {
		value, present := values[f.Name]
		canonical, fault := judgeValue(f, value, present, region)
		if fault != faultNone {
			v.Add("extra_data."+f.Name, "%s", faultMessage(f, value, fault))
			continue
		}
		if n, isNumber := canonical.(json.Number); isNumber && n != value {
			values[f.Name] = n
			changed = true
		}
	}
	if !changed || v.Err() != nil {
		return extraData
	}
	encoded, err := marshalCompact(values)
	if err != nil {
		return extraData
	}
	return encoded
}

// judgeValue returns the canonical form of value, decoded with
// json.Number, and faultNone when it holds for f. present reports whether
// the key is in extra_data at all. Absent, null and blank strings count as
// missing, which only a required field rejects.
func judgeValue(f store.CustomField, value any, present bool, region string) (any, valueFault) {
	if isBlank(value, present) {
		if f.Required {
			return nil, faultMissing
		}
		if value == nil {
			return nil, faultNone
		}
	}

	switch f.Type {
	case FieldNumber:
		return canonicalNumber(value)
	case FieldInteger:
		return canonicalInteger(value)
	case FieldBoolean:
		if _, ok := value.(bool); ok {
			return value, faultNone
		}
		return nil, faultType
	}

	text, ok := value.(string)
	if !ok {
		return nil, faultType
	}
	if f.Type == FieldEnum && !slices.Contains(f.AllowedValues.V, text) {
		return nil, faultNotAllowed
	}
	if !validText(f.Type, text, region) {
		return nil, faultType
	}
	return value, faultNone
}

// isBlank reports whether a custom value counts as missing: absent, null,
// or a string of only white space. CSV import drops empty cells, so JSON
// writes treat "" the same way.
func isBlank(value any, present bool) bool {
	if !present || value == nil {
		return true
	}
	text, ok := value.(string)
	return ok && strings.TrimSpace(text) == ""
}

// validText reports whether text is a valid value of a field of a string
// based type. Enum values are checked by the caller.
func validText(fieldType, text, region string) bool {
	switch fieldType {
	case FieldDate:
		_, err := time.Parse(time.DateOnly, text)
		return err == nil
	case FieldDateTime:
		_, err := time.Parse(time.RFC3339, text)
		return err == nil
	case FieldEmail:
		return isBareAddress(text)
	case FieldPhone:
		_, err := phone.Parse(text, region)
		return err == nil
	case FieldURL:
		u, err := url.Parse(text)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	return true // FieldString and FieldEnum
}

// canonicalNumber returns value, a JSON number, as the shortest text that
// reads back as the same float64, the form encoding/json and JavaScript
// write. A number beyond the float64 range, such as 1e400, is faultRange
// because most JSON parsers read it as infinity.
func canonicalNumber(value any) (any, valueFault) {
	n, ok := value.(json.Number)
	if !ok {
		return nil, faultType
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, faultRange
	}
	encoded, err := json.Marshal(f)
	if err != nil {
		return nil, faultRange
	}
	return json.Number(encoded), faultNone
}

// maxIntegerFloat is 2^63, the smallest float64 above the int64 range.
const maxIntegerFloat = 1 << 63

// canonicalInteger returns value, a JSON number written in any form such
// as 100, 1e2 or 100.0, as a plain integer literal when it is a whole
// number in the int64 range.
func canonicalInteger(value any) (any, valueFault) {
	n, ok := value.(json.Number)
	if !ok {
		return nil, faultType
	}
	// The float checks rule out huge exponents before the exact parse,
	// which computes 10 to the power of the exponent.
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) > maxIntegerFloat {
		return nil, faultRange
	}
	if f != math.Trunc(f) {
		return nil, faultType
	}
	exact, ok := new(big.Rat).SetString(string(n))
	if !ok || !exact.IsInt() {
		return nil, faultType
	}
	if !exact.Num().IsInt64() {
		return nil, faultRange
	}
	return json.Number(strconv.FormatInt(exact.Num().Int64(), 10)), faultNone
}

// faultMessage returns the reason value does not fit f, for an error message.
func faultMessage(f store.CustomField, value any, fault valueFault) string {
	switch fault {
	case faultMissing:
		return fmt.Sprintf("is missing: custom field %s is required and takes %s; an empty string counts as missing", f.Name, describeType(f))
	case faultRange:
		if f.Type == FieldInteger {
			return fmt.Sprintf("must be an integer for custom field %s, and %s is outside the range of a 64-bit integer", f.Name, describeValue(value))
		}
		return fmt.Sprintf("must be a number for custom field %s, and %s is outside the range of a 64-bit floating-point number", f.Name, describeValue(value))
	}
	return fmt.Sprintf("must be %s for custom field %s, not %s", describeType(f), f.Name, describeValue(value))
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
