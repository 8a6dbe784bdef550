package gateway

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// epochSeconds matches Unix epoch seconds with an optional fraction.
var epochSeconds = regexp.MustCompile(`^([0-9]{1,12})(?:\.([0-9]{1,9}))?$`)

// maxEpochSeconds is the start of the year 10000, past which RFC 3339
// cannot write a time.
const maxEpochSeconds = 253402300800

// parseTime reads a time parameter: Unix epoch seconds such as 1700000000
// or 1700000000.25, or RFC 3339 such as 2024-05-01T12:00:00Z or
// 2024-05-01T14:00:00.5+02:00. Digits past milliseconds are dropped. An
// unescaped + in a query string arrives as a space, so a space before the
// offset is read as +.
func parseTime(value string) (store.UnixMilli, error) {
	value = strings.TrimSpace(value)
	if m := epochSeconds.FindStringSubmatch(value); m != nil {
		return parseEpoch(m[1], m[2])
	}

	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil && strings.Contains(value, " ") {
		t, err = time.Parse(time.RFC3339Nano, strings.Replace(value, " ", "+", 1))
	}
	if err != nil {
		return store.UnixMilli{}, fmt.Errorf("%q is neither Unix epoch seconds (1700000000 or 1700000000.25) nor an RFC 3339 time (2024-05-01T12:00:00Z)", value)
	}
	return store.Millis(t), nil
}

func parseEpoch(whole, fraction string) (store.UnixMilli, error) {
	seconds, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || seconds >= maxEpochSeconds {
		return store.UnixMilli{}, fmt.Errorf("%s is past the year 9999", whole)
	}
	millis := int64(0)
	if fraction != "" {
		digits := (fraction + "00")[:3]
		millis, _ = strconv.ParseInt(digits, 10, 64)
	}
	return store.Millis(time.UnixMilli(seconds*1000 + millis)), nil
}

// queryProblem returns a 400 problem naming the query parameter name.
func queryProblem(name, reason string, args ...any) *Problem {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	p := newProblem(probMalformed, "Query parameter %s %s.", name, reason)
	p.InvalidParams = []validation.FieldError{{Field: name, Reason: reason}}
	return p
}

// asQueryProblem turns the validation errors of a call driven by query
// parameters into the 400 problem every bad query parameter gets, and
// passes other errors on.
func asQueryProblem(err error) error {
	var verr *validation.Error
	if !errors.As(err, &verr) {
		return err
	}
	p := newProblem(probMalformed, "%s; invalid_params names each with the reason.", countParams(len(verr.Fields)))
	p.InvalidParams = verr.Fields
	return p
}

func countParams(n int) string {
	if n == 1 {
		return "1 query parameter is invalid"
	}
	return fmt.Sprintf("%d query parameters are invalid", n)
}
