package phone

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// CallerKind classifies a caller ID.
type CallerKind string

// Caller ID kinds that ParseCallerID returns.
const (
	CallerNumber    CallerKind = "number"    // a phone number, with E164 empty when it has no country code and no default region was given
	CallerAnonymous CallerKind = "anonymous" // the caller withheld the number, or the platform did not receive one
	CallerSIP       CallerKind = "sip"       // a sip: or sips: URI
	CallerClient    CallerKind = "client"    // a Twilio Voice SDK client, "client:alice"
	CallerUnknown   CallerKind = "unknown"   // anything else, including numbers that Parse rejects
)

// CallerID is a caller ID from a VoIP platform, classified.
type CallerID struct {
	Raw            string     // the text exactly as given
	Kind           CallerKind // classification of Raw
	E164           string     // match key of the number, also set for a SIP URI whose user part parses as a number
	SIPUser        string     // user part of a SIP URI, percent-decoded, without password and parameters
	ClientIdentity string     // identity after "client:"
}

// withheldWords are caller IDs, compared in lower case, that platforms and
// carriers send in place of a withheld or missing number.
var withheldWords = map[string]bool{
	"anonymous":        true,
	"withheld":         true,
	"restricted":       true,
	"unavailable":      true,
	"private":          true,
	"unknown":          true,
	"blocked":          true,
	"private number":   true,
	"unknown number":   true,
	"withheld number":  true,
	"number withheld":  true,
	"anonymous caller": true,
}

// keypadWithheldWords are the words ANONYMOUS, RESTRICTED, UNAVAILABLE,
// UNKNOWN and BLOCKED spelled on a phone keypad. Twilio puts these digits,
// with a "+" and sometimes a "1" in front, into From when the caller ID is
// withheld, for example "+266696687".
//
// NOTE: "+17378742833" (RESTRICTED) is also a well-formed number in the
// Austin, Texas area code 737, so that line, if assigned, reads as anonymous.
var keypadWithheldWords = map[string]bool{
	"266696687":   true,
	"7378742833":  true,
	"86282452253": true,
	"8656696":     true,
	"2562533":     true,
}

// numericUser matches a SIP user part that is written as a phone number.
var numericUser = regexp.MustCompile(`^\+?[0-9][0-9()./ -]*$`)

// ParseCallerID classifies raw, a caller ID from a VoIP platform, and
// extracts what it can. It returns no error and does not panic, so input
// that it cannot classify gets CallerUnknown. An unsupported defaultRegion
// is treated as empty.
func ParseCallerID(raw, defaultRegion string) CallerID {
	callerID := CallerID{Raw: raw, Kind: CallerUnknown}
	if !ValidRegion(defaultRegion) {
		defaultRegion = ""
	}

	value := stripDisplayName(clean(raw))
	lower := strings.ToLower(value)

	switch {
	case isWithheld(lower):
		callerID.Kind = CallerAnonymous
	case strings.HasPrefix(lower, "sip:"), strings.HasPrefix(lower, "sips:"):
		parseSIPCaller(&callerID, value, defaultRegion)
	case strings.HasPrefix(lower, "client:"):
		parseClientCaller(&callerID, value)
	default:
		parseNumberCaller(&callerID, value, defaultRegion)
	}
	return callerID
}

// stripDisplayName returns the address inside angle brackets of a header
// value such as `"Alice" <sip:alice@example.com>`, or value unchanged.
func stripDisplayName(value string) string {
	start := strings.LastIndex(value, "<")
	if start < 0 || !strings.HasSuffix(value, ">") {
		return value
	}
	return strings.TrimSpace(value[start+1 : len(value)-1])
}

// isWithheld reports whether lower, a cleaned caller ID in lower case, marks a
// withheld number: it is empty, a withheld word, its keypad digits or all zeros.
func isWithheld(lower string) bool {
	if lower == "" || withheldWords[lower] {
		return true
	}

	digits := strings.TrimPrefix(lower, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	return keypadWithheldWords[digits] ||
		keypadWithheldWords[strings.TrimPrefix(digits, "1")] ||
		strings.Trim(digits, "0") == ""
}

// parseSIPCaller fills callerID from a sip: or sips: URI. The user part
// "anonymous" and the host "anonymous.invalid", which RFC 3323 recommends for
// withheld identities, make the caller anonymous.
func parseSIPCaller(callerID *CallerID, uri, defaultRegion string) {
	_, rest, _ := strings.Cut(uri, ":")
	user, host, hasUser := strings.Cut(rest, "@")
	if !hasUser {
		user, host = "", rest
	}

	user, _, _ = strings.Cut(user, ";") // telephone-subscriber parameters such as ";isub="
	user, _, _ = strings.Cut(user, ":") // password
	if decoded, err := url.PathUnescape(user); err == nil {
		user = decoded
	}

	host, _, _ = strings.Cut(host, ";")
	withheldUser := user != "" && isWithheld(strings.ToLower(user))
	if withheldUser || strings.EqualFold(host, "anonymous.invalid") {
		callerID.Kind = CallerAnonymous
		return
	}

	callerID.Kind = CallerSIP
	callerID.SIPUser = user
	if numericUser.MatchString(user) {
		callerID.E164, _ = MatchKey(user, defaultRegion)
	}
}

// parseClientCaller fills callerID from a "client:identity" caller ID.
func parseClientCaller(callerID *CallerID, value string) {
	_, identity, _ := strings.Cut(value, ":")
	identity = strings.TrimSpace(identity)
	if identity == "" {
		return
	}

	callerID.Kind = CallerClient
	callerID.ClientIdentity = identity
}

// parseNumberCaller fills callerID from a caller ID that should be a number.
func parseNumberCaller(callerID *CallerID, value, defaultRegion string) {
	number, err := Parse(value, defaultRegion)
	switch {
	case err == nil:
		callerID.Kind = CallerNumber
		callerID.E164 = number.E164
	case errors.Is(err, errNoCountryCode):
		callerID.Kind = CallerNumber
	}
}
