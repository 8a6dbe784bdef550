package webhooks

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// QueueName is the job queue deliveries run on.
const QueueName = "webhooks"

// DefaultMaxWorkers is how many deliveries one instance sends at once. It
// is a starting value, not a measured one.
const DefaultMaxWorkers = 20

// DefaultRetrySchedule is the wait before each retry of a failed delivery,
// before jitter: the first retry waits 1 minute, the last 8 hours. With the
// first attempt that makes 8 attempts, the last one 23 h 36 min after the
// first, or up to 10% later with jitter.
var DefaultRetrySchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// DefaultDisableAfter is how long every attempt to an endpoint may fail
// before the gateway disables its subscription.
const DefaultDisableAfter = 24 * time.Hour

// Config holds what a Service needs.
type Config struct {
	Store   *store.Store
	Keyring *secret.Keyring
	Log     *zap.Logger
	// Registry receives the metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// Render turns the object of an event, such as a store.Contact, into
	// the value the API shows for it, which becomes the event's data.
	Render func(object any) (any, error)
	// Guard checks subscription URLs and connects deliveries; nil is a
	// Guard with an empty allow list on the system resolver.
	Guard *Guard
	// RetrySchedule is the wait before each retry; nil is
	// DefaultRetrySchedule. Its length is the number of retries.
	RetrySchedule []time.Duration
	// DisableAfter is how long an endpoint may fail every attempt before
	// its subscription is disabled; zero is DefaultDisableAfter.
	DisableAfter time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Service manages the webhook subscriptions of every workspace, records
// their events and sends the deliveries. It is safe for concurrent use
// once SetQueue has been called.
type Service struct {
	store        *store.Store
	keyring      *secret.Keyring
	log          *zap.Logger
	render       func(any) (any, error)
	guard        *Guard
	client       *http.Client
	retry        []time.Duration
	disableAfter time.Duration
	now          func() time.Time
	metrics      metrics
	queue        Enqueuer
}

// New returns a Service. Register its worker with Register before the job
// queue is built, and give it the queue with SetQueue before any event is
// emitted.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keyring == nil || cfg.Render == nil {
		return nil, errors.New("webhooks: store, keyring and render are required")
	}
	s := &Service{
		store: cfg.Store, keyring: cfg.Keyring, log: cfg.Log, render: cfg.Render, guard: cfg.Guard,
		retry: cfg.RetrySchedule, disableAfter: cfg.DisableAfter, now: cfg.Now,
		metrics: newMetrics(),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.Named("webhooks")
	if s.guard == nil {
		s.guard = NewGuard(GuardConfig{})
	}
	s.client = s.guard.Client()
	if s.retry == nil {
		s.retry = DefaultRetrySchedule
	}
	if s.disableAfter <= 0 {
		s.disableAfter = DefaultDisableAfter
	}
	if s.now == nil {
		s.now = time.Now
	}

	if cfg.Registry != nil {
		if err := s.metrics.register(cfg.Registry); err != nil {
			return nil, fmt.Errorf("webhooks: register metrics: %w", err)
		}
	}
	return s, nil
}

// Register adds the delivery worker to workers, which the job queue is
// built with. The queue's Queues must include QueueName, or deliveries
// wait forever.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &deliveryWorker{service: s})
}

// SetQueue sets the queue deliveries are enqueued on. The queue is built
// after Register, so it cannot be part of Config. Call it before events
// are emitted, once.
func (s *Service) SetQueue(q Enqueuer) {
	s.queue = q
}

type metrics struct {
	attempts *prometheus.CounterVec
	disabled prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_attempts_total",
			Help: "Webhook delivery requests sent, by outcome: succeeded (2xx) or failed.",
		}, []string{"outcome"}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_webhook_subscriptions_disabled_total",
			Help: "Webhook subscriptions the gateway disabled because every attempt failed for too long.",
		}),
	}
}

func (m metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.attempts, m.disabled} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
