package lookup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Defaults of Config.
const (
	DefaultCacheTTL         = 5 * time.Minute
	DefaultNegativeTTL      = time.Minute
	DefaultCacheSize        = 10000 // entries
	DefaultBreakerFailures  = 5
	DefaultBreakerTimeout   = 30 * time.Second
	DefaultRateLimitBackoff = 10 * time.Second
)

// Errors returned (wrapped) by Lookup besides the connector's and the
// store's.
var (
	// ErrRateLimited means the lookup was not sent: the connection's rate
	// limiter had no token free, or the CRM asked to wait and the wait has
	// not passed.
	ErrRateLimited = errors.New("CRM lookup rate limited")
	// ErrBreakerOpen means the lookup was not sent because the
	// connection's recent lookups failed.
	ErrBreakerOpen = errors.New("CRM lookups paused after repeated failures")
	// ErrInvalidNumber means the number is not in E.164 form.
	ErrInvalidNumber = errors.New("not an E.164 phone number")
)

// Connections opens CRM connections with their connectors.
// *crmconn.Service implements it.
type Connections interface {
	Open(ctx context.Context, workspaceID, id string) (crmconn.Connection, crm.Connector, error)
}

// Workspaces reads workspaces. *store.Store implements it.
type Workspaces interface {
	GetWorkspace(ctx context.Context, id string) (store.Workspace, error)
}

// Config holds what a Service needs. Zero durations and sizes take their
// defaults.
type Config struct {
	Connections Connections
	// Workspaces gives the default region that the mapping reads phone
	// numbers without a country code in. Nil, or a workspace that cannot
	// be read, uses the region of the caller's number instead.
	Workspaces Workspaces
	Log        *zap.Logger
	// Registry receives the metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// CacheTTL is how long a record found stays cached; DefaultCacheTTL.
	CacheTTL time.Duration
	// NegativeTTL is how long a number the CRM does not know stays cached;
	// DefaultNegativeTTL.
	NegativeTTL time.Duration
	// CacheSize is the number of cached numbers; DefaultCacheSize.
	CacheSize int
	// Limits replace DefaultLimits for the kinds they name.
	Limits map[crm.Kind]Limit
	// BreakerFailures is the number of consecutive failures that open a
	// connection's breaker; DefaultBreakerFailures.
	BreakerFailures uint32
	// BreakerTimeout is how long an open breaker waits before a probe;
	// DefaultBreakerTimeout.
	BreakerTimeout time.Duration
	// RateLimitBackoff is the wait after a rate-limit response without
	// Retry-After; DefaultRateLimitBackoff.
	RateLimitBackoff time.Duration
	// Now is the clock of the cache, the limiter and the back-off;
	// time.Now when nil. The breaker's timeout runs on the real clock.
	Now func() time.Time
}

// Service looks callers up in CRMs. It is safe for concurrent use.
type Service struct {
	cfg     Config
	log     *zap.Logger
	now     func() time.Time
	cache   *cache
	metrics metrics

	mu     sync.Mutex
	states map[string]*connState
}

// Result is the record a lookup chose and the contact the connection's
// mapping made of it. Results may be shared with the cache: read them,
// never change them.
type Result struct {
	ConnectionID string
	Kind         crm.Kind
	// Record is the chosen record, its URL filled in.
	Record crm.Record
	// Contact is Record through the connection's field mapping.
	Contact directory.ContactInput
	// Matches is the number of records with the number.
	Matches int
	// RecordIDs are the ids of every matching record, Record's first.
	RecordIDs []string
	// Region is the region Contact's phone numbers were read in.
	Region string
}

// New returns a Service and registers its metrics with cfg.Registry.
func New(cfg Config) (*Service, error) {
	if cfg.Connections == nil {
		return nil, errors.New("CRM lookup service: connections are required")
	}
	applyDefaults(&cfg)

	m := newMetrics()
	if cfg.Registry != nil {
		if err := m.register(cfg.Registry); err != nil {
			return nil, fmt.Errorf("CRM lookup service: register metrics: %w", err)
		}
	}
	return &Service{
		cfg:     cfg,
		log:     cfg.Log.Named("crm_lookup"),
		now:     cfg.Now,
		cache:   newCache(cfg.CacheSize, cfg.Now),
		metrics: m,
		states:  map[string]*connState{},
	}, nil
}

func applyDefaults(cfg *Config) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = DefaultNegativeTTL
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = DefaultBreakerFailures
	}
	if cfg.BreakerTimeout <= 0 {
		cfg.BreakerTimeout = DefaultBreakerTimeout
	}
	if cfg.RateLimitBackoff <= 0 {
		cfg.RateLimitBackoff = DefaultRateLimitBackoff
	}
}

// Lookup finds the record with the phone number e164 in the CRM connection
// crmConnectionID of workspaceID, as the package comment describes. It
// returns nil and no error when the CRM has no such record. It returns
// when ctx is done, with an error wrapping ctx's error.
func (s *Service) Lookup(ctx context.Context, workspaceID, crmConnectionID, e164 string) (*Result, error) {
	started := time.Now()
	res, outcome, err := s.lookup(ctx, workspaceID, crmConnectionID, e164)
	s.metrics.observe(outcome, time.Since(started))

	switch outcome {
	case resultError, resultTimeout:
		s.log.Warn("CRM lookup failed",
			zap.String("workspace_id", workspaceID), zap.String("crm_connection_id", crmConnectionID),
			zap.String("result", outcome), zap.Error(err))
	case resultRateLimited, resultBreakerOpen:
		// Every call while a connection is throttled ends here, so the
		// breaker's state changes and the 429s are what is logged at warn.
		s.log.Debug("CRM lookup skipped",
			zap.String("workspace_id", workspaceID), zap.String("crm_connection_id", crmConnectionID),
			zap.String("result", outcome), zap.Error(err))
	}
	return res, err
}

// Forget drops the cached result of e164 on the CRM connection
// crmConnectionID, such as a "not found" for a number that has just got a
// record, so the next lookup searches the CRM. It drops this instance's entry
// only; other instances keep theirs until it expires.
func (s *Service) Forget(workspaceID, crmConnectionID, e164 string) {
	forms := phone.NationalForms(e164)
	if len(forms) == 0 {
		return
	}
	s.cache.remove(cacheKey(workspaceID, crmConnectionID, forms[0]))
}

// cacheKey is the cache key of a number, given in E.164 form.
func cacheKey(workspaceID, connID, e164 string) string {
	return workspaceID + "\x00" + connID + "\x00" + e164
}

// lookup does the work of Lookup and names its outcome for the metrics.
func (s *Service) lookup(ctx context.Context, workspaceID, connID, e164 string) (*Result, string, error) {
	forms := phone.NationalForms(e164)
	if len(forms) == 0 {
		return nil, resultError, fmt.Errorf("CRM lookup: %w: %q", ErrInvalidNumber, e164)
	}
	key := cacheKey(workspaceID, connID, forms[0])
	if cached, ok := s.cache.get(key); ok {
		if cached == nil {
			return nil, resultNegativeCacheHit, nil
		}
		return cached, resultCacheHit, nil
	}

	st := s.state(connID)
	conn, connector, outcome, err := s.admit(ctx, st, workspaceID, connID)
	if err != nil {
		return nil, outcome, err
	}
	records, outcome, err := s.search(ctx, st, connID, connector, forms)
	if err != nil {
		return nil, outcome, err
	}

	res, err := s.result(ctx, conn, connector, records, e164)
	if err != nil {
		return nil, resultError, err
	}
	if res == nil {
		s.cache.put(key, nil, s.cfg.NegativeTTL)
		return nil, resultMiss, nil
	}
	s.cache.put(key, res, s.cfg.CacheTTL)
	return res, resultHit, nil
}

// admit checks the connection's back-off and breaker, opens it and takes
// a token from its limiter. It returns the outcome of a lookup it stops.
func (s *Service) admit(ctx context.Context, st *connState, workspaceID, connID string) (crmconn.Connection, crm.Connector, string, error) {
	if until := st.blockedUntil(s.now()); !until.IsZero() {
		return crmconn.Connection{}, nil, resultRateLimited, fmt.Errorf("CRM connection %s: %w: the CRM requested a wait until %s",
			connID, ErrRateLimited, until.UTC().Format(time.RFC3339))
	}
	if st.breaker.State() == gobreaker.StateOpen {
		return crmconn.Connection{}, nil, resultBreakerOpen, fmt.Errorf("CRM connection %s: %w", connID, ErrBreakerOpen)
	}

	conn, connector, err := s.cfg.Connections.Open(ctx, workspaceID, connID)
	if err != nil {
		return crmconn.Connection{}, nil, outcomeOf(ctx, err), fmt.Errorf("CRM lookup: %w", err)
	}
	limit := s.limit(conn.Kind)
	if !st.allow(limit, s.now()) {
		return crmconn.Connection{}, nil, resultRateLimited, fmt.Errorf("CRM connection %s: %w: more than %g lookups per second (burst %d)",
			connID, ErrRateLimited, limit.PerSecond, limit.Burst)
	}
	return conn, connector, "", nil
}

// search sends the search through the connection's breaker. It returns
// the outcome of a failed search.
func (s *Service) search(ctx context.Context, st *connState, connID string, connector crm.Connector, forms []string) ([]crm.Record, string, error) {
	records, err := st.breaker.Execute(func() ([]crm.Record, error) {
		return connector.SearchByPhone(ctx, forms)
	})
	if err == nil {
		return records, "", nil
	}

	switch outcome := s.searchFailed(st, connID, err); outcome {
	case resultRateLimited:
		return nil, outcome, fmt.Errorf("CRM connection %s: %w: %w", connID, ErrRateLimited, err)
	case resultBreakerOpen:
		return nil, outcome, fmt.Errorf("CRM connection %s: %w: %w", connID, ErrBreakerOpen, err)
	}
	return nil, outcomeOf(ctx, err), fmt.Errorf("CRM connection %s: %w", connID, err)
}

// searchFailed handles the breaker's rejections and rate-limit responses
// and returns their outcome, or "" for other errors.
func (s *Service) searchFailed(st *connState, connID string, err error) string {
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return resultBreakerOpen
	}

	var limited *crm.RateLimitedError
	if !errors.As(err, &limited) {
		return ""
	}
	wait := limited.RetryAfter
	if wait <= 0 {
		wait = s.cfg.RateLimitBackoff
	}
	st.backOff(s.now().Add(wait))
	s.log.Warn("CRM rate limit reached: lookups of this connection pause",
		zap.String("crm_connection_id", connID), zap.Duration("retry_after", wait))
	return resultRateLimited
}

// outcomeOf names the outcome of a failed lookup: timeout when ctx's
// deadline passed, error otherwise.
func outcomeOf(ctx context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return resultTimeout
	}
	return resultError
}

// result chooses among records and maps the chosen one. It returns nil
// when no record is left once archived ones are dropped.
func (s *Service) result(ctx context.Context, conn crmconn.Connection, connector crm.Connector, records []crm.Record, e164 string) (*Result, error) {
	records = slices.DeleteFunc(slices.Clone(records), func(r crm.Record) bool { return r.Archived })
	if len(records) == 0 {
		return nil, nil
	}
	// Most recently updated first; a stable sort keeps the CRM's order
	// among records updated at the same time.
	slices.SortStableFunc(records, func(a, b crm.Record) int { return b.UpdatedAt.Compare(a.UpdatedAt) })

	chosen := records[0]
	if chosen.URL == "" {
		chosen.URL = connector.RecordURL(chosen)
	}
	region := s.region(ctx, conn.WorkspaceID, e164)
	contact, err := mapping.Apply(conn.EffectiveMapping(), chosen, region)
	if err != nil {
		return nil, fmt.Errorf("CRM connection %s: apply the field mapping to record %s: %w", conn.ID, chosen.ID, err)
	}

	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	return &Result{
		ConnectionID: conn.ID,
		Kind:         conn.Kind,
		Record:       chosen,
		Contact:      contact,
		Matches:      len(records),
		RecordIDs:    ids,
		Region:       region,
	}, nil
}

// region returns the workspace's default region, or the region of e164
// when the workspace cannot be read.
func (s *Service) region(ctx context.Context, workspaceID, e164 string) string {
	if s.cfg.Workspaces != nil {
		w, err := s.cfg.Workspaces.GetWorkspace(ctx, workspaceID)
		if err == nil && w.DefaultRegion != "" {
			return w.DefaultRegion
		}
	}
	return callerRegion(e164)
}
