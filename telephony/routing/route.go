package routing

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Limits on the fields of a route.
const (
	// MaxTimeoutSeconds caps how long a route rings. Ten minutes is far past
	// any useful ring time, so a larger value is treated as a typo.
	MaxTimeoutSeconds = 600
	// MaxTargetLength caps a route target and a caller name, in characters.
	MaxTargetLength = 256
)

// RouteError is an invalid route. Field is the JSON name of the route field
// at fault: "kind", "target", "timeout_seconds" or "caller_name".
type RouteError struct {
	Field   string
	Message string
}

func (e *RouteError) Error() string {
	return e.Field + ": " + e.Message
}

// ValidateDefaultRoute checks a connection's default route, the route used
// when no rule fires or routing fails, and returns it with a number target
// in E.164. Numbers without a country code are read in defaultRegion. The
// error is a *RouteError.
func ValidateDefaultRoute(r telephony.Route, defaultRegion string) (telephony.Route, error) {
	return validateRoute(r, defaultRegion)
}

func validateRoute(r telephony.Route, defaultRegion string) (telephony.Route, error) {
	if err := validateKind(r.Kind); err != nil {
		return r, err
	}

	target, err := normalizeTarget(r.Kind, r.Target, defaultRegion)
	if err != nil {
		return r, &RouteError{Field: "target", Message: err.Error()}
	}
	r.Target = target

	if r.TimeoutSeconds < 0 || r.TimeoutSeconds > MaxTimeoutSeconds {
		return r, &RouteError{
			Field:   "timeout_seconds",
			Message: fmt.Sprintf("%d is out of range: use 0 for the provider's default or 1 to %d seconds", r.TimeoutSeconds, MaxTimeoutSeconds),
		}
	}

	if err := checkText(r.CallerName); err != nil {
		return r, &RouteError{Field: "caller_name", Message: err.Error()}
	}

	return r, nil
}

func validateKind(kind telephony.TargetKind) error {
	switch kind {
	case telephony.TargetNumber, telephony.TargetSIP, telephony.TargetClient, telephony.TargetExtension,
		telephony.TargetQueue, telephony.TargetVoicemail, telephony.TargetHangup:
		return nil
	case "":
		return &RouteError{Field: "kind", Message: "missing: use " + kindList}
	default:
		return &RouteError{Field: "kind", Message: fmt.Sprintf("unknown kind %q: use %s", kind, kindList)}
	}
}

const kindList = "number, sip, client, extension, queue, voicemail or hangup"

// takesTarget reports whether a route of the kind can get its target from a
// target_expr. Voicemail takes an optional mailbox name.
func takesTarget(kind telephony.TargetKind) bool {
	return kind != telephony.TargetHangup
}

// normalizeTarget checks the target of a route of the given kind and returns
// it in canonical form: E.164 for numbers, the value unchanged otherwise.
func normalizeTarget(kind telephony.TargetKind, target, defaultRegion string) (string, error) {
	switch kind {
	case telephony.TargetNumber:
		return normalizeNumber(target, defaultRegion)
	case telephony.TargetSIP:
		return target, checkSIP(target)
	case telephony.TargetVoicemail:
		if target == "" {
			return "", nil
		}
		return target, checkName(target)
	case telephony.TargetHangup:
		if target != "" {
			return "", fmt.Errorf("a hangup route takes no target, got %q", target)
		}
		return "", nil
	default:
		return target, checkName(target)
	}
}

func normalizeNumber(target, defaultRegion string) (string, error) {
	if target == "" {
		return "", fmt.Errorf("missing: a number route needs a phone number such as +14155550100")
	}

	number, err := phone.Parse(target, defaultRegion)
	if err != nil {
		return "", err
	}
	if number.E164 == "" {
		return "", fmt.Errorf("%q is not a dialable phone number", target)
	}
	// A route has no field for digits to send after the call connects, so
	// dropping the extension would ring the main line instead.
	if number.Extension != "" {
		return "", fmt.Errorf("%q has an extension, which a number route cannot dial: remove it or route to the extension", target)
	}

	return number.E164, nil
}

func checkSIP(target string) error {
	lower := strings.ToLower(target)
	rest, ok := strings.CutPrefix(lower, "sip:")
	if !ok {
		rest, ok = strings.CutPrefix(lower, "sips:")
	}
	if !ok || rest == "" {
		return fmt.Errorf("invalid SIP URI %q: use sip:user@host or sips:user@host", target)
	}
	return checkName(target)
}

// checkName checks that a client identity, extension, queue name or SIP URI
// is present, not too long, and free of spaces and control characters. These
// values are identifiers, so a space in one is treated as a typo.
func checkName(target string) error {
	if target == "" {
		return fmt.Errorf("missing")
	}
	if err := checkText(target); err != nil {
		return err
	}
	if strings.IndexFunc(target, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%q contains a space", target)
	}
	return nil
}

func checkText(value string) error {
	if utf8.RuneCountInString(value) > MaxTargetLength {
		return fmt.Errorf("longer than %d characters", MaxTargetLength)
	}
	if !utf8.ValidString(value) || strings.IndexFunc(value, unicode.IsControl) >= 0 {
		return fmt.Errorf("%q contains a control character or invalid UTF-8", value)
	}
	return nil
}
