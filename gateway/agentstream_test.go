package gateway

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestAgentStreamScreenPops(t *testing.T) {
	eachAgentStore(t, func(t *testing.T, st *store.Store, dbURL string) {
		as := newAgentServer(t, st, dbURL)
		alice, aliceToken := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, []string{"alice"}, nil)
		_, bobToken := as.user(t, "bob@example.com", "Bob Agent", agents.RoleAgent, []string{"support"}, nil, []string{"+14155550188"})
		as.ringCall(t, "CA-early", annNumber)

		aliceConn, hello, snapshot := as.connect(t, aliceToken)
		bobConn, _, bobSnapshot := as.connect(t, bobToken)

		require.Equal(t, &agents.HelloUser{
			ID: alice.ID, Name: "Alice Agent", Email: "alice@example.com", Role: "agent",
			Extensions: []string{}, ClientIdentities: []string{"alice"}, Queues: []string{"sales"},
		}, hello.User)
		require.Len(t, snapshot.Calls, 1)
		early := snapshot.Calls[0]
		require.Equal(t, "ringing", early.Status)
		require.Equal(t, "Ann Lee", early.CallerName)
		require.Equal(t, annNumber, early.From.E164)
		require.Empty(t, bobSnapshot.Calls)

		as.ringCall(t, "CA-live", annNumber)
		ringing := readCall(t, aliceConn)
		require.NotEqual(t, early.ID, ringing.ID)
		require.Equal(t, "ringing", ringing.Status)
		require.Equal(t, "inbound", ringing.Direction)
		require.Equal(t, "twilio", ringing.Provider)
		require.Equal(t, "Ann Lee", ringing.CallerName)
		require.Equal(t, "Acme", ringing.Company)
		require.Equal(t, &agents.PopRoute{Kind: "queue", Target: "sales"}, ringing.Route)
		require.NotNil(t, ringing.CRMURL)
		require.Equal(t, annCRMURL, *ringing.CRMURL)
		require.NotNil(t, ringing.Contact)
		require.Equal(t, as.Contact.ID, ringing.Contact.ID)
		require.Equal(t, "Ann Lee", ringing.Contact.DisplayName)
		require.Equal(t, map[string]json.RawMessage{"tier": json.RawMessage(`"gold"`)}, ringing.Contact.Fields)
		require.Nil(t, ringing.AnsweredBy)
		require.Nil(t, ringing.EndedAt)

		as.callStatus(t, "CA-live", "in-progress", "To", "client:alice", "SequenceNumber", "1")
		answered := readCall(t, aliceConn)
		require.Equal(t, ringing.ID, answered.ID)
		require.Equal(t, "answered", answered.Status)
		require.NotNil(t, answered.AnsweredAt)
		require.NotNil(t, answered.AnsweredBy)
		require.Equal(t, "Alice Agent", *answered.AnsweredBy)

		as.callStatus(t, "CA-live", "completed", "CallDuration", "42", "SequenceNumber", "2")
		completed := readCall(t, aliceConn)
		require.Equal(t, ringing.ID, completed.ID)
		require.Equal(t, "completed", completed.Status)
		require.NotNil(t, completed.EndedAt)
		require.Equal(t, 42, completed.DurationSeconds)

		// Pops go out in the order of the changes, so Bob's first message
		// being his own call shows he got none of Alice's.
		as.ringCall(t, "CA-stranger", strangerNumber)
		forBob := readCall(t, bobConn)
		require.Equal(t, strangerNumber, forBob.From.E164)
		require.Nil(t, forBob.Contact)
		require.Nil(t, forBob.CRMURL)
		require.Equal(t, &agents.PopRoute{Kind: "number", Target: "+14155550188"}, forBob.Route)
	})
}

func TestAgentStreamSnapshotAfterReconnect(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "")
	_, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, []string{"alice"}, nil)
	first, _, _ := as.connect(t, token)
	as.ringCall(t, "CA-1", annNumber)
	ringing := readCall(t, first)
	as.callStatus(t, "CA-1", "in-progress", "To", "client:alice", "SequenceNumber", "1")
	readCall(t, first)
	as.ringCall(t, "CA-2", annNumber)
	as.callStatus(t, "CA-2", "completed", "SequenceNumber", "1")
	require.NoError(t, first.Close())

	_, _, snapshot := as.connect(t, token)

	require.Len(t, snapshot.Calls, 1, "the answered call is live, the completed one is not")
	require.Equal(t, ringing.ID, snapshot.Calls[0].ID)
	require.Equal(t, "answered", snapshot.Calls[0].Status)
}

func TestAgentStreamRejectedBeforeUpgrade(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "", func(_ *agents.Config, cfg *Config) {
		cfg.AllowedOrigins = []string{"https://console.example.com"}
	})
	disabled, disabledToken := as.user(t, "dis@example.com", "Dis Abled", agents.RoleAgent, nil, nil, nil)
	disabled.Disabled = true
	require.NoError(t, as.Store.UpdateUser(t.Context(), &disabled))
	_, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, nil, nil, nil)

	tests := []struct {
		name   string
		token  string
		header []string
		status int
	}{
		{name: "missing token", status: http.StatusUnauthorized},
		{name: "invalid token", token: "eyJ.not.valid", status: http.StatusUnauthorized},
		{name: "disabled user", token: disabledToken, status: http.StatusUnauthorized},
		{name: "api key", token: as.AdminKey, status: http.StatusNotFound},
		{name: "foreign origin", token: token, header: []string{"Origin", "https://evil.example.com"}, status: http.StatusForbidden},
		{name: "null origin", token: token, header: []string{"Origin", "null"}, status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := as.dial(t, tt.token, tt.header...)

			require.ErrorIs(t, err, websocket.ErrBadHandshake)
			require.Nil(t, conn)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, ProblemContentType, resp.Header.Get("Content-Type"))
		})
	}
}

func TestAgentStreamAccepted(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "", func(_ *agents.Config, cfg *Config) {
		cfg.AllowedOrigins = []string{"https://console.example.com"}
	})
	_, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, nil, nil, nil)

	tests := []struct {
		name   string
		token  string
		header []string
	}{
		{name: "public base URL origin", token: token, header: []string{"Origin", "http://switchboard.test"}},
		{name: "allowed origin", token: token, header: []string{"Origin", "https://Console.example.com"}},
		{name: "authorization header", header: []string{"Authorization", "Bearer " + token}},
		{name: "subprotocol", header: []string{"Sec-WebSocket-Protocol", "bearer." + token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := as.dial(t, tt.token, tt.header...)

			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			require.Equal(t, "hello", readAgentMessage(t, conn).Type)
		})
	}
	t.Run("subprotocol selected", func(t *testing.T) {
		conn, _, err := as.dial(t, "", "Sec-WebSocket-Protocol", "bearer."+token)

		require.NoError(t, err)
		require.Equal(t, "bearer."+token, conn.Subprotocol())
	})
}

func TestAgentStreamClosedWhenUserDisabled(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "")
	alice, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, nil, nil, nil)
	conn, _, _ := as.connect(t, token)

	resp := as.admin(t).patch("/v1/users/"+alice.ID, map[string]any{"disabled": true})
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)

	_, _, err := conn.ReadMessage()
	var closeErr *websocket.CloseError
	require.ErrorAs(t, err, &closeErr)
	require.Equal(t, websocket.ClosePolicyViolation, closeErr.Code)
}

// TestAgentStreamAcrossInstances runs two gateways, each with its own hub
// and PostgreSQL listener, on one schema: a webhook handled by A reaches
// a socket on B.
func TestAgentStreamAcrossInstances(t *testing.T) {
	if !slices.Contains(testdb.Dialects(), store.Postgres) {
		t.Skip("PostgreSQL is skipped (SWITCHBOARD_TEST_SKIP_POSTGRES=1)")
	}
	dbURL := testdb.NewSchema(t)
	a := newAgentServer(t, openStoreAt(t, dbURL), dbURL)
	b := startAgentServer(t, openStoreAt(t, dbURL), dbURL)
	b.Workspace = a.Workspace
	_, token := b.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, nil, nil)
	onB, _, _ := b.connect(t, token)

	a.ringCall(t, "CA-across", annNumber)

	pop := readCall(t, onB)
	require.Equal(t, "ringing", pop.Status)
	require.Equal(t, "Ann Lee", pop.CallerName)
	require.Equal(t, 0, a.Hub.Connected())
	require.Equal(t, 1, b.Hub.Connected())
}
