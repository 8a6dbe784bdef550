package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// webhookWait bounds every wait for a delivery. It is far above the
// seconds deliveries take, so only a delivery that never happens reaches
// it.
const webhookWait = 60 * time.Second

// webhookServer is a gateway whose directory and inbound services record
// webhook events, with a running job queue that delivers them. Its guard
// allows 127.0.0.1, where test subscribers listen, resolves names from
// webhookHosts and connects to nothing but loopback.
type webhookServer struct {
	*telephonyServer
	Webhooks *webhooks.Service
	// Dialer records every address a delivery connects to.
	Dialer *loopbackDialer
}

// webhookHosts are the names the test guard resolves, without DNS.
var webhookHosts = hostTable{
	"hooks.example.com":    {netip.MustParseAddr("198.51.100.7")},
	"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
	"intranet.example.com": {netip.MustParseAddr("10.20.0.5")},
}

type hostTable map[string][]netip.Addr

func (h hostTable) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := h[host]; ok {
		return addrs, nil
	}
	return nil, errors.New("lookup " + host + ": no such host")
}

// loopbackDialer records every address it is asked for and connects to
// loopback addresses only. It rejects any other address, so no test
// traffic leaves the machine.
type loopbackDialer struct {
	mu      sync.Mutex
	dialled []string
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialled = append(d.dialled, address)
	d.mu.Unlock()
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if addr, err := netip.ParseAddr(host); err != nil || !addr.IsLoopback() {
		return nil, errors.New("test dialer refuses " + address)
	}
	return (&net.Dialer{Timeout: time.Second}).DialContext(ctx, network, address)
}

func (d *loopbackDialer) addresses() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialled...)
}

func newWebhookServer(t *testing.T, st *store.Store, disableAfter time.Duration) *webhookServer {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	log := zaptest.NewLogger(t)
	allow, err := webhooks.ParseAllowList([]string{"127.0.0.1"})
	require.NoError(t, err)
	dialer := &loopbackDialer{}

	svc, err := webhooks.New(webhooks.Config{
		Store: st, Keyring: keyring, Log: log, Registry: registry, Render: WebhookData,
		Guard:         webhooks.NewGuard(webhooks.GuardConfig{Allow: allow, Resolver: webhookHosts, Dialer: dialer}),
		RetrySchedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
		DisableAfter:  disableAfter,
	})
	require.NoError(t, err)
	startWebhookQueue(t, st, svc)
	calls, err := inbound.New(inbound.Config{Store: st, Connections: connections.New(st, keyring), Log: log, Registry: registry, Events: svc})
	require.NoError(t, err)

	cfg := Config{PublicBaseURL: "http://switchboard.test", MaxBodyBytes: 8 << 20, MaxImportBytes: 64 << 20, TokenTTL: time.Hour, Version: "test"}
	srv := New(cfg, Deps{
		Store: st, Directory: directory.New(st, directory.WithEvents(svc)), Keyring: keyring, Inbound: calls,
		Log: log, Registry: registry, Webhooks: svc,
	})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)

	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")
	pb := store.Phonebook{WorkspaceID: ts.Workspace.ID, Name: "Customers"}
	require.NoError(t, st.CreatePhonebook(t.Context(), &pb))
	_, telnyxKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return &webhookServer{
		telephonyServer: &telephonyServer{testServer: ts, Phonebook: pb, Registry: registry, telnyxKey: telnyxKey},
		Webhooks:        svc,
		Dialer:          dialer,
	}
}

// startWebhookQueue runs a job queue that works the deliveries of svc and
// stops when the test ends.
func startWebhookQueue(t *testing.T, st *store.Store, svc *webhooks.Service) {
	t.Helper()
	_, err := jobs.Migrate(context.Background(), st)
	require.NoError(t, err)
	workers := river.NewWorkers()
	svc.Register(workers)
	queue, err := jobs.New(jobs.Config{Store: st, Workers: workers, Queues: map[string]int{webhooks.QueueName: 5}})
	require.NoError(t, err)
	svc.SetQueue(queue)
	require.NoError(t, queue.Start(context.Background()))
	t.Cleanup(func() { queue.Stop(context.Background()) })
}

// subscribe registers url through the API and returns the subscription
// with its secret.
func (ws *webhookServer) subscribe(t *testing.T, key, url string, types ...string) webhookSecretView {
	t.Helper()
	var sub webhookSecretView
	ws.client(t, key).post("/v1/webhooks", obj{"url": url, "event_types": types}).decode(t, http.StatusCreated, &sub)
	return sub
}

// waitDeliveries waits until every delivery of the subscription is in
// state, and returns the first page of them.
func (ws *webhookServer) waitDeliveries(t *testing.T, subscriptionID, state string) listResponse[webhookDeliveryView] {
	t.Helper()
	var log listResponse[webhookDeliveryView]
	require.Eventually(t, func() bool {
		ws.admin(t).get("/v1/webhooks/"+subscriptionID+"/deliveries").decode(t, http.StatusOK, &log)
		for _, d := range log.Data {
			if d.State != state {
				return false
			}
		}
		return len(log.Data) > 0
	}, webhookWait, 20*time.Millisecond, "the deliveries never reached state %s", state)
	return log
}

// delivery is one request a test endpoint got.
type delivery struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Status                   int
}

// event decodes the delivery's body.
func (d delivery) event(t *testing.T) deliveredEvent {
	t.Helper()
	var e deliveredEvent
	require.NoError(t, json.Unmarshal(d.Body, &e))
	return e
}

type deliveredEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// endpoint is a webhook receiver on loopback. It responds to each request
// with the next status of its script, then 200.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	requests []delivery
	script   []int
}

func newEndpoint(t *testing.T, script ...int) *endpoint {
	t.Helper()
	e := &endpoint{script: script}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		status := http.StatusOK
		if len(e.script) > 0 {
			status, e.script = e.script[0], e.script[1:]
		}
		e.requests = append(e.requests, delivery{
			ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), Body: body, Status: status,
		})
		e.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) received() []delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]delivery(nil), e.requests...)
}

// waitFor waits until the endpoint has received n requests and returns
// them.
func (e *endpoint) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	require.Eventually(t, func() bool { return len(e.received()) >= n }, webhookWait, 20*time.Millisecond,
		"the endpoint never received %d requests", n)
	return e.received()
}

// verifyStandardWebhook checks a delivery as a Standard Webhooks receiver
// does, following the specification without the gateway's code. The
// timestamp must be within five minutes of now. One of the space-separated
// "v1,<base64>" signatures must equal the HMAC-SHA256 of
// "{webhook-id}.{webhook-timestamp}.{body}", keyed with the base64 after
// whsec_.
func verifyStandardWebhook(t *testing.T, secret string, d delivery) bool {
	t.Helper()
	seconds, err := strconv.ParseInt(d.Timestamp, 10, 64)
	require.NoError(t, err, "webhook-timestamp is Unix seconds")
	if time.Since(time.Unix(seconds, 0)).Abs() > 5*time.Minute {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(d.ID + "." + d.Timestamp + "."))
	mac.Write(d.Body)
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(d.Signature) {
		version, encoded, ok := strings.Cut(entry, ",")
		got, err := base64.StdEncoding.DecodeString(encoded)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestWebhookCRUD(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ws := newWebhookServer(t, st, 0)
		hook := newEndpoint(t)
		cl := ws.admin(t)

		resp := cl.post("/v1/webhooks", obj{"url": hook.URL + "/in", "event_types": []string{"contact.*"}, "description": "CRM sync"})
		var created webhookSecretView
		resp.decode(t, http.StatusCreated, &created)
		require.Equal(t, "/v1/webhooks/"+created.ID, resp.Header.Get("Location"))
		require.Regexp(t, `^wh_[0-9a-f]{32}$`, created.ID)
		require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, created.Secret)
		require.Equal(t, []string{"contact.*"}, created.EventTypes)
		require.True(t, created.Enabled)

		var got map[string]any
		cl.get("/v1/webhooks/"+created.ID).decode(t, http.StatusOK, &got)
		require.Equal(t, hook.URL+"/in", got["url"])
		require.Equal(t, "CRM sync", got["description"])
		require.NotContains(t, got, "secret", "the secret is shown only once")

		var patched webhookView
		cl.patch("/v1/webhooks/"+created.ID, obj{"event_types": []string{"call.ended", "phonebook.*"}, "enabled": false}).
			decode(t, http.StatusOK, &patched)
		require.Equal(t, []string{"call.ended", "phonebook.*"}, patched.EventTypes)
		require.False(t, patched.Enabled)
		require.NotNil(t, patched.DisabledAt)

		var list listResponse[map[string]any]
		cl.get("/v1/webhooks").decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, 1)
		require.NotContains(t, list.Data[0], "secret")

		require.Equal(t, http.StatusNoContent, cl.delete("/v1/webhooks/"+created.ID).Status)
		cl.get("/v1/webhooks/"+created.ID).problem(t, http.StatusNotFound)
	})
}

func TestWebhookURLValidation(t *testing.T) {
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	cl := ws.admin(t)
	tests := []struct {
		name   string
		url    string
		reason string
	}{
		{name: "private address", url: "http://10.0.0.5/hook",
			reason: "10.0.0.5 is a private address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "cloud metadata by name", url: "http://metadata.example.com/latest/meta-data/",
			reason: "metadata.example.com resolves to 169.254.169.254, a cloud metadata address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "private by name", url: "https://intranet.example.com/",
			reason: "intranet.example.com resolves to 10.20.0.5, a private address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "loopback not allowed", url: "http://127.0.0.2:9/",
			reason: "127.0.0.2 is a loopback address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "credentials", url: "https://user:pw@hooks.example.com/",
			reason: "must not contain a user name or password; authenticate the deliveries with the signing secret"},
		{name: "scheme", url: "file:///etc/passwd", reason: "must start with https:// or http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cl.post("/v1/webhooks", obj{"url": tt.url, "event_types": []string{"call.ended"}}).
				problem(t, http.StatusUnprocessableEntity)

			require.Equal(t, "/problems/validation-failed", p.Type)
			require.Len(t, p.InvalidParams, 1)
			require.Equal(t, "url", p.InvalidParams[0].Field)
			require.Equal(t, tt.reason, p.InvalidParams[0].Reason)
		})
	}
	t.Run("allow-listed loopback", func(t *testing.T) {
		hook := newEndpoint(t)

		resp := cl.post("/v1/webhooks", obj{"url": hook.URL, "event_types": []string{"call.ended"}})

		require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	})
	t.Run("public host", func(t *testing.T) {
		resp := cl.post("/v1/webhooks", obj{"url": "https://hooks.example.com/in", "event_types": []string{"call.logged"}})

		require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	})
	t.Run("event types", func(t *testing.T) {
		p := cl.post("/v1/webhooks", obj{"url": "https://hooks.example.com/in", "event_types": []string{"call.ended", "calls.*"}}).
			problem(t, http.StatusUnprocessableEntity)

		require.Equal(t, "event_types[1]", p.InvalidParams[0].Field)
	})
	t.Run("patch to private", func(t *testing.T) {
		var sub webhookView
		cl.post("/v1/webhooks", obj{"url": "https://hooks.example.com/a", "event_types": []string{"call.logged"}}).
			decode(t, http.StatusCreated, &sub)

		p := cl.patch("/v1/webhooks/"+sub.ID, obj{"url": "http://192.168.0.10/"}).problem(t, http.StatusUnprocessableEntity)

		require.Equal(t, "url", p.InvalidParams[0].Field)
	})
	require.Empty(t, ws.Dialer.addresses(), "checking a URL connects nowhere")
}

func TestWebhookTwilioCallEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ws := newWebhookServer(t, st, 0)
		conn := ws.connection(t, ws.Workspace.ID, telephony.ProviderTwilio)
		ann := ws.contact(t, "Ann", "+14155550123")
		hook := newEndpoint(t)
		sub := ws.subscribe(t, ws.AdminKey, hook.URL+"/calls", "call.ringing", "call.ended")

		ws.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))
		ended := twilioVoiceParams("CA1", "+14155550123")
		ended.Set("CallStatus", "completed")
		ended.Set("CallDuration", "42")
		require.Equal(t, http.StatusOK, ws.twilioHook(t, conn, "status", ended).Status)

		received := hook.waitFor(t, 2)
		require.Len(t, received, 2, "answered is not subscribed, so ringing and ended only")
		byType := map[string]delivery{}
		for _, d := range received {
			require.True(t, verifyStandardWebhook(t, sub.Secret, d), "signature of %s", d.Body)
			e := d.event(t)
			require.Equal(t, d.ID, e.ID, "webhook-id is the event id")
			byType[e.Type] = d
		}
		require.Contains(t, byType, "call.ringing")
		require.Contains(t, byType, "call.ended")

		var ringing, end callView
		require.NoError(t, json.Unmarshal(byType["call.ringing"].event(t).Data, &ringing))
		require.NoError(t, json.Unmarshal(byType["call.ended"].event(t).Data, &end))
		require.Equal(t, "ringing", ringing.Status)
		require.Equal(t, "CA1", ringing.ProviderCallID)
		require.Equal(t, &ann.ID, ringing.ContactID)
		require.Equal(t, ringing.ID, end.ID)
		require.Equal(t, "completed", end.Status)
		require.Equal(t, 42, end.DurationSeconds)

		var current callView
		ws.admin(t).get("/v1/calls/"+end.ID).decode(t, http.StatusOK, &current)
		require.Equal(t, current, end, "the event carries the call as GET /v1/calls/{id} shows it")
	})
}

func TestWebhookContactEvents(t *testing.T) {
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	hook := newEndpoint(t)
	sub := ws.subscribe(t, ws.AdminKey, hook.URL, "contact.*")
	cl := ws.client(t, ws.newKey(t, ws.Workspace.ID, ScopeDirectoryWrite))

	created := cl.post("/v1/contacts", obj{"phonebook_id": ws.Phonebook.ID, "first_name": "Ann"})
	require.Equal(t, http.StatusCreated, created.Status, "body: %s", created.Body)
	var contact contactView
	require.NoError(t, json.Unmarshal(created.Body, &contact))
	hook.waitFor(t, 1)
	updated := cl.patch("/v1/contacts/"+contact.ID, obj{"company": "Acme"})
	require.Equal(t, http.StatusOK, updated.Status)
	hook.waitFor(t, 2)
	require.Equal(t, http.StatusNoContent, cl.delete("/v1/contacts/"+contact.ID).Status)

	received := hook.waitFor(t, 3)
	var types []string
	for _, d := range received {
		require.True(t, verifyStandardWebhook(t, sub.Secret, d))
		types = append(types, d.event(t).Type)
	}
	require.Equal(t, []string{"contact.created", "contact.updated", "contact.deleted"}, types)
	require.JSONEq(t, string(created.Body), string(received[0].event(t).Data), "the event carries the contact as the API shows it")
	require.JSONEq(t, string(updated.Body), string(received[1].event(t).Data))
	require.JSONEq(t, string(updated.Body), string(received[2].event(t).Data), "a deleted contact as it was")
}

func TestWebhookDeliveryLogAndRedelivery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ws := newWebhookServer(t, st, 0)
		hook := newEndpoint(t, http.StatusInternalServerError)
		sub := ws.subscribe(t, ws.AdminKey, hook.URL, "phonebook.*")
		cl := ws.admin(t)
		since := time.Now().Add(-time.Minute)
		require.Equal(t, http.StatusCreated, cl.post("/v1/phonebooks", obj{"name": "Suppliers"}).Status)
		first := hook.waitFor(t, 2)

		log := ws.waitDeliveries(t, sub.ID, "succeeded")
		require.Len(t, log.Data, 1)
		d := log.Data[0]
		require.Equal(t, first[0].ID, d.EventID)
		require.Equal(t, "phonebook.created", d.EventType)
		require.Equal(t, "succeeded", d.State)
		require.Equal(t, 2, d.AttemptCount)
		require.Len(t, d.Attempts, 2)
		require.Equal(t, 1, d.Attempts[0].Attempt)
		require.Equal(t, 500, *d.Attempts[0].StatusCode)
		require.Equal(t, "HTTP 500", d.Attempts[0].Error)
		require.Equal(t, 2, d.Attempts[1].Attempt)
		require.Equal(t, 200, *d.Attempts[1].StatusCode)
		require.Empty(t, d.Attempts[1].Error)
		require.GreaterOrEqual(t, d.Attempts[1].LatencyMS, int64(0))

		var again webhookDeliveryView
		cl.post("/v1/webhooks/"+sub.ID+"/deliveries/"+d.EventID+"/redeliver", nil).decode(t, http.StatusAccepted, &again)
		require.Equal(t, d.ID, again.ID)
		require.Equal(t, "pending", again.State)
		byID := hook.waitFor(t, 3)
		cl.post("/v1/webhooks/"+sub.ID+"/deliveries/"+d.ID+"/redeliver", nil).decode(t, http.StatusAccepted, &again)
		hook.waitFor(t, 4)
		var queued redeliverSinceView
		cl.post("/v1/webhooks/"+sub.ID+"/redeliver", obj{"since": since.Format(time.RFC3339)}).decode(t, http.StatusAccepted, &queued)
		require.Equal(t, 1, queued.Queued)
		require.Nil(t, queued.NextSince)
		all := hook.waitFor(t, 5)

		for _, r := range all {
			require.Equal(t, first[0].ID, r.ID, "every redelivery carries the same webhook-id")
			require.Equal(t, first[0].Body, r.Body)
		}
		require.Equal(t, byID[2].Body, all[4].Body)
		cl.post("/v1/webhooks/"+sub.ID+"/deliveries/whd_missing/redeliver", nil).problem(t, http.StatusNotFound)
		p := cl.post("/v1/webhooks/"+sub.ID+"/redeliver", obj{"since": "yesterday"}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "since", p.InvalidParams[0].Field)
	})
}

func TestWebhookRotateSecret(t *testing.T) {
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	hook := newEndpoint(t)
	sub := ws.subscribe(t, ws.AdminKey, hook.URL, "phonebook.*")
	cl := ws.admin(t)

	var rotated webhookSecretView
	cl.post("/v1/webhooks/"+sub.ID+"/rotate-secret", obj{"overlap_seconds": 3600}).decode(t, http.StatusOK, &rotated)
	require.NotEqual(t, sub.Secret, rotated.Secret)
	require.NotNil(t, rotated.PreviousSecretExpiresAt)
	require.Equal(t, http.StatusCreated, cl.post("/v1/phonebooks", obj{"name": "During overlap"}).Status)
	during := hook.waitFor(t, 1)[0]

	var dropped webhookSecretView
	cl.post("/v1/webhooks/"+sub.ID+"/rotate-secret", obj{"overlap_seconds": 0}).decode(t, http.StatusOK, &dropped)
	require.Nil(t, dropped.PreviousSecretExpiresAt)
	require.Equal(t, http.StatusCreated, cl.post("/v1/phonebooks", obj{"name": "After"}).Status)
	after := hook.waitFor(t, 2)[1]

	require.Len(t, strings.Fields(during.Signature), 2)
	require.True(t, verifyStandardWebhook(t, rotated.Secret, during), "the new secret verifies during the overlap")
	require.True(t, verifyStandardWebhook(t, sub.Secret, during), "the old secret verifies during the overlap")
	require.Len(t, strings.Fields(after.Signature), 1)
	require.True(t, verifyStandardWebhook(t, dropped.Secret, after))
	require.False(t, verifyStandardWebhook(t, rotated.Secret, after), "a rotation without overlap drops the previous secret")
	var shown map[string]any
	cl.get("/v1/webhooks/"+sub.ID).decode(t, http.StatusOK, &shown)
	require.NotContains(t, shown, "secret")
	p := cl.post("/v1/webhooks/"+sub.ID+"/rotate-secret", obj{"overlap_seconds": 8 * 24 * 3600}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "overlap_seconds", p.InvalidParams[0].Field)
}

func TestWebhookDisabledAfterFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ws := newWebhookServer(t, st, time.Millisecond)
		failing := newEndpoint(t, slices.Repeat([]int{http.StatusBadGateway}, 100)...)
		watcher := newEndpoint(t)
		sub := ws.subscribe(t, ws.AdminKey, failing.URL, "contact.*")
		ws.subscribe(t, ws.AdminKey, watcher.URL, "webhook.disabled")
		cl := ws.admin(t)

		require.Equal(t, http.StatusCreated, cl.post("/v1/contacts", obj{"phonebook_id": ws.Phonebook.ID, "first_name": "Ann"}).Status)

		notice := watcher.waitFor(t, 1)[0].event(t)
		require.Equal(t, "webhook.disabled", notice.Type)
		var disabled webhookView
		cl.get("/v1/webhooks/"+sub.ID).decode(t, http.StatusOK, &disabled)
		require.False(t, disabled.Enabled)
		require.Contains(t, disabled.DisabledReason, "the last one: HTTP 502")
		require.NotNil(t, disabled.DisabledAt)
		var inNotice webhookView
		require.NoError(t, json.Unmarshal(notice.Data, &inNotice))
		require.Equal(t, disabled, inNotice, "the event carries the subscription as the API shows it")
		var events listResponse[deliveredEvent]
		cl.get("/v1/webhook-events?type=webhook.disabled").decode(t, http.StatusOK, &events)
		require.Len(t, events.Data, 1)
		require.Equal(t, notice.ID, events.Data[0].ID)
		cl.post("/v1/webhooks/"+sub.ID+"/deliveries/"+events.Data[0].ID+"/redeliver", nil).problem(t, http.StatusConflict)

		var enabled webhookView
		cl.patch("/v1/webhooks/"+sub.ID, obj{"enabled": true}).decode(t, http.StatusOK, &enabled)
		require.True(t, enabled.Enabled)
		require.Empty(t, enabled.DisabledReason)
		require.Zero(t, enabled.ConsecutiveFailures)
	})
}

func TestWebhookTenantIsolation(t *testing.T) {
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	mine := newEndpoint(t)
	theirs := newEndpoint(t)
	sub := ws.subscribe(t, ws.AdminKey, mine.URL, "*")
	other, otherKey := ws.newWorkspace(t, "Other", "GB")
	ws.subscribe(t, otherKey, theirs.URL, "*")
	cl := ws.client(t, otherKey)

	cl.get("/v1/webhooks/"+sub.ID).problem(t, http.StatusNotFound)
	cl.patch("/v1/webhooks/"+sub.ID, obj{"enabled": false}).problem(t, http.StatusNotFound)
	cl.post("/v1/webhooks/"+sub.ID+"/rotate-secret", nil).problem(t, http.StatusNotFound)
	cl.get("/v1/webhooks/"+sub.ID+"/deliveries").problem(t, http.StatusNotFound)
	cl.post("/v1/webhooks/"+sub.ID+"/redeliver", obj{"since": "0"}).problem(t, http.StatusNotFound)
	cl.delete("/v1/webhooks/"+sub.ID).problem(t, http.StatusNotFound)
	var list listResponse[webhookView]
	cl.get("/v1/webhooks").decode(t, http.StatusOK, &list)
	require.Len(t, list.Data, 1)
	require.NotEqual(t, sub.ID, list.Data[0].ID)

	require.Equal(t, http.StatusCreated, ws.admin(t).post("/v1/phonebooks", obj{"name": "Mine"}).Status)
	event := mine.waitFor(t, 1)[0]
	cl.post("/v1/webhooks/"+list.Data[0].ID+"/deliveries/"+event.ID+"/redeliver", nil).problem(t, http.StatusNotFound)
	var events listResponse[deliveredEvent]
	cl.get("/v1/webhook-events").decode(t, http.StatusOK, &events)
	require.Empty(t, events.Data, "the other workspace records none of this workspace's events")
	require.Empty(t, theirs.received())
	require.NotEqual(t, other.ID, ws.Workspace.ID)
}

func TestWebhooksNotConfigured(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))

	p := ts.admin(t).get("/v1/webhooks").problem(t, http.StatusServiceUnavailable)

	require.Equal(t, "/problems/service-unavailable", p.Type)
}

func TestWebhooksMatchOpenAPI(t *testing.T) {
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	c := newSpecClient(t, ws.testServer)
	admin := bearer(ws.AdminKey)
	jsonType := "application/json"
	hook := newEndpoint(t)

	var sub webhookSecretView
	c.send(http.MethodPost, "/v1/webhooks", `{"url":"`+hook.URL+`","event_types":["phonebook.*","call.ended"],"description":"Zapier"}`,
		"Authorization", admin, "Content-Type", jsonType).decode(t, http.StatusCreated, &sub)
	c.send(http.MethodPost, "/v1/webhooks", `{"url":"http://10.1.1.1/","event_types":["x"]}`,
		"Authorization", admin, "Content-Type", jsonType).problem(t, http.StatusUnprocessableEntity)
	c.send(http.MethodGet, "/v1/webhooks", "", "Authorization", admin).decode(t, http.StatusOK, &listResponse[webhookView]{})
	c.send(http.MethodGet, "/v1/webhooks/"+sub.ID, "", "Authorization", admin).decode(t, http.StatusOK, &webhookView{})
	c.send(http.MethodGet, "/v1/webhooks/wh_missing", "", "Authorization", admin).problem(t, http.StatusNotFound)
	c.send(http.MethodPatch, "/v1/webhooks/"+sub.ID, `{"description":"Zapier, production"}`,
		"Authorization", admin, "Content-Type", jsonType).decode(t, http.StatusOK, &webhookView{})
	c.send(http.MethodPost, "/v1/webhooks/"+sub.ID+"/rotate-secret", "", "Authorization", admin).
		decode(t, http.StatusOK, &webhookSecretView{})

	require.Equal(t, http.StatusCreated, ws.admin(t).post("/v1/phonebooks", obj{"name": "Suppliers"}).Status)
	require.Equal(t, http.StatusCreated, ws.admin(t).post("/v1/phonebooks", obj{"name": "Partners"}).Status)
	event := hook.waitFor(t, 2)[0]
	ws.waitDeliveries(t, sub.ID, "succeeded")
	var log listResponse[webhookDeliveryView]
	c.send(http.MethodGet, "/v1/webhooks/"+sub.ID+"/deliveries?limit=1", "", "Authorization", admin).decode(t, http.StatusOK, &log)
	require.True(t, log.HasMore)
	c.send(http.MethodGet, log.NextURL, "", "Authorization", admin).decode(t, http.StatusOK, &log)
	require.False(t, log.HasMore)
	c.send(http.MethodGet, "/v1/webhooks/"+sub.ID+"/deliveries?limit=1", "", "Authorization", admin).decode(t, http.StatusOK, &log)
	c.send(http.MethodPost, "/v1/webhooks/"+sub.ID+"/deliveries/"+event.ID+"/redeliver", "", "Authorization", admin).
		decode(t, http.StatusAccepted, &webhookDeliveryView{})
	c.send(http.MethodPost, "/v1/webhooks/"+sub.ID+"/redeliver", `{"since":"2026-01-01T00:00:00Z"}`,
		"Authorization", admin, "Content-Type", jsonType).decode(t, http.StatusAccepted, &redeliverSinceView{})
	c.send(http.MethodGet, "/v1/webhook-events?type=phonebook.created&limit=10", "", "Authorization", admin).
		decode(t, http.StatusOK, &listResponse[deliveredEvent]{})
	c.send(http.MethodGet, "/v1/webhook-events?type=sms.sent", "", "Authorization", admin).problem(t, http.StatusBadRequest)
	c.send(http.MethodGet, "/v1/webhook-events?cursor="+url.QueryEscape(log.NextCursor), "", "Authorization", admin).
		problem(t, http.StatusBadRequest)
	require.Equal(t, http.StatusNoContent, c.send(http.MethodDelete, "/v1/webhooks/"+sub.ID, "", "Authorization", admin).Status)
}
