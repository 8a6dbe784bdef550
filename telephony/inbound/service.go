package inbound

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
)

// Errors returned (wrapped) by the Service. store.ErrNotFound is returned
// for unknown connections and calls, telephony.ErrBadSignature for a webhook
// that fails its check, telephony.ErrMalformed for one that cannot be read
// and telephony.ErrCallEnded for a reroute of a call that has ended.
var (
	// ErrStoreUnavailable means an accepted webhook could not be stored;
	// the provider should send it again.
	ErrStoreUnavailable = errors.New("the call event could not be stored")
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service handles the webhooks of every telephony connection, the routing
// test and live reroutes. It is safe for concurrent use.
type Service struct {
	store       *store.Store
	connections *connections.Service
	log         *zap.Logger
	httpClient  *http.Client
	now         func() time.Time
	metrics     metrics

	mu sync.Mutex
	// deadlines holds the routing deadline of each connection loaded.
	deadlines map[string]time.Duration
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

	return &Service{
		store:       cfg.Store,
		connections: cfg.Connections,
		log:         cfg.Log.Named("inbound"),
		httpClient:  cfg.HTTPClient,
		now:         cfg.Now,
		metrics:     m,
		deadlines:   map[string]time.Duration{},
	}, nil
}

type metrics struct {
	routingDuration *prometheus.HistogramVec
	fallbacks       *prometheus.CounterVec
	recordFailures  *prometheus.CounterVec
	commandFailures *prometheus.CounterVec
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
			Help: "Routing webhooks that were answered but whose call event could not be stored.",
		}, []string{"provider"}),
		commandFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_command_failures_total",
			Help: "REST commands that should have routed a Telnyx or Aircall call and failed.",
		}, []string{"provider"}),
	}
}

func (m metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.routingDuration, m.fallbacks, m.recordFailures, m.commandFailures} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
