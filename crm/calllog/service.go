package calllog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Defaults of Config.
const (
	DefaultMaxAttempts       = 25
	DefaultRetryBase         = 2 * time.Second
	DefaultRetryCap          = time.Hour
	DefaultCreateSearchDelay = 30 * time.Second
	DefaultDrainBudget       = 50 * time.Second
	DefaultRateLimitWait     = 30 * time.Second
	DefaultSettleDelay       = 5 * time.Second
)

// MaxNotesLength is the longest notes text a call may have, in
// characters (Unicode code points, as JSON Schema's maxLength counts).
const MaxNotesLength = 10000

// ErrNoQueue is returned when a log must be enqueued but SetQueue was
// never called.
var ErrNoQueue = errors.New("the job queue that logs calls to CRMs is not configured")

// Connections opens CRM connections with their connectors.
// *crmconn.Service implements it.
type Connections interface {
	Open(ctx context.Context, workspaceID, id string) (crmconn.Connection, crm.Connector, error)
}

// Enqueuer inserts jobs in the caller's transaction. *jobs.Queue is one.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *store.Queries, args river.JobArgs, opts *river.InsertOpts) error
}

// AgentEmail returns the email address of the Switchboard user whom the
// provider names agent, or "" when no user matches.
type AgentEmail func(ctx context.Context, workspaceID, agent string) (string, error)

// LookupCache is the cache of real-time CRM lookups. *lookup.Service is
// one.
type LookupCache interface {
	// Forget drops the cached result of e164 on a CRM connection.
	Forget(workspaceID, crmConnectionID, e164 string)
}

// Config holds what a Service needs. Zero durations and counts take their
// defaults.
type Config struct {
	Store       *store.Store
	Connections Connections
	// AgentEmail maps agents to email addresses; nil uses an agent only
	// when it is an email address itself.
	AgentEmail AgentEmail
	// Events records call.logged for webhook subscribers; nil records
	// none.
	Events webhooks.Emitter
	// Lookups is the real-time lookup cache, from which call logging drops
	// a number's "not found" once it creates a record for the number. Nil
	// drops nothing.
	Lookups  LookupCache
	Log      *zap.Logger
	Registry prometheus.Registerer
	// MaxAttempts is the number of failed attempts after which a log
	// fails for good; DefaultMaxAttempts.
	MaxAttempts int
	// RetryBase and RetryCap shape the backoff of a drain job after an
	// unavailable CRM: RetryBase doubled per attempt up to RetryCap, ±20%.
	RetryBase time.Duration
	RetryCap  time.Duration
	// CreateSearchDelay is how long after an interrupted create the CRM is
	// searched for the entry; DefaultCreateSearchDelay.
	CreateSearchDelay time.Duration
	// DrainBudget is how long one drain job runs before it hands over to
	// a new one; DefaultDrainBudget.
	DrainBudget time.Duration
	// SettleDelay is how long the logs of a call that just ended wait
	// before their first write, so that the events right after the first
	// final one are in it. A Twilio dial hook, for one, ends a call before
	// its status callback brings the end time, and a Pipedrive call log's
	// times cannot be changed once written. Zero means DefaultSettleDelay,
	// and a negative value means no wait.
	SettleDelay time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service logs calls to CRMs and serves the call log state to the API. It
// is safe for concurrent use.
type Service struct {
	cfg     Config
	store   *store.Store
	log     *zap.Logger
	now     func() time.Time
	metrics *metrics

	mu    sync.Mutex
	queue Enqueuer
	// paces holds the limiter and concurrency of each connection.
	paces map[string]*pace
	// users caches CRM user ids by connection and email.
	users *crmhttp.Cache[string]
	zones map[string]*time.Location
	// created holds the records created for unknown callers, by
	// contactKey, until the CRM's search finds them.
	created *crmhttp.Cache[string]
	// numbers serialises the choice of record per connection and number.
	numbers numberLocks
}

// New returns a Service and registers its metrics with cfg.Registry.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Connections == nil {
		return nil, errors.New("call log service: store and connections are required")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.MaxAttempts, DefaultMaxAttempts)
	setDefault(&cfg.RetryBase, DefaultRetryBase)
	setDefault(&cfg.RetryCap, DefaultRetryCap)
	setDefault(&cfg.CreateSearchDelay, DefaultCreateSearchDelay)
	setDefault(&cfg.DrainBudget, DefaultDrainBudget)
	switch {
	case cfg.SettleDelay == 0:
		cfg.SettleDelay = DefaultSettleDelay
	case cfg.SettleDelay < 0:
		cfg.SettleDelay = 0
	}

	s := &Service{
		cfg: cfg, store: cfg.Store, log: cfg.Log.Named("calllog"), now: cfg.Now,
		paces: map[string]*pace{}, zones: map[string]*time.Location{},
		users:   crmhttp.NewBoundedCache[string](userTTL, maxCachedUsers, cfg.Now),
		created: crmhttp.NewBoundedCache[string](createdContactTTL, maxCreatedContacts, cfg.Now),
	}
	s.metrics = newMetrics(cfg.Store, s.now, s.log)
	if cfg.Registry != nil {
		if err := s.metrics.register(cfg.Registry); err != nil {
			return nil, fmt.Errorf("call log service: register metrics: %w", err)
		}
	}
	return s, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// SetQueue sets the queue drain jobs go to. The gateway builds the queue
// after the services whose workers it runs, so it is set afterwards.
func (s *Service) SetQueue(q Enqueuer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = q
}

func (s *Service) enqueuer() Enqueuer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queue
}

// CallChanged records in the open transaction of q what the change of a
// call from before to after means for its CRM logs. A call that reaches
// a final status gets a pending log for every connection that logs calls.
// A call that had ended already and changed a logged field gets its logs
// revised. Each connection concerned gets a drain job. before is the zero
// Call for a call created by this change.
func (s *Service) CallChanged(ctx context.Context, q *store.Queries, before, after store.Call) error {
	if !telephony.Status(after.Status).Final() {
		return nil
	}
	if before.Status == "" || !telephony.Status(before.Status).Final() {
		return s.callEnded(ctx, q, after)
	}
	if !loggedFieldsChanged(before, after) {
		return nil
	}
	return s.reviseLogs(ctx, q, after)
}

// callEnded inserts the logs of a call that has just ended.
func (s *Service) callEnded(ctx context.Context, q *store.Queries, call store.Call) error {
	conns, err := loggingConnections(ctx, q, call.WorkspaceID)
	if err != nil || len(conns) == 0 {
		return err
	}
	for _, id := range conns {
		inserted, err := q.InsertCallLog(ctx, call.WorkspaceID, call.ID, id, s.cfg.SettleDelay)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		s.metrics.queued.Inc()
		if err := s.enqueueDrain(ctx, q, call.WorkspaceID, id, s.cfg.SettleDelay); err != nil {
			return err
		}
	}
	return nil
}

// reviseLogs gives the logs of call a new revision and wakes their
// connections.
func (s *Service) reviseLogs(ctx context.Context, q *store.Queries, call store.Call) error {
	logs, err := q.ReviseCallLogs(ctx, call.WorkspaceID, call.ID)
	if err != nil {
		return err
	}
	for _, l := range logs {
		if err := s.enqueueDrain(ctx, q, l.WorkspaceID, l.ConnectionID, 0); err != nil {
			return err
		}
	}
	return nil
}

// loggingConnections returns the ids of the CRM connections of the
// workspace with call logging enabled. It reads only the settings, so no
// credential is decrypted in the call's transaction.
func loggingConnections(ctx context.Context, q *store.Queries, workspaceID string) ([]string, error) {
	conns, err := q.ListCRMConnections(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range conns {
		var settings struct {
			CallLog *struct {
				Enabled bool `json:"enabled"`
			} `json:"call_log"`
		}
		if err := json.Unmarshal(c.Settings, &settings); err != nil {
			return nil, fmt.Errorf("decode settings of CRM connection %s: %w", c.ID, err)
		}
		if settings.CallLog != nil && settings.CallLog.Enabled {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// loggedFieldsChanged reports whether a field the CRM entry shows differs
// between before and after.
func loggedFieldsChanged(before, after store.Call) bool {
	return before.Status != after.Status || before.DurationSeconds != after.DurationSeconds ||
		before.RecordingURL != after.RecordingURL || before.Agent != after.Agent || before.Notes != after.Notes ||
		!sameTime(before.EndedAt, after.EndedAt) || !sameTime(before.AnsweredAt, after.AnsweredAt)
}

func sameTime(a, b *store.UnixMilli) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}

// enqueueDrain inserts a drain job of a connection in the transaction of
// q, to run after delay. When another drain job holds the connection's
// lease, the new job returns at once and the holder takes the new work.
func (s *Service) enqueueDrain(ctx context.Context, q *store.Queries, workspaceID, connectionID string, delay time.Duration) error {
	queue := s.enqueuer()
	if queue == nil {
		return ErrNoQueue
	}
	var opts *river.InsertOpts
	if delay > 0 {
		opts = &river.InsertOpts{ScheduledAt: s.now().Add(delay)}
	}
	return queue.InsertTx(ctx, q, DrainArgs{WorkspaceID: workspaceID, ConnectionID: connectionID}, opts)
}
