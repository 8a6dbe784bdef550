package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// testMasterKey is the master key of the test gateway, 32 characters long,
// the minimum.
const testMasterKey = "e2e-master-key-0123456789abcdefg"

// The agent every test signs in as, and the contact who calls.
const (
	agentName     = "Alex Morgan"
	agentEmail    = "alex.morgan@example.com"
	agentPassword = "correct horse battery staple"
	agentExt      = "201"

	contactFirstName = "Ada"
	contactLastName  = "Lovelace"
	contactCompany   = "Analytical Engines Ltd"
	// contactNumber is in the range Ofcom sets aside for drama, in the
	// E.164 form Twilio sends in From.
	contactNumber = "+442079460018"
	// lineNumber is the workspace's Twilio number and unknownNumber a
	// caller missing from the phonebook, both in the 555-01xx range set
	// aside for fiction.
	lineNumber    = "+14155550100"
	unknownNumber = "+14155550199"
)

// env is the gateway served on a loopback port over a fresh SQLite
// database, wired as `switchboard serve` wires it, with one workspace
// holding the agent, the caller's contact and a Twilio connection.
type env struct {
	URL       string
	Store     *store.Store
	Workspace store.Workspace
	AdminKey  string
	// CRMURL is the crm_url in the contact's extra_data: the link the
	// console's "Open in CRM" button must carry.
	CRMURL string
	Twilio twilioSender
}

// setup starts the gateway and creates the workspace's fixtures through
// the public API. Everything stops when the test ends.
func setup(t *testing.T) *env {
	t.Helper()
	e := startGateway(t)
	e.createAgent(t)
	phonebookID := e.createContact(t)
	e.createTwilioConnection(t, phonebookID)
	return e
}

// startGateway serves the gateway on 127.0.0.1 with a random port. The
// public base URL is the served URL, so webhook signatures and the
// WebSocket origin check see what the browser and the test send.
func startGateway(t *testing.T) *env {
	t.Helper()
	st := testdb.Open(t, store.SQLite)
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	registry := prometheus.NewRegistry()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	baseURL := "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	hub, err := agents.New(agents.Config{Store: st, Log: log, Registry: registry})
	require.NoError(t, err)
	require.NoError(t, hub.Start(ctx))
	conns := connections.New(st, keyring)
	calls, err := inbound.New(inbound.Config{Store: st, Connections: conns, Log: log, Registry: registry, Notifier: hub})
	require.NoError(t, err)
	srv := gateway.New(gateway.Config{
		PublicBaseURL:  baseURL,
		MaxBodyBytes:   1 << 20,
		MaxImportBytes: 1 << 20,
		TokenTTL:       time.Hour,
		Version:        "e2e",
	}, gateway.Deps{
		Store:       st,
		Directory:   directory.New(st),
		Keyring:     keyring,
		Inbound:     calls,
		Connections: conns,
		Log:         log,
		Registry:    registry,
		Agents:      hub,
	})

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	// t.Cleanup runs functions in reverse order, so the hub closes its
	// sockets before the server drains.
	t.Cleanup(func() { require.NoError(t, hub.Close()) })

	e := &env{URL: baseURL, Store: st}
	e.Workspace = store.Workspace{Name: "E2E", DefaultRegion: "US"}
	require.NoError(t, st.CreateWorkspace(ctx, &e.Workspace))
	_, e.AdminKey, err = gateway.CreateAPIKey(ctx, st.Queries, e.Workspace.ID, "e2e admin", []string{gateway.ScopeAdmin})
	require.NoError(t, err)
	return e
}

// createAgent creates the agent user with extension 201.
func (e *env) createAgent(t *testing.T) {
	t.Helper()
	in := map[string]any{
		"email":      agentEmail,
		"name":       agentName,
		"password":   agentPassword,
		"role":       "agent",
		"extensions": []string{agentExt},
		"queues":     []string{"support"},
	}
	e.api(t, http.MethodPost, "/v1/users", in, http.StatusCreated, nil)
}

// createContact creates a phonebook with the caller's contact, whose
// extra_data holds the CRM link and a tier, and returns the phonebook id.
func (e *env) createContact(t *testing.T) string {
	t.Helper()
	var pb struct {
		ID string `json:"id"`
	}
	e.api(t, http.MethodPost, "/v1/phonebooks", map[string]string{"name": "Customers"}, http.StatusCreated, &pb)

	// The CRM link points at this gateway's port, so nothing in the test
	// names another host. The test never opens it.
	e.CRMURL = e.URL + "/crm/contact/42"
	contact := map[string]any{
		"external_id":   "crm-42",
		"first_name":    contactFirstName,
		"last_name":     contactLastName,
		"company":       contactCompany,
		"phone_numbers": []map[string]string{{"label": "mobile", "number": "+44 20 7946 0018"}},
		"extra_data":    map[string]any{"crm_url": e.CRMURL, "tier": "vip"},
	}
	var report struct {
		Created int `json:"created"`
	}
	e.api(t, http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/batch", map[string]any{"contacts": []any{contact}}, http.StatusOK, &report)
	require.Equal(t, 1, report.Created)
	return pb.ID
}

// createTwilioConnection creates a Twilio connection that searches the
// phonebook and rings extension 201 for known callers.
func (e *env) createTwilioConnection(t *testing.T, phonebookID string) {
	t.Helper()
	e.Twilio = twilioSender{accountSID: "AC" + randomHex(16), authToken: randomHex(16)}
	in := map[string]any{
		"provider":      "twilio",
		"name":          "Main line",
		"credentials":   map[string]string{"account_id": e.Twilio.accountSID, "auth_token": e.Twilio.authToken},
		"phonebook_ids": []string{phonebookID},
		"routing_rules": []any{map[string]any{
			"name":  "Known callers",
			"when":  "contact != nil",
			"route": map[string]any{"kind": "extension", "target": agentExt},
		}},
		"default_route": map[string]any{"kind": "queue", "target": "support"},
	}
	var conn struct {
		WebhookURLs map[string]string `json:"webhook_urls"`
	}
	e.api(t, http.MethodPost, "/v1/telephony-connections", in, http.StatusCreated, &conn)
	e.Twilio.voiceURL, e.Twilio.statusURL = conn.WebhookURLs["voice"], conn.WebhookURLs["status"]
	require.NotEmpty(t, e.Twilio.voiceURL, "webhook_urls: %v", conn.WebhookURLs)
	require.NotEmpty(t, e.Twilio.statusURL, "webhook_urls: %v", conn.WebhookURLs)
}

// api sends in as JSON with the admin key, requires status want and
// decodes the response into out unless out is nil.
func (e *env) api(t *testing.T, method, path string, in any, want int, out any) {
	t.Helper()
	body, err := json.Marshal(in)
	require.NoError(t, err)
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.AdminKey)
	req.Header.Set("Content-Type", "application/json")

	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
	}
}

// twilioSender posts Twilio voice webhooks signed with the connection's
// auth token, as Twilio signs them.
type twilioSender struct {
	accountSID string
	authToken  string
	voiceURL   string
	statusURL  string
}

// twilioCall is one incoming call to the Twilio number.
type twilioCall struct {
	sid  string
	from string
}

// newTwilioCall returns a call from the contact.
func newTwilioCall() twilioCall {
	return twilioCall{sid: "CA" + randomHex(16), from: contactNumber}
}

// ring posts the "A call comes in" webhook of c.
func (s twilioSender) ring(t *testing.T, c twilioCall) {
	t.Helper()
	params := s.params(c)
	params.Set("CallStatus", "ringing")
	s.post(t, s.voiceURL, params)
}

// status posts a status callback of c with CallStatus callStatus and
// SequenceNumber sequence. A completed call also carries its duration.
func (s twilioSender) status(t *testing.T, c twilioCall, callStatus string, sequence, durationSeconds int) {
	t.Helper()
	params := s.params(c)
	params.Set("CallStatus", callStatus)
	params.Set("CallbackSource", "call-progress-events")
	params.Set("SequenceNumber", strconv.Itoa(sequence))
	params.Set("Timestamp", time.Now().UTC().Format(time.RFC1123Z))
	if callStatus == "completed" {
		params.Set("CallDuration", strconv.Itoa(durationSeconds))
	}
	s.post(t, s.statusURL, params)
}

// params returns the parameters of every webhook of c, with the names of
// Twilio's voice webhook documentation.
func (s twilioSender) params(c twilioCall) url.Values {
	return url.Values{
		"AccountSid": {s.accountSID},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {c.sid},
		"Direction":  {"inbound"},
		"From":       {c.from},
		"Caller":     {c.from},
		"To":         {lineNumber},
		"Called":     {lineNumber},
	}
}

// post sends params to hookURL with X-Twilio-Signature and requires 200.
func (s twilioSender) post(t *testing.T, hookURL string, params url.Values) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, hookURL, strings.NewReader(params.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Signature(s.authToken, hookURL, params))

	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "POST %s: %s", hookURL, data)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}
