package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// waitLimit bounds every wait for the job queue. It is far above the
// seconds the waits take, so only a delivery that never happens reaches it.
const waitLimit = 60 * time.Second

// fastRetries retries a failed delivery after 10 ms, up to five times.
var fastRetries = []time.Duration{
	10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond,
}

// fixture is a Service on a fresh store with one workspace, a running job
// queue and an allow list of 127.0.0.1 for test subscribers.
type fixture struct {
	ctx     context.Context
	store   *store.Store
	service *Service
	ws      string
	// queue is nil with options.noQueue.
	queue *jobs.Queue
}

// options change the Service of a fixture.
type options struct {
	disableAfter time.Duration
	now          func() time.Time
	// noQueue leaves the job queue out, for tests of what is recorded.
	noQueue bool
}

func setup(t *testing.T, st *store.Store, o options) fixture {
	t.Helper()
	ctx := context.Background()
	keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
	require.NoError(t, err)
	allow, err := ParseAllowList([]string{"127.0.0.1"})
	require.NoError(t, err)

	svc, err := New(Config{
		Store: st, Keyring: keyring, Log: zaptest.NewLogger(t),
		Render:        func(object any) (any, error) { return object, nil },
		Guard:         NewGuard(GuardConfig{Allow: allow, Resolver: testHosts}),
		RetrySchedule: fastRetries,
		DisableAfter:  o.disableAfter,
		Now:           o.now,
	})
	require.NoError(t, err)
	var queue *jobs.Queue
	if !o.noQueue {
		queue = startQueue(t, st, svc)
	}

	w := store.Workspace{Name: "Acme"}
	require.NoError(t, st.CreateWorkspace(ctx, &w))
	return fixture{ctx: ctx, store: st, service: svc, ws: w.ID, queue: queue}
}

// startQueue runs a job queue with the service's worker, stopped when the
// test ends.
func startQueue(t *testing.T, st *store.Store, svc *Service) *jobs.Queue {
	t.Helper()
	_, err := jobs.Migrate(context.Background(), st)
	require.NoError(t, err)
	workers := river.NewWorkers()
	svc.Register(workers)
	queue, err := jobs.New(jobs.Config{Store: st, Workers: workers, Queues: map[string]int{QueueName: 5}})
	require.NoError(t, err)
	svc.SetQueue(queue)
	require.NoError(t, queue.Start(context.Background()))
	t.Cleanup(func() { queue.Stop(context.Background()) })
	return queue
}

// subscribe creates an enabled subscription of the fixture's workspace and
// returns it with its secret.
func (f fixture) subscribe(t *testing.T, url string, types ...string) (store.WebhookSubscription, string) {
	t.Helper()
	sub, secret, err := f.service.Create(f.ctx, f.ws, Input{URL: url, EventTypes: types})
	require.NoError(t, err)
	return sub, secret
}

// emit records an event in a transaction of its own.
func (f fixture) emit(t *testing.T, workspaceID string, typ EventType, object any) {
	t.Helper()
	require.NoError(t, f.store.InTx(f.ctx, func(q *store.Queries) error {
		return f.service.Emit(f.ctx, q, workspaceID, typ, object)
	}))
}

// deliveries returns every delivery of the subscription, oldest first.
func (f fixture) deliveries(t *testing.T, sub store.WebhookSubscription) []store.WebhookDelivery {
	t.Helper()
	list, _, err := f.store.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
		WorkspaceID: sub.WorkspaceID, SubscriptionID: sub.ID, Limit: 1000,
	})
	require.NoError(t, err)
	return list
}

// waitSettled waits until the subscription has n deliveries and none is
// pending, and returns them oldest first.
func (f fixture) waitSettled(t *testing.T, sub store.WebhookSubscription, n int) []store.WebhookDelivery {
	t.Helper()
	var list []store.WebhookDelivery
	require.Eventually(t, func() bool {
		list = f.deliveries(t, sub)
		if len(list) != n {
			return false
		}
		for _, d := range list {
			if d.State == store.DeliveryPending {
				return false
			}
		}
		return true
	}, waitLimit, 20*time.Millisecond, "deliveries never settled")
	return list
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	at time.Time
}

func newTestClock() *testClock {
	return &testClock{at: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// received is one request a test subscriber got, and the status it
// responded with.
type received struct {
	ID, Timestamp, Signature string
	Path                     string
	Body                     []byte
	Status                   int
}

// subscriber is a webhook endpoint on loopback that responds to each
// request with the next status of a script, then 200. A 3xx redirects to
// /elsewhere, and a 429 carries "Retry-After: 1".
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	script   []int
}

func newSubscriber(t *testing.T, script ...int) *subscriber {
	t.Helper()
	s := &subscriber{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		status := http.StatusOK
		if len(s.script) > 0 {
			status, s.script = s.script[0], s.script[1:]
		}
		s.requests = append(s.requests, received{
			ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), Path: r.URL.Path, Body: body, Status: status,
		})
		s.mu.Unlock()
		switch {
		case status >= 300 && status < 400:
			w.Header().Set("Location", "/elsewhere")
		case status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.requests...)
}

// verifySignature checks a Standard Webhooks signature as a receiver
// would. It follows the specification rather than calling generic.Sign.
// The key is the base64 after whsec_, and the signed content is
// "{webhook-id}.{webhook-timestamp}.{body}". The header contains
// space-separated "v1,{base64 HMAC-SHA256}" entries, any of which may
// match.
func verifySignature(secret string, r received) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.ID + "." + r.Timestamp + "."))
	mac.Write(r.Body)
	expected := mac.Sum(nil)
	for _, entry := range strings.Split(r.Signature, " ") {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err == nil && hmac.Equal(got, expected) {
			return true
		}
	}
	return false
}

// eventOf decodes the body of a delivery.
func eventOf(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var event map[string]any
	require.NoError(t, json.Unmarshal(body, &event))
	return event
}

// fakeResolver returns addresses from a fixed table and sends no query.
type fakeResolver map[string][]netip.Addr

// Test host names and the addresses fakeResolver gives them.
var testHosts = fakeResolver{
	"hooks.example.com":    {netip.MustParseAddr("198.51.100.7")},
	"dual.example.com":     {netip.MustParseAddr("198.51.100.8"), netip.MustParseAddr("2001:db8::8")},
	"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
	"mixed.example.com":    {netip.MustParseAddr("198.51.100.9"), netip.MustParseAddr("10.1.2.3")},
	"intranet.example.com": {netip.MustParseAddr("10.20.0.5")},
	"localhost":            {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
}

func (r fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &netDNSError{host: host}
	}
	var out []netip.Addr
	for _, a := range addrs {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	return out, nil
}

type netDNSError struct{ host string }

func (e *netDNSError) Error() string { return "lookup " + e.host + ": no such host" }
