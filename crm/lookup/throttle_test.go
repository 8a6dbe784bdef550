package lookup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/lookup"
)

// numbers are distinct callers, so no lookup is served from the cache.
var numbers = []string{"+14155550101", "+14155550102", "+14155550103", "+14155550104", "+14155550105", "+14155550106"}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.BreakerFailures = 3; c.BreakerTimeout = time.Hour })
	f.connector.answer(searchAnswer{err: crm.ErrUnavailable})
	for _, number := range numbers[:3] {
		_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, number)
		require.ErrorIs(t, err, crm.ErrUnavailable)
	}

	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[3])

	require.ErrorIs(t, err, lookup.ErrBreakerOpen)
	require.Equal(t, 3, f.connector.calls(), "an open breaker sends nothing")
	require.Equal(t, 1.0, f.lookups(t, "breaker_open"))
}

func TestBreakerClosesAfterSuccessfulProbe(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.BreakerFailures = 2; c.BreakerTimeout = 10 * time.Millisecond })
	f.connector.answer(
		searchAnswer{err: crm.ErrUnavailable}, searchAnswer{err: crm.ErrUnavailable},
		searchAnswer{records: []crm.Record{ann()}},
	)
	for _, number := range numbers[:2] {
		_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, number)
		require.ErrorIs(t, err, crm.ErrUnavailable)
	}
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[2])
	require.ErrorIs(t, err, lookup.ErrBreakerOpen)

	// gobreaker times the open state on the real clock: after the timeout
	// the next lookup is the half-open probe.
	time.Sleep(20 * time.Millisecond)
	probe, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[3])
	require.NoError(t, err)
	require.NotNil(t, probe)

	next, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[4])
	require.NoError(t, err, "the successful probe closed the breaker")
	require.NotNil(t, next)
	require.Equal(t, 4, f.connector.calls())
}

func TestBreakerReopensAfterFailedProbe(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.BreakerFailures = 1; c.BreakerTimeout = 10 * time.Millisecond })
	f.connector.answer(searchAnswer{err: crm.ErrUnavailable})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[0])
	require.ErrorIs(t, err, crm.ErrUnavailable)

	time.Sleep(20 * time.Millisecond)
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[1])
	require.ErrorIs(t, err, crm.ErrUnavailable, "the probe is sent")
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[2])

	require.ErrorIs(t, err, lookup.ErrBreakerOpen)
	require.Equal(t, 2, f.connector.calls())
}

func TestRetryAfterPausesLookups(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.BreakerFailures = 1 })
	f.connector.answer(
		searchAnswer{err: &crm.RateLimitedError{RetryAfter: 30 * time.Second}},
		searchAnswer{records: []crm.Record{ann()}},
	)
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[0])
	require.ErrorIs(t, err, lookup.ErrRateLimited)
	var limited *crm.RateLimitedError
	require.ErrorAs(t, err, &limited, "the CRM's answer stays in the chain")

	f.clock.advance(29 * time.Second)
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[1])
	require.ErrorIs(t, err, lookup.ErrRateLimited)
	require.Equal(t, 1, f.connector.calls(), "nothing is sent before Retry-After has passed")

	f.clock.advance(time.Second)
	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[1])
	require.NoError(t, err, "a 429 does not count as a failure, so the breaker with a threshold of 1 stays closed")
	require.NotNil(t, res)
	require.Equal(t, 2.0, f.lookups(t, "rate_limited"))
}

func TestRateLimitWithoutRetryAfterUsesBackoff(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.RateLimitBackoff = 5 * time.Second })
	f.connector.answer(searchAnswer{err: &crm.RateLimitedError{}}, searchAnswer{records: []crm.Record{}})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[0])
	require.ErrorIs(t, err, lookup.ErrRateLimited)

	f.clock.advance(4 * time.Second)
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[1])
	require.ErrorIs(t, err, lookup.ErrRateLimited)

	f.clock.advance(time.Second)
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[1])
	require.NoError(t, err)
	require.Equal(t, 2, f.connector.calls())
}

func TestRateLimiterFailsFast(t *testing.T) {
	f := setup(t, func(c *lookup.Config) {
		c.Limits = map[crm.Kind]lookup.Limit{crm.KindHubSpot: {PerSecond: 1, Burst: 2}}
	})
	f.connector.answer(searchAnswer{records: []crm.Record{}})
	for _, number := range numbers[:2] {
		_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, number)
		require.NoError(t, err)
	}

	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[2])
	require.ErrorIs(t, err, lookup.ErrRateLimited)
	require.Equal(t, 2, f.connector.calls(), "the burst of 2 is spent and the lookup does not wait")

	f.clock.advance(time.Second)
	_, err = f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[2])
	require.NoError(t, err, "one token per second came back")
	require.Equal(t, 3, f.connector.calls())
}

func TestCachedAnswersSkipTheLimiter(t *testing.T) {
	f := setup(t, func(c *lookup.Config) {
		c.Limits = map[crm.Kind]lookup.Limit{crm.KindHubSpot: {PerSecond: 1, Burst: 1}}
	})
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})
	for range 3 {
		res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, numbers[0])
		require.NoError(t, err)
		require.NotNil(t, res)
	}

	require.Equal(t, 1, f.connector.calls())
}

func TestDefaultLimitsStayBelowDocumentedLimits(t *testing.T) {
	tests := []struct {
		name      string
		kind      crm.Kind
		maxPerSec float64 // documented requests per second, divided by requests per lookup
		maxBurst  int
	}{
		{name: "hubspot search 4 per second", kind: crm.KindHubSpot, maxPerSec: 4, maxBurst: 4},
		{name: "pipedrive search 10 per 2 seconds, 3 per lookup", kind: crm.KindPipedrive, maxPerSec: 10.0 / 2 / 3, maxBurst: 3},
		{name: "salesforce 100000 per day", kind: crm.KindSalesforce, maxPerSec: 100000.0 / 86400, maxBurst: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := lookup.DefaultLimits[tt.kind]
			require.LessOrEqual(t, limit.PerSecond, tt.maxPerSec)
			require.LessOrEqual(t, limit.Burst, tt.maxBurst)
			require.Positive(t, limit.Burst)
		})
	}
}
