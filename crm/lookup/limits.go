package lookup

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/switchboard-oss/switchboard/crm"
)

// Limit is the rate of lookups one CRM connection may send: PerSecond on
// average, Burst at once.
type Limit struct {
	PerSecond float64
	Burst     int
}

// DefaultLimits are the lookup rates per CRM kind, below each CRM's
// documented limits so that sync and other integrations keep room:
//
//   - HubSpot: the CRM search endpoints allow 4 requests per second per
//     token (HubSpot changelog "CRM Search API Rate Limit Increase"), and
//     a lookup is one search. Owner reads count against the separate
//     general limit and are cached by the connector.
//   - Pipedrive: the search endpoints allow 10 requests per 2 seconds per
//     token (Pipedrive changelog "Announcing Search API rate limit",
//     2022), and a lookup sends three searches, so 5/3 lookups per second
//     with a burst of 3 (9 searches).
//   - Salesforce: no per-second limit, but a rolling 24-hour allocation
//     per org of 100,000 requests plus 1,000 per licence on Enterprise
//     Edition (Salesforce "API Request Limits and Allocations"). Half a
//     lookup per second is at most 43,200 a day, under half the smallest
//     allocation.
//   - Generic: unknown, so a cautious 2 per second; set Config.Limits to
//     the CRM's real limit.
var DefaultLimits = map[crm.Kind]Limit{
	crm.KindHubSpot:    {PerSecond: 4, Burst: 4},
	crm.KindPipedrive:  {PerSecond: 10.0 / 2 / 3, Burst: 3},
	crm.KindSalesforce: {PerSecond: 0.5, Burst: 5},
	crm.KindGeneric:    {PerSecond: 2, Burst: 5},
}

// fallbackLimit applies to a kind with no entry in DefaultLimits or
// Config.Limits.
var fallbackLimit = Limit{PerSecond: 1, Burst: 2}

// maxConnectionStates bounds the per-connection states kept in memory. A
// full map is emptied rather than evicted one by one: with more CRM
// connections than this, breakers and limiters start afresh more often.
const maxConnectionStates = 10000

// connState is the breaker, rate limiter and back-off of one CRM
// connection.
type connState struct {
	breaker *gobreaker.CircuitBreaker[[]crm.Record]

	mu sync.Mutex
	// limiter is built by the first lookup that has read the
	// connection's kind.
	limiter *rate.Limiter
	// notBefore is the end of the wait that a rate-limit response
	// requested.
	notBefore time.Time
}

// state returns the state of connection id, creating it on first use.
func (s *Service) state(id string) *connState {
	s.mu.Lock()
	defer s.mu.Unlock()

	if st, ok := s.states[id]; ok {
		return st
	}
	if len(s.states) >= maxConnectionStates {
		clear(s.states)
	}
	st := &connState{breaker: s.newBreaker(id)}
	s.states[id] = st
	return st
}

func (s *Service) newBreaker(id string) *gobreaker.CircuitBreaker[[]crm.Record] {
	failures := s.cfg.BreakerFailures
	return gobreaker.NewCircuitBreaker[[]crm.Record](gobreaker.Settings{
		Name:        id,
		MaxRequests: 1, // one probe in the half-open state
		Timeout:     s.cfg.BreakerTimeout,
		ReadyToTrip: func(counts gobreaker.Counts) bool { return counts.ConsecutiveFailures >= failures },
		IsExcluded:  excludedFromBreaker,
		OnStateChange: func(name string, from, to gobreaker.State) {
			s.log.Warn("CRM circuit breaker changed state",
				zap.String("crm_connection_id", name), zap.String("from", from.String()), zap.String("to", to.String()))
		},
	})
}

// excludedFromBreaker reports errors that tell nothing of the CRM's
// health: rate-limit responses, which the back-off handles, and lookups
// the caller cancelled.
func excludedFromBreaker(err error) bool {
	var limited *crm.RateLimitedError
	return errors.As(err, &limited) || errors.Is(err, context.Canceled)
}

// blockedUntil returns the end of the back-off, zero when there is none
// at now.
func (st *connState) blockedUntil(now time.Time) time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	if now.Before(st.notBefore) {
		return st.notBefore
	}
	return time.Time{}
}

// backOff makes the connection wait until at least until.
func (st *connState) backOff(until time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if until.After(st.notBefore) {
		st.notBefore = until
	}
}

// allow takes a token from the connection's limiter at now, building the
// limiter with limit on first use. It returns false at once when no token
// is free, because it uses AllowN, which does not wait.
func (st *connState) allow(limit Limit, now time.Time) bool {
	st.mu.Lock()
	if st.limiter == nil {
		st.limiter = rate.NewLimiter(rate.Limit(limit.PerSecond), limit.Burst)
	}
	limiter := st.limiter
	st.mu.Unlock()
	return limiter.AllowN(now, 1)
}

// limit returns the lookup rate of kind.
func (s *Service) limit(kind crm.Kind) Limit {
	if l, ok := s.cfg.Limits[kind]; ok {
		return l
	}
	if l, ok := DefaultLimits[kind]; ok {
		return l
	}
	return fallbackLimit
}
