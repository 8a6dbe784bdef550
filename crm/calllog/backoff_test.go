package calllog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffWithinMaxBackoff(t *testing.T) {
	s := &Service{cfg: Config{RetryBase: 2 * time.Second, RetryCap: time.Hour}}
	for attempt := 1; attempt <= 20; attempt++ {
		for range 50 {
			require.LessOrEqual(t, s.backoff(attempt), s.maxBackoff(attempt), "attempt %d", attempt)
		}
	}
	require.Equal(t, 2400*time.Millisecond, s.maxBackoff(1), "the first retry's lease is seconds, not the cap")
	require.Equal(t, 72*time.Minute, s.maxBackoff(20))
}
