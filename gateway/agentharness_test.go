package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// agentTestPassword is the password of every user agentServer.user
// creates.
const agentTestPassword = "correct horse battery"

// Callers of the agent tests. annNumber is a known contact, so the
// connection's rule sends the call to the sales queue. strangerNumber is
// no contact's, so the call takes the default route, +14155550188.
const (
	annNumber      = "+14155550123"
	strangerNumber = "+14155550999"
	annCRMURL      = "https://crm.example.com/contacts/42"
)

// agentServer is a gateway with an inbound service and a running agents
// hub over one store, a Twilio connection and the contact Ann Lee.
type agentServer struct {
	*telephonyServer
	Hub        *agents.Hub
	Server     *Server
	Connection store.TelephonyConnection
	Contact    store.Contact
	wsURL      string
}

// openAgentStore returns a fresh migrated store of dialect d and, on
// PostgreSQL, the URL of its schema for the hub's listener.
func openAgentStore(t *testing.T, d store.Dialect) (*store.Store, string) {
	t.Helper()
	if d == store.SQLite {
		return testdb.Open(t, d), ""
	}
	dbURL := testdb.NewSchema(t)
	return openStoreAt(t, dbURL), dbURL
}

// openStoreAt opens and migrates the PostgreSQL store at dbURL.
func openStoreAt(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: dbURL})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(context.Background())
	require.NoError(t, err)
	return st
}

// eachAgentStore runs fn once per dialect with a fresh store, like
// testdb.Each, and passes the PostgreSQL URL along.
func eachAgentStore(t *testing.T, fn func(t *testing.T, st *store.Store, dbURL string)) {
	for _, d := range testdb.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			st, dbURL := openAgentStore(t, d)
			fn(t, st, dbURL)
		})
	}
}

// newAgentServer starts the gateway and hub over st and creates the
// workspace, connection and contact. configure may change the hub's
// configuration and the gateway's.
func newAgentServer(t *testing.T, st *store.Store, dbURL string, configure ...func(*agents.Config, *Config)) *agentServer {
	t.Helper()
	as := startAgentServer(t, st, dbURL, configure...)
	ts := as.testServer
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")
	as.Phonebook = store.Phonebook{WorkspaceID: ts.Workspace.ID, Name: "Customers"}
	require.NoError(t, st.CreatePhonebook(t.Context(), &as.Phonebook))

	as.Connection = as.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	as.Contact = store.Contact{
		WorkspaceID: ts.Workspace.ID, PhonebookID: as.Phonebook.ID,
		FirstName: "Ann", LastName: "Lee", DisplayName: "Ann Lee", Company: "Acme",
		PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: []store.PhoneNumber{{Label: "work", Number: annNumber, E164: annNumber}}},
		ExtraData:    json.RawMessage(`{"crm_url":"` + annCRMURL + `","tier":"gold"}`),
	}
	require.NoError(t, st.CreateContact(t.Context(), &as.Contact))
	return as
}

// startAgentServer starts the gateway and a running hub over st without
// creating any data.
func startAgentServer(t *testing.T, st *store.Store, dbURL string, configure ...func(*agents.Config, *Config)) *agentServer {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	log := zaptest.NewLogger(t)

	hubCfg := agents.Config{Store: st, Log: log, Registry: registry, DatabaseURL: dbURL}
	cfg := Config{PublicBaseURL: "http://switchboard.test", MaxBodyBytes: 8 << 20, MaxImportBytes: 64 << 20, TokenTTL: time.Hour, Version: "test"}
	for _, fn := range configure {
		fn(&hubCfg, &cfg)
	}
	hub, err := agents.New(hubCfg)
	require.NoError(t, err)
	require.NoError(t, hub.Start(context.Background()))

	svc, err := inbound.New(inbound.Config{Store: st, Connections: connections.New(st, keyring), Log: log, Registry: registry, Notifier: hub})
	require.NoError(t, err)
	srv := New(cfg, Deps{Store: st, Directory: directory.New(st), Keyring: keyring, Inbound: svc, Log: log, Registry: registry, Agents: hub})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)
	t.Cleanup(func() { hub.Close() })

	// telephonyServer.connection needs a Telnyx key, though these tests
	// use Twilio only.
	_, telnyxKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	return &agentServer{
		telephonyServer: &telephonyServer{testServer: ts, Registry: registry, APIs: map[telephony.Provider]*fakeProviderAPI{}, telnyxKey: telnyxKey},
		Hub:             hub,
		Server:          srv,
		wsURL:           "ws" + strings.TrimPrefix(httpServer.URL, "http") + "/v1/agents/stream",
	}
}

// user stores a user of the test workspace with agentTestPassword and
// returns it with a user token.
func (as *agentServer) user(t *testing.T, email, name, role string, queues, identities, extensions []string) (store.User, string) {
	t.Helper()
	hash, err := agents.HashPassword(agentTestPassword)
	require.NoError(t, err)
	u := store.User{
		WorkspaceID: as.Workspace.ID, Email: email, Name: name, Role: role, PasswordHash: hash,
		Queues:           store.JSONColumn[[]string]{V: queues},
		ClientIdentities: store.JSONColumn[[]string]{V: identities},
		Extensions:       store.JSONColumn[[]string]{V: extensions},
	}
	require.NoError(t, as.Store.CreateUser(t.Context(), &u))
	token, _, err := as.Server.IssueUserToken(u)
	require.NoError(t, err)
	return u, token
}

// ringCall sends Twilio's voice webhook of a new call sid from the number
// from.
func (as *agentServer) ringCall(t *testing.T, sid, from string) {
	t.Helper()
	resp := as.twilioHook(t, as.Connection, "voice", twilioVoiceParams(sid, from))
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
}

// callStatus sends a Twilio status callback of call sid with status and
// extra parameters (name, value pairs).
func (as *agentServer) callStatus(t *testing.T, sid, status string, extra ...string) {
	t.Helper()
	params := twilioVoiceParams(sid, annNumber)
	params.Set("CallStatus", status)
	for i := 0; i+1 < len(extra); i += 2 {
		params.Set(extra[i], extra[i+1])
	}
	resp := as.twilioHook(t, as.Connection, "status", params)
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
}

// dial opens an agent socket with token in the access_token query
// parameter, sending the header (name, value pairs).
func (as *agentServer) dial(t *testing.T, token string, header ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	target := as.wsURL
	if token != "" {
		target += "?" + url.Values{"access_token": {token}}.Encode()
	}
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	conn, resp, err := websocket.DefaultDialer.Dial(target, h)
	if conn != nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

// connect opens an agent socket and reads its hello and snapshot.
func (as *agentServer) connect(t *testing.T, token string) (*websocket.Conn, agentMessage, agentMessage) {
	t.Helper()
	conn, resp, err := as.dial(t, token)
	require.NoError(t, err, "handshake: %v", resp)
	hello := readAgentMessage(t, conn)
	require.Equal(t, "hello", hello.Type)
	snapshot := readAgentMessage(t, conn)
	require.Equal(t, "snapshot", snapshot.Type)
	return conn, hello, snapshot
}

// agentMessage is any message of the agent socket.
type agentMessage struct {
	Type  string            `json:"type"`
	User  *agents.HelloUser `json:"user"`
	Calls []agents.CallPop  `json:"calls"`
	Call  *agents.CallPop   `json:"call"`
}

// readAgentMessage reads one message. The read deadline only keeps a
// broken test from hanging.
func readAgentMessage(t *testing.T, conn *websocket.Conn) agentMessage {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(15*time.Second)))
	kind, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, websocket.TextMessage, kind)
	var m agentMessage
	require.NoError(t, json.Unmarshal(data, &m), "message: %s", data)
	return m
}

// readCall reads messages until one about a call and returns its pop.
func readCall(t *testing.T, conn *websocket.Conn) agents.CallPop {
	t.Helper()
	m := readAgentMessage(t, conn)
	require.Equal(t, "call", m.Type)
	require.NotNil(t, m.Call)
	return *m.Call
}

// metricValue returns the value of the metric line that starts with name
// on /metrics, or "" when there is none.
func (as *agentServer) metricValue(t *testing.T, name string) string {
	t.Helper()
	body := string(as.client(t, "").get("/metrics").Body)
	for line := range strings.SplitSeq(body, "\n") {
		if value, ok := strings.CutPrefix(line, name+" "); ok {
			return value
		}
	}
	return ""
}
