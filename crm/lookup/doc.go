// Package lookup finds the caller of an incoming call in a CRM in real
// time, fast enough to route the call by the CRM's record of the caller.
//
// # A lookup, step by step
//
//  1. The cache, keyed by workspace, CRM connection and E.164 number. A
//     record found stays CacheTTL (5 minutes by default); a number the CRM
//     does not know stays NegativeTTL (1 minute by default). The cache
//     holds CacheSize entries and drops the least recently used one when
//     it is full.
//  2. The connection's back-off: after a 429 (or Salesforce's
//     REQUEST_LIMIT_EXCEEDED) the connection is not called until the wait
//     the CRM asked for has passed (Retry-After; RateLimitBackoff when the
//     CRM named none), and lookups fail at once with ErrRateLimited.
//  3. The connection's circuit breaker (sony/gobreaker): BreakerFailures
//     consecutive failures open it, and lookups then fail at once with
//     ErrBreakerOpen. After BreakerTimeout one lookup probes the CRM; its
//     success closes the breaker, its failure opens it again. Rate-limit
//     answers and lookups the caller cancelled count neither way.
//  4. The connection's rate limiter (golang.org/x/time/rate), sized from
//     the CRM's documented limits (see DefaultLimits). A lookup that finds
//     no token free at once fails with ErrRateLimited rather than wait:
//     the call it serves cannot wait.
//  5. The search, in the forms of phone.NationalForms, within the
//     caller's context deadline.
//  6. The choice among matches. Archived records are dropped; the record
//     updated most recently is chosen, because a number found on several
//     records usually sits on an old duplicate and on the record people
//     work on now. Result.RecordIDs lists every match, the chosen one
//     first.
//  7. The connection's field mapping (crm/mapping) turns the record into
//     a contact, which ContactEnv shapes for routing rules.
//
// NOTE: a changed field mapping applies to cached numbers only once their
// entries expire.
//
// # Metrics
//
//	switchboard_crm_lookups_total{result}             lookups by result: hit, miss, cache_hit,
//	                                                  negative_cache_hit, error, timeout,
//	                                                  rate_limited or breaker_open
//	switchboard_crm_lookup_duration_seconds{result}   time a lookup took, cache included
package lookup
