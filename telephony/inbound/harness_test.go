package inbound_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// testNow is the service's clock in every test: signature timestamps are
// checked against it and routing rules read it (a Tuesday, 14:02 UTC).
var testNow = time.Date(2026, 3, 10, 14, 2, 11, 0, time.UTC)

const (
	publicBase    = "http://switchboard.test"
	twilioToken   = "0123456789abcdef0123456789abcdef"
	twilioSID     = "AC3f1d8a2b9c4e5f60718293a4b5c6d7e8"
	genericSecret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
)

// Routes used by the test connections.
var (
	salesQueue   = telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}
	vipQueue     = telephony.Route{Kind: telephony.TargetQueue, Target: "vip"}
	defaultRoute = telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"}
	vipRule      = routing.Rule{Name: "vip callers", When: `contact?.extra_data?.tier == "vip"`, Route: vipQueue}
	knownRule    = routing.Rule{Name: "known callers", When: `contact != nil`, Route: salesQueue}
)

// harness is an inbound service over a fresh store with one workspace and
// one phonebook.
type harness struct {
	ctx       context.Context
	store     *store.Store
	keyring   *secret.Keyring
	svc       *inbound.Service
	registry  *prometheus.Registry
	workspace store.Workspace
	phonebook store.Phonebook
}

// setup builds the harness over st.
func setup(t *testing.T, st *store.Store) *harness {
	t.Helper()
	ctx := context.Background()
	keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
	require.NoError(t, err)

	h := &harness{ctx: ctx, store: st, keyring: keyring, registry: prometheus.NewRegistry()}
	cfg := inbound.Config{
		Store: st, Connections: connections.New(st, keyring), Log: zaptest.NewLogger(t), Registry: h.registry,
		Now: func() time.Time { return testNow }, PublicBaseURL: publicBase,
	}
	h.svc, err = inbound.New(cfg)
	require.NoError(t, err)
	t.Cleanup(h.svc.Close)

	h.workspace = store.Workspace{Name: "Acme", DefaultRegion: "US", TimeZone: "UTC"}
	require.NoError(t, st.CreateWorkspace(ctx, &h.workspace))
	h.phonebook = store.Phonebook{WorkspaceID: h.workspace.ID, Name: "Customers"}
	require.NoError(t, st.CreatePhonebook(ctx, &h.phonebook))
	return h
}

// connection stores an enabled connection of provider that searches the
// harness phonebook.
func (h *harness) connection(t *testing.T, provider telephony.Provider, creds telephony.Credentials, rules ...routing.Rule) store.TelephonyConnection {
	t.Helper()
	return h.connectionIn(t, h.workspace.ID, []string{h.phonebook.ID}, provider, creds, rules...)
}

func (h *harness) connectionIn(t *testing.T, workspaceID string, phonebooks []string, provider telephony.Provider, creds telephony.Credentials, rules ...routing.Rule) store.TelephonyConnection {
	t.Helper()
	plain, err := json.Marshal(creds)
	require.NoError(t, err)
	sealed, err := h.keyring.Encrypt(plain)
	require.NoError(t, err)
	if rules == nil {
		rules = []routing.Rule{}
	}

	conn := store.TelephonyConnection{
		WorkspaceID: workspaceID, Provider: string(provider), Name: string(provider) + " line",
		Credentials: sealed, PhonebookIDs: store.JSONColumn[[]string]{V: phonebooks},
		RoutingRules: mustJSON(t, rules), DefaultRoute: mustJSON(t, defaultRoute), Enabled: true,
	}
	require.NoError(t, h.store.CreateTelephonyConnection(h.ctx, &conn))
	return conn
}

// contact stores a contact with one number; extra is its extra_data JSON.
func (h *harness) contact(t *testing.T, name, number, extra string) store.Contact {
	t.Helper()
	c := store.Contact{
		WorkspaceID: h.workspace.ID, PhonebookID: h.phonebook.ID, FirstName: name, DisplayName: name,
		PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: []store.PhoneNumber{{Label: "work", Number: number, E164: number}}},
		ExtraData:    json.RawMessage(extra),
	}
	require.NoError(t, h.store.CreateContact(h.ctx, &c))
	return c
}

// calls returns every call of the harness workspace, oldest first.
func (h *harness) calls(t *testing.T) []store.Call {
	t.Helper()
	calls, _, err := h.store.ListCalls(h.ctx, store.CallQuery{WorkspaceID: h.workspace.ID, Limit: 100})
	require.NoError(t, err)
	return calls
}

// onlyCall requires exactly one call and returns it with its events.
func (h *harness) onlyCall(t *testing.T) (store.Call, []store.CallEventRecord) {
	t.Helper()
	calls := h.calls(t)
	require.Len(t, calls, 1)
	events, err := h.store.ListCallEvents(h.ctx, h.workspace.ID, calls[0].ID)
	require.NoError(t, err)
	return calls[0], events
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// twilioHook returns a signed Twilio webhook of connection conn.
func twilioHook(conn store.TelephonyConnection, name string, params url.Values) inbound.Hook {
	hookURL := publicBase + "/hooks/twilio/" + conn.ID + "/" + name
	header := http.Header{}
	header.Set(twilio.SignatureHeader, twilio.Signature(twilioToken, hookURL, params))
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	return inbound.Hook{
		Provider: "twilio", ConnectionID: conn.ID, Name: name, Method: http.MethodPost,
		PublicURL: hookURL, Header: header, Body: []byte(params.Encode()),
	}
}

// twilioVoice returns the form of Twilio's voice webhook for call sid
// from the number from.
func twilioVoice(sid, from string) url.Values {
	return url.Values{
		"AccountSid": {twilioSID}, "CallSid": {sid}, "CallStatus": {"ringing"}, "Direction": {"inbound"},
		"From": {from}, "To": {"+14155550100"},
	}
}

// genericHook returns a signed generic webhook carrying event.
func genericHook(t *testing.T, conn store.TelephonyConnection, event generic.Event) inbound.Hook {
	t.Helper()
	body := mustJSON(t, event)
	signature, err := generic.Sign(genericSecret, event.EventID, testNow, body)
	require.NoError(t, err)
	header := http.Header{}
	header.Set(generic.HeaderID, event.EventID)
	header.Set(generic.HeaderTimestamp, strconv.FormatInt(testNow.Unix(), 10))
	header.Set(generic.HeaderSignature, signature)
	return inbound.Hook{
		Provider: "generic", ConnectionID: conn.ID, Name: "events", Method: http.MethodPost,
		PublicURL: publicBase + "/hooks/generic/" + conn.ID + "/events", Header: header, Body: body,
	}
}

// fakeAPI is a provider REST API on loopback that records every request
// and responds with a fixed status and body.
type fakeAPI struct {
	*httptest.Server

	mu       sync.Mutex
	requests []apiRequest
	status   int
	body     string
}

type apiRequest struct {
	Method string
	Path   string
	Body   string
	Header http.Header
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{status: http.StatusOK, body: `{}`}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, apiRequest{Method: r.Method, Path: r.URL.Path, Body: string(body), Header: r.Header.Clone()})
		status, reply := f.status, f.body
		f.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(f.Close)
	return f
}

// respond sets the status and body of the following responses.
func (f *fakeAPI) respond(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

// received returns the requests so far.
func (f *fakeAPI) received() []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiRequest(nil), f.requests...)
}

// at returns creds with their REST API base URL set to api.
func at(creds telephony.Credentials, api *fakeAPI) telephony.Credentials {
	creds.APIBaseURL = api.URL
	return creds
}
