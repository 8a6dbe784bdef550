package gateway

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// Secrets of the test connections.
const (
	hookTwilioSID     = "AC3f1d8a2b9c4e5f60718293a4b5c6d7e8"
	hookTwilioToken   = "0123456789abcdef0123456789abcdef"
	hookGenericSecret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
	hookVonageSecret  = "Zr4qK8vNw2xB6yT0cJ5mH9pL3dF7sA1e"
	hookAircallToken  = "aircall-webhook-token"
)

const (
	twimlHeader       = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	twimlSalesQueue   = twimlHeader + `<Response><Enqueue>sales</Enqueue></Response>`
	twimlDefaultRoute = twimlHeader + `<Response><Dial action="dial"><Number>+14155550188</Number></Dial></Response>`
)

var (
	hookDefaultRoute = telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"}
	hookKnownRule    = routing.Rule{Name: "known callers", When: "contact != nil", Route: telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}}
)

// telephonyServer is a test server whose gateway has an inbound service,
// with one phonebook and fake provider APIs on loopback.
type telephonyServer struct {
	*testServer
	Phonebook store.Phonebook
	Registry  *prometheus.Registry
	// APIs are the fake REST APIs of Twilio, Telnyx, Vonage and Aircall.
	APIs      map[telephony.Provider]*fakeProviderAPI
	telnyxKey ed25519.PrivateKey
}

// newTelephonyServer starts the gateway over st with an inbound service.
// The connections it creates send REST API requests to fake provider APIs.
func newTelephonyServer(t *testing.T, st *store.Store) *telephonyServer {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	log := zaptest.NewLogger(t)

	apis := map[telephony.Provider]*fakeProviderAPI{}
	for _, p := range []telephony.Provider{telephony.ProviderTwilio, telephony.ProviderTelnyx, telephony.ProviderVonage, telephony.ProviderAircall} {
		apis[p] = newFakeProviderAPI(t)
	}
	svc, err := inbound.New(inbound.Config{Store: st, Connections: connections.New(st, keyring), Log: log, Registry: registry})
	require.NoError(t, err)

	cfg := Config{PublicBaseURL: "http://switchboard.test", MaxBodyBytes: 8 << 20, MaxImportBytes: 64 << 20, TokenTTL: time.Hour, Version: "test"}
	srv := New(cfg, Deps{Store: st, Directory: directory.New(st), Keyring: keyring, Inbound: svc, Log: log, Registry: registry})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)

	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")
	pb := store.Phonebook{WorkspaceID: ts.Workspace.ID, Name: "Customers"}
	require.NoError(t, st.CreatePhonebook(t.Context(), &pb))

	_, telnyxKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return &telephonyServer{testServer: ts, Phonebook: pb, Registry: registry, APIs: apis, telnyxKey: telnyxKey}
}

// connection stores an enabled connection of provider in workspaceID with
// the test secrets, the known-callers rule and the default route.
func (ts *telephonyServer) connection(t *testing.T, workspaceID string, provider telephony.Provider) store.TelephonyConnection {
	t.Helper()
	creds := map[telephony.Provider]telephony.Credentials{
		telephony.ProviderTwilio:  {AccountID: hookTwilioSID, AuthToken: hookTwilioToken},
		telephony.ProviderGeneric: {SigningSecret: hookGenericSecret},
		telephony.ProviderVonage:  {SigningSecret: hookVonageSecret},
		telephony.ProviderTelnyx:  {APIKey: "KEY0123", PublicKey: base64.StdEncoding.EncodeToString(ts.telnyxKey.Public().(ed25519.PublicKey))},
		telephony.ProviderAircall: {AccountID: "api-id", AuthToken: "api-token", WebhookToken: hookAircallToken},
	}[provider]
	if api, ok := ts.APIs[provider]; ok {
		creds.APIBaseURL = api.URL
	}
	plain, err := json.Marshal(creds)
	require.NoError(t, err)
	sealed, err := ts.Keyring.Encrypt(plain)
	require.NoError(t, err)
	rules, err := json.Marshal([]routing.Rule{hookKnownRule})
	require.NoError(t, err)
	route, err := json.Marshal(hookDefaultRoute)
	require.NoError(t, err)

	phonebooks := []string{}
	if workspaceID == ts.Workspace.ID {
		phonebooks = []string{ts.Phonebook.ID}
	}
	conn := store.TelephonyConnection{
		WorkspaceID: workspaceID, Provider: string(provider), Name: string(provider),
		Credentials: sealed, PhonebookIDs: store.JSONColumn[[]string]{V: phonebooks},
		RoutingRules: rules, DefaultRoute: route, Enabled: true,
	}
	require.NoError(t, ts.Store.CreateTelephonyConnection(t.Context(), &conn))
	return conn
}

// contact stores a contact of the test phonebook with one number.
func (ts *telephonyServer) contact(t *testing.T, name, number string) store.Contact {
	t.Helper()
	c := store.Contact{
		WorkspaceID: ts.Workspace.ID, PhonebookID: ts.Phonebook.ID, FirstName: name, DisplayName: name,
		PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: []store.PhoneNumber{{Label: "work", Number: number, E164: number}}},
	}
	require.NoError(t, ts.Store.CreateContact(t.Context(), &c))
	return c
}

// callCount returns the number of calls in workspaceID.
func (ts *telephonyServer) callCount(t *testing.T, workspaceID string) int {
	t.Helper()
	calls, _, err := ts.Store.ListCalls(t.Context(), store.CallQuery{WorkspaceID: workspaceID, Limit: 1000})
	require.NoError(t, err)
	return len(calls)
}

// sendHook posts body to the webhook path with headers (name, value pairs).
func (ts *telephonyServer) sendHook(t *testing.T, method, path, body string, headers ...string) *testResponse {
	t.Helper()
	return ts.client(t, "").do(method, path, []byte(body), headers...)
}

// twilioHook sends a Twilio webhook with params, signed for the public URL.
func (ts *telephonyServer) twilioHook(t *testing.T, conn store.TelephonyConnection, hook string, params url.Values) *testResponse {
	t.Helper()
	path := "/hooks/twilio/" + conn.ID + "/" + hook
	signature := twilio.Signature(hookTwilioToken, "http://switchboard.test"+path, params)
	return ts.sendHook(t, http.MethodPost, path, params.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", twilio.SignatureHeader, signature)
}

// genericHook sends a signed generic webhook with event.
func (ts *telephonyServer) genericHook(t *testing.T, conn store.TelephonyConnection, event generic.Event) *testResponse {
	t.Helper()
	body, err := json.Marshal(event)
	require.NoError(t, err)
	now := time.Now()
	signature, err := generic.Sign(hookGenericSecret, event.EventID, now, body)
	require.NoError(t, err)
	return ts.sendHook(t, http.MethodPost, "/hooks/generic/"+conn.ID+"/events", string(body),
		"Content-Type", "application/json", generic.HeaderID, event.EventID,
		generic.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10), generic.HeaderSignature, signature)
}

func twilioVoiceParams(sid, from string) url.Values {
	return url.Values{
		"AccountSid": {hookTwilioSID}, "CallSid": {sid}, "CallStatus": {"ringing"}, "Direction": {"inbound"},
		"From": {from}, "To": {"+14155550100"},
	}
}

// genericEvent returns an inbound event of call id at second s after at.
func genericEvent(callID, event string, at time.Time) generic.Event {
	return generic.Event{
		EventID: callID + "-" + event, CallID: callID, Event: event, Direction: "inbound",
		From: "+14155550123", To: "+14155550100", OccurredAt: at,
	}
}

func TestWebhookPerProvider(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	ts.contact(t, "Ann", "+14155550123")
	ws := ts.Workspace.ID

	t.Run("twilio", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderTwilio)

		resp := ts.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.Equal(t, "text/xml", resp.Header.Get("Content-Type"))
		require.Equal(t, twimlSalesQueue, string(resp.Body))
	})
	t.Run("twilio GET", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderTwilio)
		path := "/hooks/twilio/" + conn.ID + "/voice?" + twilioVoiceParams("CA2", "+14155550999").Encode()
		signature := twilio.Signature(hookTwilioToken, "http://switchboard.test"+path, nil)

		resp := ts.sendHook(t, http.MethodGet, path, "", twilio.SignatureHeader, signature)

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.Equal(t, twimlDefaultRoute, string(resp.Body))
	})
	t.Run("generic", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderGeneric)

		resp := ts.genericHook(t, conn, genericEvent("g-1", "ringing", time.Now()))

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.JSONEq(t, `{"action":"route","route":{"kind":"queue","target":"sales"}}`, string(resp.Body))
	})
	t.Run("vonage", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderVonage)
		body := `{"from":"14155550123","to":"14155550100","uuid":"5d2b7c1e8f3a4b6d9e0c1a2b3c4d5e6f","conversation_uuid":"CON-1"}`

		resp := ts.sendHook(t, http.MethodPost, "/hooks/vonage/"+conn.ID+"/answer", body,
			"Content-Type", "application/json", "Authorization", "Bearer "+vonageToken(t, body))

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.JSONEq(t, `[{"action":"conversation","name":"sales","startOnEnter":false}]`, string(resp.Body))
	})
	t.Run("telnyx", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderTelnyx)
		body := `{"data":{"event_type":"call.initiated","id":"ev-1","occurred_at":"2026-03-10T14:02:11Z",
			"payload":{"call_control_id":"v3:cc-1","direction":"incoming","from":"+14155550123","to":"+14155550100"}}}`
		timestamp := strconv.FormatInt(time.Now().Unix(), 10)
		signature := base64.StdEncoding.EncodeToString(ed25519.Sign(ts.telnyxKey, []byte(timestamp+"|"+body)))

		resp := ts.sendHook(t, http.MethodPost, "/hooks/telnyx/"+conn.ID+"/events", body,
			"Content-Type", "application/json", telnyx.HeaderTimestamp, timestamp, telnyx.HeaderSignature, signature)

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.Empty(t, resp.Body)
		requests := ts.APIs[telephony.ProviderTelnyx].received()
		require.Len(t, requests, 2, "a queue route answers the parked call, then enqueues it")
		require.Equal(t, "/v2/calls/v3:cc-1/actions/answer", requests[0].Path)
		require.Equal(t, "/v2/calls/v3:cc-1/actions/enqueue", requests[1].Path)
		require.Contains(t, requests[1].Body, `"queue_name":"sales"`)
	})
	t.Run("aircall", func(t *testing.T) {
		conn := ts.connection(t, ws, telephony.ProviderAircall)
		body := `{"resource":"call","event":"call.created","timestamp":1773151331,"token":"` + hookAircallToken + `",
			"data":{"id":42,"direction":"inbound","status":"initial","started_at":1773151331,"raw_digits":"+1 415-555-0999"}}`

		resp := ts.sendHook(t, http.MethodPost, "/hooks/aircall/"+conn.ID+"/events", body, "Content-Type", "application/json")

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		requests := ts.APIs[telephony.ProviderAircall].received()
		require.Len(t, requests, 1)
		require.Equal(t, "/v1/calls/42/transfers", requests[0].Path)
		require.JSONEq(t, `{"number":"+14155550188"}`, requests[0].Body)
	})

	require.Equal(t, 6, ts.callCount(t, ws))
}

func TestTwilioRecordingHook(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	resp := ts.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	recordingURL := "https://api.twilio.com/2010-04-01/Accounts/" + hookTwilioSID + "/Recordings/RE1"

	resp = ts.twilioHook(t, conn, "recording", url.Values{
		"AccountSid": {hookTwilioSID}, "CallSid": {"CA1"}, "RecordingSid": {"RE1"}, "RecordingUrl": {recordingURL},
		"RecordingStatus": {"completed"}, "RecordingDuration": {"12"},
	})

	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	require.Equal(t, "text/xml", resp.Header.Get("Content-Type"))
	calls, _, err := ts.Store.ListCalls(t.Context(), store.CallQuery{WorkspaceID: ts.Workspace.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.Equal(t, recordingURL, calls[0].RecordingURL)
	require.Equal(t, "ringing", calls[0].Status)
}

// vonageToken returns the JWT Vonage would sign body with.
func vonageToken(t *testing.T, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": time.Now().Unix(), "iss": "Vonage", "payload_hash": hex.EncodeToString(sum[:]),
	}).SignedString([]byte(hookVonageSecret))
	require.NoError(t, err)
	return token
}

func TestWebhookErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTelephonyServer(t, st)
		conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
		form := twilioVoiceParams("CA1", "+14155550123").Encode()
		formType := "application/x-www-form-urlencoded"

		t.Run("bad signature", func(t *testing.T) {
			resp := ts.sendHook(t, http.MethodPost, "/hooks/twilio/"+conn.ID+"/voice", form,
				"Content-Type", formType, twilio.SignatureHeader, "bm90IGEgc2lnbmF0dXJl")

			p := resp.problem(t, http.StatusForbidden)
			require.Equal(t, "/problems/invalid-signature", p.Type)
		})
		t.Run("no signature", func(t *testing.T) {
			resp := ts.sendHook(t, http.MethodPost, "/hooks/twilio/"+conn.ID+"/voice", form, "Content-Type", formType)

			resp.problem(t, http.StatusForbidden)
		})
		t.Run("unknown connection", func(t *testing.T) {
			resp := ts.sendHook(t, http.MethodPost, "/hooks/twilio/tc_missing/voice", form, "Content-Type", formType)

			resp.problem(t, http.StatusNotFound)
		})
		t.Run("provider mismatch", func(t *testing.T) {
			resp := ts.sendHook(t, http.MethodPost, "/hooks/telnyx/"+conn.ID+"/events", `{}`, "Content-Type", "application/json")

			resp.problem(t, http.StatusNotFound)
		})
		t.Run("malformed", func(t *testing.T) {
			resp := ts.twilioHook(t, conn, "voice", url.Values{"From": {"+14155550123"}})

			p := resp.problem(t, http.StatusBadRequest)
			require.Contains(t, p.Detail, "missing CallSid")
		})
		t.Run("body too large", func(t *testing.T) {
			resp := ts.sendHook(t, http.MethodPost, "/hooks/twilio/"+conn.ID+"/voice", strings.Repeat("a", maxWebhookBytes+1), "Content-Type", formType)

			resp.problem(t, http.StatusRequestEntityTooLarge)
		})

		require.Equal(t, 0, ts.callCount(t, ts.Workspace.ID), "nothing was stored")
	})
}

// TestWebhookWithDatabaseClosed routes one call, closes the database and
// expects the next call to get the default route, the failure counted.
func TestWebhookWithDatabaseClosed(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	ts.contact(t, "Ann", "+14155550123")
	first := ts.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))
	require.Equal(t, twimlSalesQueue, string(first.Body))

	require.NoError(t, ts.Store.Close())
	resp := ts.twilioHook(t, conn, "voice", twilioVoiceParams("CA2", "+14155550123"))

	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	require.Equal(t, twimlDefaultRoute, string(resp.Body))
	metrics := ts.client(t, "").get("/metrics")
	require.Contains(t, string(metrics.Body), `switchboard_routing_fallbacks_total{provider="twilio",reason="lookup_failed"} 1`)
	require.Contains(t, string(metrics.Body), `switchboard_call_record_failures_total{provider="twilio"} 1`)
}

// fakeProviderAPI is a provider REST API on loopback that records requests
// and responds with a fixed status and body.
type fakeProviderAPI struct {
	*httptest.Server

	mu       sync.Mutex
	requests []providerRequest
	status   int
	body     string
}

type providerRequest struct {
	Method, Path, Body string
}

func newFakeProviderAPI(t *testing.T) *fakeProviderAPI {
	t.Helper()
	f := &fakeProviderAPI{status: http.StatusOK, body: `{}`}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, providerRequest{Method: r.Method, Path: r.URL.Path, Body: string(body)})
		status, reply := f.status, f.body
		f.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProviderAPI) respond(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

func (f *fakeProviderAPI) received() []providerRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]providerRequest(nil), f.requests...)
}
