package jobs

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// MaxSnooze caps the delay SnoozeForRetryAfter takes from a Retry-After
// header, so a wrong header cannot park a job for months. A day still
// covers daily API quotas.
const MaxSnooze = 24 * time.Hour

// SnoozeForRetryAfter returns river.JobSnooze with the delay in resp's
// Retry-After header when resp is 429 Too Many Requests or 503 Service
// Unavailable, and nil otherwise. A worker returns the snooze as its error:
// River runs the job again after the delay without using an attempt.
//
// A 429 or 503 without a valid Retry-After also returns nil, so the worker
// returns an ordinary error and the job backs off like any failure.
func SnoozeForRetryAfter(resp *http.Response, now time.Time) error {
	if resp == nil {
		return nil
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return nil
	}
	delay, ok := RetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		return nil
	}
	return river.JobSnooze(delay)
}

// RetryAfter parses a Retry-After header value, either delay-seconds or an
// HTTP-date (RFC 9110, section 10.2.3), into the delay from now. A date in
// the past gives 0, and a delay over MaxSnooze gives MaxSnooze. It returns
// false for an empty or invalid value.
func RetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}

	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		if seconds > int64(MaxSnooze/time.Second) {
			return MaxSnooze, true
		}
		return time.Duration(seconds) * time.Second, true
	}

	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(now), 0), MaxSnooze), true
}
