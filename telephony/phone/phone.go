package phone

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by every error that Parse and MatchKey return.
var ErrInvalid = errors.New("invalid phone number")

// errNoCountryCode is wrapped, next to ErrInvalid, when the input has no
// country code and no default region was given to read it as a national number.
var errNoCountryCode = errors.New("no country code and no default region")

// maxQuotedRunes caps how much of a rejected value an error message repeats.
const maxQuotedRunes = 64

// danglingExtension matches an extension marker with no digits after it at
// the end of the input, such as "ext" left over from an emptied CSV column.
// phonenumbers would read the letters of "ext" as the vanity digits 398.
// The marker must follow a space, comma or semicolon so that vanity words
// ending in X ("1-800-FEDEX") are kept.
var danglingExtension = regexp.MustCompile(`(?i)(?:\s*#|[\s,;]+(?:x|ext|extn|extension)[.:=]?)$`)

// Number is a phone number as given plus its normalised match key.
type Number struct {
	Raw       string // the text exactly as given
	E164      string // match key such as "+14155550100" without the extension, empty when the input is not a dialable number
	Extension string // digits dialled after the call connects, "123" from "x123" or ";ext=123", empty if none
}

// parseError is the error type of Parse. Its message names the rejected
// value, and it unwraps to ErrInvalid and to its causes.
type parseError struct {
	msg    string
	causes []error
}

func (e *parseError) Error() string { return e.msg }

func (e *parseError) Unwrap() []error { return append([]error{ErrInvalid}, e.causes...) }

func invalid(causes []error, format string, args ...any) error {
	return &parseError{msg: fmt.Sprintf(format, args...), causes: causes}
}

// Parse parses raw as a phone number, reading numbers without a country code
// in defaultRegion, which may be empty. Every error wraps ErrInvalid. The
// package documentation describes which numbers are accepted.
func Parse(raw, defaultRegion string) (Number, error) {
	number := Number{Raw: raw}

	parsed, err := parse(raw, defaultRegion)
	if err != nil {
		return number, err
	}

	number.E164 = phonenumbers.Format(parsed, phonenumbers.E164)
	number.Extension = parsed.GetExtension()
	return number, nil
}

// MatchKey returns the E.164 form of raw without its extension, the key
// Switchboard uses to match numbers. Errors are those of Parse.
func MatchKey(raw, defaultRegion string) (string, error) {
	number, err := Parse(raw, defaultRegion)
	if err != nil {
		return "", err
	}
	return number.E164, nil
}

// ValidRegion reports whether region, in either case, is an ISO 3166-1
// alpha-2 code that phonenumbers has metadata for. The empty string and the
// non-geographic code "001" are not valid regions.
func ValidRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[normalizeRegion(region)]
}

func normalizeRegion(region string) string {
	return strings.ToUpper(strings.TrimSpace(region))
}

// parse is Parse without building the Number, shared with NationalForms and
// ParseCallerID.
func parse(raw, defaultRegion string) (*phonenumbers.PhoneNumber, error) {
	if isBlank(raw) {
		return nil, invalid(nil, "phone number is missing")
	}

	region := normalizeRegion(defaultRegion)
	if region != "" && !ValidRegion(region) {
		return nil, invalid(nil, "default region %s is not supported: use an ISO 3166-1 alpha-2 code such as \"US\"", quote(defaultRegion))
	}

	cleaned := clean(raw)
	parsed, err := parseWithRecover(cleaned, region)
	if err != nil {
		return nil, describeParseError(raw, cleaned, region, err)
	}

	reason := phonenumbers.IsPossibleNumberWithReason(parsed)
	if reason != phonenumbers.IS_POSSIBLE {
		return nil, invalid(nil, "%s is not a valid phone number: %s", quote(raw), describeReason(reason, parsed))
	}
	return parsed, nil
}

// isBlank reports whether raw contains nothing but spaces and invisible
// format characters.
func isBlank(raw string) bool {
	return strings.TrimFunc(raw, isSpaceOrFormat) == ""
}

func isSpaceOrFormat(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// clean removes invisible Unicode format characters, turns every Unicode
// space into a plain space and drops a trailing extension marker that has no
// digits. Everything else is left to phonenumbers.
func clean(raw string) string {
	cleaned := strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		default:
			return r
		}
	}, raw)

	cleaned = strings.TrimSpace(cleaned)
	return danglingExtension.ReplaceAllString(cleaned, "")
}

// parseWithRecover calls phonenumbers.Parse and turns a panic inside it into
// an error, because its input comes straight from webhooks and uploaded files.
func parseWithRecover(number, region string) (parsed *phonenumbers.PhoneNumber, err error) {
	defer func() {
		if r := recover(); r != nil {
			parsed, err = nil, fmt.Errorf("phonenumbers panicked: %v", r)
		}
	}()

	return phonenumbers.Parse(number, region)
}

// describeParseError turns an error of phonenumbers.Parse into an error that
// names the value and wraps ErrInvalid.
func describeParseError(raw, cleaned, region string, err error) error {
	value := quote(raw)

	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "" && !strings.ContainsAny(cleaned, "+＋"):
		return invalid([]error{errNoCountryCode, err}, "%s has no country code and no default region is set", value)
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return invalid([]error{err}, "%s has an unknown country calling code", value)
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return invalid([]error{err}, "%s is not a valid phone number: too long", value)
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return invalid([]error{err}, "%s is not a valid phone number: too short", value)
	default:
		return invalid([]error{err}, "%s is not a valid phone number", value)
	}
}

// describeReason names why phonenumbers does not consider parsed possible.
func describeReason(reason phonenumbers.ValidationResult, parsed *phonenumbers.PhoneNumber) string {
	switch reason {
	case phonenumbers.TOO_SHORT:
		return "too short"
	case phonenumbers.TOO_LONG:
		return "too long"
	case phonenumbers.INVALID_LENGTH:
		return fmt.Sprintf("wrong number of digits for country code +%d", parsed.GetCountryCode())
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "only dialable locally, add the area code"
	case phonenumbers.INVALID_COUNTRY_CODE:
		return fmt.Sprintf("unknown country calling code +%d", parsed.GetCountryCode())
	default:
		return fmt.Sprintf("rejected by phonenumbers (validation result %d)", reason)
	}
}

// quote quotes value for an error message, shortened to maxQuotedRunes so
// that a whole CSV line or request body pasted into a phone field does not
// end up in the message.
func quote(value string) string {
	runes := []rune(value)
	if len(runes) <= maxQuotedRunes {
		return fmt.Sprintf("%q", value)
	}
	return fmt.Sprintf("%q...", string(runes[:maxQuotedRunes]))
}
