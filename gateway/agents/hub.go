package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// Defaults of Config.
const (
	DefaultSendBuffer     = 64
	DefaultPingInterval   = 30 * time.Second
	DefaultPongTimeout    = 60 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultSnapshotWindow = 2 * time.Hour
)

// Config holds what a Hub needs.
type Config struct {
	Store *store.Store
	Log   *zap.Logger
	// Registry receives the hub's metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// DatabaseURL is the PostgreSQL URL the hub's listener connects with.
	// It is required when Store is on PostgreSQL and unused on SQLite.
	DatabaseURL string
	// Channel is the LISTEN/NOTIFY channel of call changes. Empty derives
	// it from the store's schema, as ChannelForSchema describes.
	Channel string
	// SendBuffer is how many messages may wait for one socket; a socket
	// whose buffer is full is closed. Default 64.
	SendBuffer int
	// PingInterval is how often a socket is pinged, and PongTimeout how long
	// it may stay silent before it is closed. Defaults 30 s and 60 s.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// WriteTimeout bounds one write to a socket. Default 10 s.
	WriteTimeout time.Duration
	// SnapshotWindow is how far back a snapshot looks for calls still
	// ringing or answered. Default 2 hours.
	SnapshotWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Hub delivers screen pops to the agent sockets of this instance. It is
// safe for concurrent use.
type Hub struct {
	cfg     Config
	store   *store.Store
	log     *zap.Logger
	metrics hubMetrics

	// notices carries call and user changes to the dispatcher, and resyncs
	// the times from which to resend changes after the listener lost its
	// connection.
	notices chan notice
	resyncs chan time.Time

	mu       sync.RWMutex
	rosters  map[string]*roster // by workspace id
	closing  bool
	channel  string       // the LISTEN/NOTIFY channel, "" on SQLite
	listener *pq.Listener // nil on SQLite

	stop    context.CancelFunc
	stopped chan struct{}
	quit    chan struct{} // closed by Close
	serving sync.WaitGroup
}

// notice is one change: workspaceID and the id of the call or user.
type notice struct {
	workspaceID, id string
}

// queueSize bounds the changes waiting for the dispatcher.
const queueSize = 4096

// New returns a Hub and registers its metrics. Call Start before serving
// sockets so changes reach them.
func New(cfg Config) (*Hub, error) {
	if cfg.Store == nil {
		return nil, errors.New("agents hub: store is required")
	}
	if cfg.Store.Dialect() == store.Postgres && cfg.DatabaseURL == "" {
		return nil, errors.New("agents hub: the database URL is required on PostgreSQL for LISTEN/NOTIFY")
	}
	setDefaults(&cfg)

	m := newHubMetrics()
	if cfg.Registry != nil {
		if err := m.register(cfg.Registry); err != nil {
			return nil, fmt.Errorf("agents hub: register metrics: %w", err)
		}
	}
	return &Hub{
		cfg:     cfg,
		store:   cfg.Store,
		log:     cfg.Log.Named("agents"),
		metrics: m,
		notices: make(chan notice, queueSize),
		resyncs: make(chan time.Time, 1),
		rosters: map[string]*roster{},
		stopped: make(chan struct{}),
		quit:    make(chan struct{}),
	}, nil
}

func setDefaults(cfg *Config) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultSendBuffer
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.PongTimeout <= 0 {
		cfg.PongTimeout = DefaultPongTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.SnapshotWindow <= 0 {
		cfg.SnapshotWindow = DefaultSnapshotWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// Start runs the dispatcher and, on PostgreSQL, listens on the channel of
// call changes. It returns once the listener is ready. ctx bounds the
// start only; Close stops the hub.
func (h *Hub) Start(ctx context.Context) error {
	if h.store.Dialect() == store.Postgres {
		if err := h.listen(ctx); err != nil {
			return err
		}
	}

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	h.stop = stop
	go func() {
		defer close(h.stopped)
		h.dispatch(runCtx)
	}()
	return nil
}

// Close stops the listener and the dispatcher and closes every socket with
// the close code 1001 (going away). It waits up to 5 seconds for the
// sockets' handlers to return.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil
	}
	h.closing = true
	listener := h.listener
	var all []*client
	for _, r := range h.rosters {
		for c := range r.all {
			all = append(all, c)
		}
	}
	h.rosters = map[string]*roster{}
	h.metrics.sockets.Set(0)
	h.mu.Unlock()
	close(h.quit)

	var err error
	if listener != nil {
		err = listener.Close()
	}
	if h.stop != nil {
		h.stop()
		<-h.stopped
	}
	for _, c := range all {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}

	done := make(chan struct{})
	go func() { h.serving.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.log.Warn("agent sockets still open after closing the hub")
	}
	return err
}

// CallChanged publishes that the call callID of workspaceID changed, so
// every instance sends the new screen pop to its sockets that the call
// rings. It implements inbound.Notifier. A failure is logged and counted,
// and the sockets then miss this change.
func (h *Hub) CallChanged(ctx context.Context, workspaceID, callID string) {
	h.publish(ctx, notice{workspaceID: workspaceID, id: callID})
}

// UserChanged publishes that a user was changed, disabled or deleted, so
// every instance updates or closes that user's sockets.
func (h *Hub) UserChanged(ctx context.Context, workspaceID, userID string) {
	h.publish(ctx, notice{workspaceID: workspaceID, id: userID})
}

// Connected returns the number of open agent sockets on this instance.
func (h *Hub) Connected() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, r := range h.rosters {
		n += len(r.all)
	}
	return n
}

// dispatch handles changes one at a time, in the order they arrive, until
// ctx is done.
func (h *Hub) dispatch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-h.notices:
			h.handle(ctx, n)
		case since := <-h.resyncs:
			h.resync(ctx, since)
		}
	}
}

func (h *Hub) handle(ctx context.Context, n notice) {
	if strings.HasPrefix(n.id, store.PrefixUser) {
		h.refreshUser(ctx, n)
		return
	}
	if err := h.deliverCall(ctx, n); err != nil {
		h.metrics.dispatchFailures.Inc()
		h.log.Error("screen pop not delivered",
			zap.String("workspace_id", n.workspaceID), zap.String("call_id", n.id), zap.Error(err))
	}
}

// deliverCall reads the call and queues its pop on every local socket of
// its workspace that the call rings or that was sent the call while it
// was live.
func (h *Hub) deliverCall(ctx context.Context, n notice) error {
	if !h.hasClients(n.workspaceID) {
		return nil
	}
	call, err := h.store.GetCall(ctx, n.workspaceID, n.id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	pops, err := buildPops(ctx, h.store.Queries, n.workspaceID, []store.Call{call}, h.connectedName(n.workspaceID))
	if err != nil {
		return err
	}
	data, err := json.Marshal(callMessage{Type: "call", Call: pops[0]})
	if err != nil {
		return fmt.Errorf("encode screen pop: %w", err)
	}

	frame, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return fmt.Errorf("encode screen pop frame: %w", err)
	}
	msg := &outbound{frame: frame, callID: call.ID, version: call.UpdatedAt.UnixMilli()}
	route := callRoute(call)
	var slow []*client
	h.mu.Lock()
	if r := h.rosters[n.workspaceID]; r != nil {
		for _, c := range r.recipients(call, route) {
			if !c.enqueue(msg) {
				slow = append(slow, c)
			}
		}
	}
	h.mu.Unlock()

	for _, c := range slow {
		h.metrics.slowDropped.Inc()
		h.log.Warn("agent socket closed: its send buffer is full",
			zap.String("workspace_id", n.workspaceID), zap.String("user_id", c.userID()), zap.Int("buffer", h.cfg.SendBuffer))
		h.unregister(c)
		c.abort()
	}
	return nil
}

// connectedName returns a function that names the connected user of
// workspaceID that an agent matches, so most answered calls need no list
// of all users.
func (h *Hub) connectedName(workspaceID string) func(agent string) (string, bool) {
	return func(agent string) (string, bool) {
		h.mu.RLock()
		defer h.mu.RUnlock()
		if r := h.rosters[workspaceID]; r != nil {
			return r.nameOf(agent)
		}
		return "", false
	}
}

// markLive records that c was sent calls while they were live.
func (h *Hub) markLive(c *client, calls []store.Call) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rosters[c.workspaceID]
	if r == nil {
		return
	}
	if _, ok := r.all[c]; !ok {
		return
	}
	for _, call := range calls {
		r.markLive(c, call.ID)
	}
}

// refreshUser updates the user of every local socket of that user, and
// closes them when the user was disabled or deleted.
func (h *Hub) refreshUser(ctx context.Context, n notice) {
	h.mu.RLock()
	var sockets []*client
	if r := h.rosters[n.workspaceID]; r != nil {
		for c := range r.withKey(keyUser + n.id) {
			sockets = append(sockets, c)
		}
	}
	h.mu.RUnlock()
	if len(sockets) == 0 {
		return
	}

	u, err := h.store.GetUser(ctx, n.workspaceID, n.id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.log.Error("reload user of agent sockets failed", zap.String("workspace_id", n.workspaceID),
			zap.String("user_id", n.id), zap.Error(err))
		return
	}
	for _, c := range sockets {
		if err != nil || u.Disabled {
			h.unregister(c)
			c.close(websocket.ClosePolicyViolation, "user disabled or deleted")
			continue
		}
		h.mu.Lock()
		if r := h.rosters[n.workspaceID]; r != nil {
			if _, ok := r.all[c]; ok {
				r.setUser(c, u)
			}
		}
		h.mu.Unlock()
	}
}

// resync resends the pops of calls updated since, minus a margin for clock
// differences, to every workspace with sockets here. It runs after the
// listener reconnected, because notifications sent while it was away are
// lost.
func (h *Hub) resync(ctx context.Context, since time.Time) {
	updated := store.Millis(since.Add(-5 * time.Second))
	h.mu.RLock()
	workspaces := make([]string, 0, len(h.rosters))
	for ws := range h.rosters {
		workspaces = append(workspaces, ws)
	}
	h.mu.RUnlock()

	for _, ws := range workspaces {
		calls, _, err := h.store.ListCalls(ctx, store.CallQuery{WorkspaceID: ws, UpdatedSince: &updated, SortBy: "updated_at", Limit: 1000})
		if err != nil {
			h.log.Error("resend calls after reconnecting failed", zap.String("workspace_id", ws), zap.Error(err))
			continue
		}
		for _, call := range calls {
			h.handle(ctx, notice{workspaceID: ws, id: call.ID})
		}
	}
}

func (h *Hub) hasClients(workspaceID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rosters[workspaceID] != nil
}

// register adds c to its workspace; it returns false when the hub is
// closing.
func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	r := h.rosters[c.workspaceID]
	if r == nil {
		r = newRoster()
		h.rosters[c.workspaceID] = r
	}
	r.add(c)
	h.metrics.sockets.Inc()
	return true
}

func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rosters[c.workspaceID]
	if r == nil {
		return
	}
	if _, ok := r.all[c]; !ok {
		return
	}
	r.remove(c)
	if len(r.all) == 0 {
		delete(h.rosters, c.workspaceID)
	}
	h.metrics.sockets.Dec()
}

// Messages from the server to the console, sent as JSON text frames.
type (
	helloMessage struct {
		Type string    `json:"type"`
		User HelloUser `json:"user"`
	}
	snapshotMessage struct {
		Type  string    `json:"type"`
		Calls []CallPop `json:"calls"`
	}
	callMessage struct {
		Type string  `json:"type"`
		Call CallPop `json:"call"`
	}
)

// HelloUser is the signed-in user as the hello message shows it.
type HelloUser struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Email            string   `json:"email"`
	Role             string   `json:"role"`
	Extensions       []string `json:"extensions"`
	ClientIdentities []string `json:"client_identities"`
	Queues           []string `json:"queues"`
}

func helloUser(u *store.User) HelloUser {
	return HelloUser{
		ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
		Extensions: nonNil(u.Extensions.V), ClientIdentities: nonNil(u.ClientIdentities.V), Queues: nonNil(u.Queues.V),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type hubMetrics struct {
	sockets          prometheus.Gauge
	sent             prometheus.Counter
	slowDropped      prometheus.Counter
	publishFailures  prometheus.Counter
	dispatchFailures prometheus.Counter
}

func newHubMetrics() hubMetrics {
	return hubMetrics{
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_agent_sockets",
			Help: "Agent console WebSocket connections open on this instance.",
		}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_agent_messages_queued_total",
			Help: "Screen pop messages queued for agent sockets.",
		}),
		slowDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_agent_slow_sockets_closed_total",
			Help: "Agent sockets closed because their send buffer was full.",
		}),
		publishFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_agent_publish_failures_total",
			Help: "Call and user changes that could not be published to the instances.",
		}),
		dispatchFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_agent_dispatch_failures_total",
			Help: "Call changes whose screen pop could not be built.",
		}),
	}
}

func (m hubMetrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.sockets, m.sent, m.slowDropped, m.publishFailures, m.dispatchFailures} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
