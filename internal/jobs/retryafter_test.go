package jobs

import (
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
)

// retryNow is the clock of the Retry-After tests.
var retryNow = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		wantDelay time.Duration
		wantOK    bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero seconds", "0", 0, true},
		{"spaces around seconds", " 5 ", 5 * time.Second, true},
		{"HTTP date", "Tue, 10 Mar 2026 14:01:30 GMT", 90 * time.Second, true},
		{"HTTP date in the past", "Tue, 10 Mar 2026 13:00:00 GMT", 0, true},
		{"seconds over the cap", "999999999999", MaxSnooze, true},
		{"date over the cap", "Fri, 10 Mar 2028 14:00:00 GMT", MaxSnooze, true},
		{"empty", "", 0, false},
		{"negative seconds", "-5", 0, false},
		{"fraction", "1.5", 0, false},
		{"not a date", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delay, ok := RetryAfter(tt.value, retryNow)

			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.wantDelay, delay)
		})
	}
}

func TestSnoozeForRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantSnooze time.Duration
		wantNil    bool
	}{
		{"too many requests", http.StatusTooManyRequests, "30", 30 * time.Second, false},
		{"service unavailable", http.StatusServiceUnavailable, "Tue, 10 Mar 2026 14:00:10 GMT", 10 * time.Second, false},
		{"too many requests without header", http.StatusTooManyRequests, "", 0, true},
		{"too many requests with invalid header", http.StatusTooManyRequests, "later", 0, true},
		{"server error with header", http.StatusInternalServerError, "30", 0, true},
		{"success", http.StatusOK, "30", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}

			err := SnoozeForRetryAfter(resp, retryNow)

			if tt.wantNil {
				require.NoError(t, err)
				return
			}
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, err, &snooze)
			require.Equal(t, tt.wantSnooze, snooze.Duration)
		})
	}
}

func TestSnoozeForRetryAfterNilResponse(t *testing.T) {
	require.NoError(t, SnoozeForRetryAfter(nil, retryNow))
}
