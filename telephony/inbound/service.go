package inbound

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// Errors returned (wrapped) by the Service. store.ErrNotFound is returned
// for unknown connections and calls, telephony.ErrBadSignature for a webhook
// that fails its check, telephony.ErrMalformed for one that cannot be read
// and telephony.ErrCallEnded for a reroute of a call that has ended.
var (
	// ErrStoreUnavailable means an accepted webhook could not be stored;
	// the provider should send it again.
	ErrStoreUnavailable = errors.New("the call event could not be stored")
	// ErrConnectionUnavailable means the connection could not be read from
	// the database and no copy of it was loaded before; the provider
	// should send the webhook again.
	ErrConnectionUnavailable = errors.New("the telephony connection could not be loaded")
	// ErrRerouteUnsupported means the connection's provider has no API to
	// move a live call, as with generic connections.
	ErrRerouteUnsupported = errors.New("live calls of this provider cannot be rerouted")
	// ErrProviderUnreachable means a request to the provider's REST API
	// failed without a response from the provider.
	ErrProviderUnreachable = errors.New("the provider's API could not be reached")
)

// Config holds what a Service needs.
type Config struct {
	Store *store.Store
	// Connections loads connections with their secrets and compiled rules.
	Connections *connections.Service
	Log         *zap.Logger
	// Registry receives the metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// HTTPClient sends the adapters' REST API requests. Nil: each adapter's
	// default, a client with a 10 second timeout.
	HTTPClient *http.Client
	// PublicBaseURL is the URL providers reach Switchboard at. Twilio
	// reroutes build their action URLs from it; empty leaves them out.
	PublicBaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Notifier receives every change a webhook makes to a call record.
	// Nil turns notifications off.
	Notifier Notifier
	// CRM looks callers up for connections whose lookup order reads a
	// CRM; nil routes their calls without the CRM's contact.
	CRM CRMLookup
	// Events records call.ringing, call.answered, call.ended and
	// call.missed for webhook subscribers, in the transaction that stores
	// the call event; nil records none.
	Events webhooks.Emitter
	// CallLogs queues the CRM logs of calls that end, and updates them when
	// an ended call changes, in the transaction that stores the call
	// event. Nil logs no call.
	CallLogs CallLogs
}

// CallLogs receives every change of a call record inside the change's
// transaction. crm/calllog implements it.
type CallLogs interface {
	// CallChanged handles the change of a call from before to after; before
	// is the zero Call for a call the change created.
	CallChanged(ctx context.Context, q *store.Queries, before, after store.Call) error
}

// CRMLookup finds a caller in a CRM connection; crm/lookup implements it.
type CRMLookup interface {
	// LookupContact returns the contact with the number e164 in the CRM
	// connection crmConnectionID of workspaceID, with the ids of every
	// record that has the number, or a nil contact when none has it. It
	// must return when ctx is done.
	LookupContact(ctx context.Context, workspaceID, crmConnectionID, e164 string) (*routing.ContactEnv, []string, error)
}

// Notifier receives changes of call records. The agent console's hub is
// one, and sends screen pops from them.
type Notifier interface {
	// CallChanged is called after the transaction that changed the call
	// callID of workspaceID has committed. It must not block for long,
	// because the webhook's response waits for it.
	CallChanged(ctx context.Context, workspaceID, callID string)
}

// Service handles the webhooks of every telephony connection, the routing
// test and live reroutes. It is safe for concurrent use.
type Service struct {
	store       *store.Store
	connections *connections.Service
	log         *zap.Logger
	httpClient  *http.Client
	publicBase  string
	now         func() time.Time
	metrics     metrics
	notifier    Notifier
	crm         CRMLookup
	events      webhooks.Emitter
	rejections  rejectionLimiter
	callLogs    CallLogs

	mu sync.Mutex
	// deadlines holds the routing deadline of each connection loaded.
	deadlines map[string]time.Duration
	// pendingRecords counts the routing webhooks whose events wait in
	// storeLater; stopped is set by Close.
	pendingRecords int
	stopped        bool
	// stopCtx ends the attempts of storeLater; retries waits for them.
	stopCtx     context.Context
	stopRetries context.CancelFunc
	retries     sync.WaitGroup
}

// New returns a Service and registers its metrics with cfg.Registry.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Connections == nil {
		return nil, errors.New("inbound service: store and connections are required")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	m := newMetrics()
	if cfg.Registry != nil {
		if err := m.register(cfg.Registry); err != nil {
			return nil, fmt.Errorf("inbound service: register metrics: %w", err)
		}
	}

	stopCtx, stopRetries := context.WithCancel(context.Background())
	return &Service{
		stopCtx:     stopCtx,
		stopRetries: stopRetries,
		store:       cfg.Store,
		connections: cfg.Connections,
		log:         cfg.Log.Named("inbound"),
		httpClient:  cfg.HTTPClient,
		publicBase:  cfg.PublicBaseURL,
		now:         cfg.Now,
		metrics:     m,
		notifier:    cfg.Notifier,
		crm:         cfg.CRM,
		events:      cfg.Events,
		callLogs:    cfg.CallLogs,
		deadlines:   map[string]time.Duration{},
	}, nil
}

type metrics struct {
	routingDuration *prometheus.HistogramVec
	fallbacks       *prometheus.CounterVec
	recordFailures  *prometheus.CounterVec
	recordsDropped  *prometheus.CounterVec
	pendingRecords  prometheus.Gauge
	commandFailures *prometheus.CounterVec
	lateCRMAnswers  *prometheus.CounterVec
}

func newMetrics() metrics {
	return metrics{
		routingDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_routing_duration_seconds",
			Help:    "Time a routing decision took, contact lookup included, in seconds.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10},
		}, []string{"provider"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_fallbacks_total",
			Help: "Calls sent to the default route because routing failed, by reason: deadline_exceeded, lookup_failed or rule_error.",
		}, []string{"provider", "reason"}),
		recordFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_call_record_failures_total",
			Help: "Routing webhooks that were answered but whose call event could not be stored at the first attempt; later attempts follow in the background.",
		}, []string{"provider"}),
		recordsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_call_records_dropped_total",
			Help: "Call events of answered routing webhooks given up without being stored, because too many already waited for the database or the gateway was stopping.",
		}, []string{"provider"}),
		pendingRecords: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_call_records_pending",
			Help: "Call events of answered routing webhooks that wait in memory for the database to store them.",
		}),
		commandFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_command_failures_total",
			Help: "REST commands that should have routed a Telnyx or Aircall call and failed.",
		}, []string{"provider"}),
		lateCRMAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_late_crm_answers_total",
			Help: "CRM responses that came after the CRM step's deadline, on connections that reroute on them, by outcome: rerouted, same_route, no_contact, lookup_failed or reroute_failed.",
		}, []string{"provider", "outcome"}),
	}
}

func (m metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		m.routingDuration, m.fallbacks, m.recordFailures, m.recordsDropped, m.pendingRecords, m.commandFailures, m.lateCRMAnswers,
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
