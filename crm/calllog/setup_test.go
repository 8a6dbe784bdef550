package calllog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/fakecallcrm"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// waitLimit bounds every wait for the queue. It is far above the seconds
// the waits take (River moves retried and snoozed jobs every 5 seconds),
// so only work that never happens reaches it.
const waitLimit = 90 * time.Second

const testMasterKey = "test-master-key-0123456789abcdef"

// harness is a call log service over a fresh database with a workspace
// and a HubSpot and a Pipedrive connection that log calls, each pointed
// at its own fake CRM.
type harness struct {
	ctx      context.Context
	st       *store.Store
	opts     store.Options
	keyring  *secret.Keyring
	conns    *crmconn.Service
	svc      *calllog.Service
	events   *eventRecorder
	registry *prometheus.Registry
	ws       store.Workspace
	hubspot  *fakecallcrm.Server
	pipe     *fakecallcrm.Server
	hubConn  crmconn.Connection
	pipeConn crmconn.Connection
}

// eachDialect runs fn once per database, each with a fresh harness.
func eachDialect(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, d := range testdb.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, d))
		})
	}
}

func setup(t *testing.T, d store.Dialect) *harness {
	t.Helper()
	h := &harness{ctx: context.Background(), opts: store.Options{DataDir: t.TempDir()}, registry: prometheus.NewRegistry(), events: &eventRecorder{}}
	if d == store.Postgres {
		h.opts.DatabaseURL = testdb.NewSchema(t)
	}
	var err error
	h.st, err = store.Open(h.ctx, h.opts)
	require.NoError(t, err)
	t.Cleanup(func() { h.st.Close() })
	_, err = h.st.Migrate(h.ctx)
	require.NoError(t, err)
	_, err = jobs.Migrate(h.ctx, h.st)
	require.NoError(t, err)

	h.keyring, err = secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	h.conns = crmconn.New(h.st, h.keyring, crmconn.Options{RequestTimeout: 2 * time.Second})
	h.newService(t)

	h.ws = store.Workspace{Name: "Acme", DefaultRegion: "US", TimeZone: "America/Los_Angeles"}
	require.NoError(t, h.st.CreateWorkspace(h.ctx, &h.ws))
	h.hubspot, h.pipe = fakecallcrm.New(), fakecallcrm.New()
	t.Cleanup(h.hubspot.Close)
	t.Cleanup(h.pipe.Close)
	h.hubConn = h.connection(t, "hubspot", h.hubspot.URL, crmconn.Settings{PortalID: "4242"})
	h.pipeConn = h.connection(t, "pipedrive", h.pipe.URL, crmconn.Settings{CompanyDomain: "acme"})
	return h
}

// newService replaces the harness's call log service with one of the
// test configuration, changed by tune, and a fresh metrics registry.
func (h *harness) newService(t *testing.T, tune ...func(*calllog.Config)) {
	t.Helper()
	h.registry = prometheus.NewRegistry()
	cfg := calllog.Config{
		Store: h.st, Connections: h.conns, Log: zaptest.NewLogger(t), Registry: h.registry, Events: h.events,
		RetryBase: 50 * time.Millisecond, RetryCap: 200 * time.Millisecond, CreateSearchDelay: 300 * time.Millisecond,
		SettleDelay: -1,
		AgentEmail: func(_ context.Context, _, agent string) (string, error) {
			if agent == "client:ann" {
				return "ann@example.com", nil
			}
			return "", nil
		},
	}
	for _, change := range tune {
		change(&cfg)
	}
	var err error
	h.svc, err = calllog.New(cfg)
	require.NoError(t, err)
}

// connection creates a CRM connection of kind at baseURL with call
// logging enabled.
func (h *harness) connection(t *testing.T, kind, baseURL string, settings crmconn.Settings) crmconn.Connection {
	t.Helper()
	settings.CallLog = &crmconn.CallLogSettings{Enabled: true, RequestsPerSecond: 50, Burst: 10, MaxConcurrency: 4}
	conn, err := h.conns.Create(h.ctx, h.ws.ID, crmconn.Input{
		Kind: kind, Name: kind, BaseURL: baseURL,
		Auth: &crmconn.AuthConfig{Type: crmconn.AuthToken, Token: "test-token-" + kind}, Settings: settings,
	})
	require.NoError(t, err)
	return conn
}

// updateCallLog changes the call log settings of conn.
func (h *harness) updateCallLog(t *testing.T, conn crmconn.Connection, change func(*crmconn.CallLogSettings)) {
	t.Helper()
	settings := conn.Settings
	callLog := *settings.CallLog
	change(&callLog)
	settings.CallLog = &callLog
	_, err := h.conns.Update(h.ctx, h.ws.ID, conn.ID, crmconn.Patch{Settings: &settings})
	require.NoError(t, err)
}

// newQueue builds a job queue that runs the call log workers, stopped
// when the test ends, and makes it the service's queue.
func (h *harness) newQueue(t *testing.T) *jobs.Queue {
	t.Helper()
	workers := river.NewWorkers()
	h.svc.AddWorkers(workers)
	q, err := jobs.New(jobs.Config{
		Store: h.st, Workers: workers, ListenURL: h.opts.DatabaseURL, StopTimeout: time.Second,
		Queues: map[string]int{calllog.Queue: calllog.QueueWorkers},
	})
	require.NoError(t, err)
	t.Cleanup(func() { q.Stop(context.Background()) })
	h.svc.SetQueue(q)
	return q
}

// start builds a queue and starts it.
func (h *harness) start(t *testing.T) *jobs.Queue {
	t.Helper()
	q := h.newQueue(t)
	require.NoError(t, q.Start(h.ctx))
	return q
}

// callAt is a completed inbound call from the number from, started at
// start, talking 95 seconds.
func (h *harness) callAt(from string, start time.Time) store.Call {
	ended := store.Millis(start.Add(100 * time.Second))
	answered := store.Millis(start.Add(5 * time.Second))
	return store.Call{
		WorkspaceID: h.ws.ID, ConnectionID: "tel_test", Provider: "twilio", ProviderCallID: "CA" + secret.RandomToken(8),
		Direction: "inbound", FromRaw: from, FromE164: from, ToRaw: "+14155550100", ToE164: "+14155550100",
		Status: "ringing", StartedAt: store.Millis(start), LastEventAt: store.Millis(start),
		AnsweredAt: &answered, EndedAt: &ended, DurationSeconds: 95, Agent: "client:ann",
	}
}

// endCall stores call as ringing, then moves it to status in a second
// transaction that calls CallChanged, as the inbound service does.
func (h *harness) endCall(t *testing.T, call store.Call, status string) store.Call {
	t.Helper()
	require.NoError(t, h.st.InTx(h.ctx, func(q *store.Queries) error {
		ringing := call
		ringing.AnsweredAt, ringing.EndedAt, ringing.DurationSeconds = nil, nil, 0
		if err := q.InsertCall(h.ctx, &ringing); err != nil {
			return err
		}
		call.ID = ringing.ID
		return h.svc.CallChanged(h.ctx, q, store.Call{}, ringing)
	}))
	return h.changeCall(t, call, func(c *store.Call) { c.Status = status })
}

// changeCall applies change to the stored call in a transaction that
// calls CallChanged.
func (h *harness) changeCall(t *testing.T, call store.Call, change func(*store.Call)) store.Call {
	t.Helper()
	require.NoError(t, h.st.InTx(h.ctx, func(q *store.Queries) error {
		before, err := q.GetCall(h.ctx, h.ws.ID, call.ID)
		if err != nil {
			return err
		}
		after := before
		after.AnsweredAt, after.EndedAt, after.DurationSeconds, after.Agent = call.AnsweredAt, call.EndedAt, call.DurationSeconds, call.Agent
		change(&after)
		if err := q.UpdateCall(h.ctx, &after); err != nil {
			return err
		}
		call = after
		return h.svc.CallChanged(h.ctx, q, before, after)
	}))
	return call
}

// logsOf returns the logs of call by connection id.
func (h *harness) logsOf(t *testing.T, callID string) map[string]store.CallLog {
	t.Helper()
	byCall, err := h.svc.LogsOfCalls(h.ctx, h.ws.ID, []string{callID})
	require.NoError(t, err)
	out := map[string]store.CallLog{}
	for _, l := range byCall[callID] {
		out[l.ConnectionID] = l
	}
	return out
}

// waitLogged waits until every log of call shows its latest revision.
func (h *harness) waitLogged(t *testing.T, callID string) map[string]store.CallLog {
	t.Helper()
	var logs map[string]store.CallLog
	require.Eventually(t, func() bool {
		logs = h.logsOf(t, callID)
		for _, l := range logs {
			if l.Status != store.CallLogLogged || l.Due() {
				return false
			}
		}
		return len(logs) > 0
	}, waitLimit, 20*time.Millisecond, "the logs of call %s never caught up", callID)
	return logs
}

// eventRecorder records the webhook events the service emits.
type eventRecorder struct {
	mu     sync.Mutex
	logged []calllog.Logged
}

func (r *eventRecorder) Emit(_ context.Context, _ *store.Queries, _ string, t webhooks.EventType, object any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if logged, ok := object.(calllog.Logged); ok && t == webhooks.CallLogged {
		r.logged = append(r.logged, logged)
	}
	return nil
}

// EmitBatch records the batch as Emit records each event.
func (r *eventRecorder) EmitBatch(ctx context.Context, q *store.Queries, workspaceID string, t webhooks.EventType, load webhooks.LoadBatch) error {
	objects, err := load()
	if err != nil {
		return err
	}
	for _, object := range objects {
		if err := r.Emit(ctx, q, workspaceID, t, object); err != nil {
			return err
		}
	}
	return nil
}

func (r *eventRecorder) loggedEvents() []calllog.Logged {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]calllog.Logged(nil), r.logged...)
}
