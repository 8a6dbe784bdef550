package gateway

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// signInServer is a test server with an agent and an admin user, both with
// agentTestPassword.
type signInServer struct {
	*testServer
	Agent, Admin store.User
}

func newSignInServer(t *testing.T, st *store.Store) *signInServer {
	t.Helper()
	ts := newTestServer(t, st)
	hash, err := agents.HashPassword(agentTestPassword)
	require.NoError(t, err)
	s := &signInServer{testServer: ts}
	s.Agent = store.User{WorkspaceID: ts.Workspace.ID, Email: "alice@example.com", Name: "Alice", Role: agents.RoleAgent, PasswordHash: hash}
	s.Admin = store.User{WorkspaceID: ts.Workspace.ID, Email: "root@example.com", Name: "Root", Role: agents.RoleAdmin, PasswordHash: hash}
	require.NoError(t, st.CreateUser(t.Context(), &s.Agent))
	require.NoError(t, st.CreateUser(t.Context(), &s.Admin))
	return s
}

// signIn signs in and requires success.
func (s *signInServer) signIn(t *testing.T, email string) signInResponse {
	t.Helper()
	var out signInResponse
	s.client(t, "").post("/v1/auth/sign-in", map[string]string{"email": email, "password": agentTestPassword}).
		decode(t, http.StatusOK, &out)
	return out
}

func TestSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		s := newSignInServer(t, st)

		resp := s.client(t, "").post("/v1/auth/sign-in", map[string]string{"email": "ALICE@example.com", "password": agentTestPassword})

		var out signInResponse
		resp.decode(t, http.StatusOK, &out)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		require.Equal(t, "Bearer", out.TokenType)
		require.Equal(t, int64(DefaultUserTokenTTL.Seconds()), out.ExpiresIn)
		require.Equal(t, s.Agent.ID, out.User.ID)
		require.NotContains(t, string(resp.Body), "argon2")

		var me userView
		s.client(t, out.AccessToken).get("/v1/agents/me").decode(t, http.StatusOK, &me)
		require.Equal(t, s.Agent.ID, me.ID)
		require.Equal(t, "alice@example.com", me.Email)
	})
}

func TestSignInFailuresLookAlike(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))
	disabled := s.Agent
	disabled.Email, disabled.Disabled = "dis@example.com", true
	require.NoError(t, s.Store.CreateUser(t.Context(), &disabled))

	tests := []struct {
		name     string
		email    string
		password string
	}{
		{name: "wrong password", email: "alice@example.com", password: "wrong password"},
		{name: "unknown email", email: "nobody@example.com", password: agentTestPassword},
		{name: "disabled user", email: "dis@example.com", password: agentTestPassword},
	}
	var details []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.client(t, "").post("/v1/auth/sign-in", map[string]string{"email": tt.email, "password": tt.password})

			p := resp.problem(t, http.StatusUnauthorized)
			require.Equal(t, "/problems/unauthorized", p.Type)
			details = append(details, p.Detail)
		})
	}
	require.Len(t, details, 3)
	require.Equal(t, details[0], details[1])
	require.Equal(t, details[0], details[2])
}

func TestSignInValidation(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))

	p := s.client(t, "").post("/v1/auth/sign-in", map[string]string{"email": " "}).problem(t, http.StatusUnprocessableEntity)

	require.Len(t, p.InvalidParams, 2)
	s.client(t, "").do(http.MethodPost, "/v1/auth/sign-in", "email=a", "Content-Type", "application/x-www-form-urlencoded").
		problem(t, http.StatusUnsupportedMediaType)
}

func TestSignInRateLimitedPerEmail(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))
	anon := s.client(t, "")
	for range signInBurst {
		anon.post("/v1/auth/sign-in", map[string]string{"email": "alice@example.com", "password": "wrong password"}).
			problem(t, http.StatusUnauthorized)
	}

	resp := anon.post("/v1/auth/sign-in", map[string]string{"email": "alice@example.com", "password": agentTestPassword})

	p := resp.problem(t, http.StatusTooManyRequests)
	require.Equal(t, "/problems/rate-limited", p.Type)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	s.signIn(t, "root@example.com")
}

func TestUserTokenRejectedOnceDisabled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		s := newSignInServer(t, st)
		agent := s.client(t, s.signIn(t, "alice@example.com").AccessToken)
		agent.get("/v1/agents/me").decode(t, http.StatusOK, &userView{})

		s.admin(t).patch("/v1/users/"+s.Agent.ID, map[string]any{"disabled": true}).decode(t, http.StatusOK, &userView{})

		p := agent.get("/v1/agents/me").problem(t, http.StatusUnauthorized)
		require.Contains(t, p.Detail, "disabled or deleted")
	})
}

func TestUserTokenRejectedOnceDeleted(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))
	agent := s.client(t, s.signIn(t, "alice@example.com").AccessToken)

	require.Equal(t, http.StatusNoContent, s.admin(t).delete("/v1/users/"+s.Agent.ID).Status)

	agent.get("/v1/agents/me").problem(t, http.StatusUnauthorized)
}

func TestUserTokenScopesFollowRole(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))
	agent := s.client(t, s.signIn(t, "alice@example.com").AccessToken)
	root := s.client(t, s.signIn(t, "root@example.com").AccessToken)

	require.Equal(t, http.StatusOK, agent.get("/v1/calls").Status)
	require.Equal(t, http.StatusOK, agent.get("/v1/contacts").Status)
	agent.get("/v1/users").problem(t, http.StatusForbidden)
	agent.patch("/v1/workspace", map[string]any{"name": "x"}).problem(t, http.StatusForbidden)
	agent.post("/v1/contacts", map[string]any{}).problem(t, http.StatusForbidden)

	require.Equal(t, http.StatusOK, root.get("/v1/users").Status)
	require.Equal(t, http.StatusOK, root.get("/v1/agents/me").Status, "admin includes the agent scope")
	root.patch("/v1/users/"+s.Admin.ID, map[string]any{"role": "agent"}).decode(t, http.StatusOK, &userView{})
	root.get("/v1/users").problem(t, http.StatusForbidden)
}

func TestUserTokenBesideAPICredentials(t *testing.T) {
	s := newSignInServer(t, testdb.Open(t, store.SQLite))
	key, keyToken, err := CreateAPIKey(t.Context(), s.Store.Queries, s.Workspace.ID, "oauth", []string{ScopeAdmin})
	require.NoError(t, err)
	var token tokenResponse
	s.client(t, "").do(http.MethodPost, "/oauth/token",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {key.ID}, "client_secret": {keyToken}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded").decode(t, http.StatusOK, &token)

	require.Equal(t, http.StatusOK, s.client(t, keyToken).get("/v1/workspace").Status)
	require.Equal(t, http.StatusOK, s.client(t, token.AccessToken).get("/v1/workspace").Status)
	p := s.client(t, token.AccessToken).get("/v1/agents/me").problem(t, http.StatusNotFound)
	require.Contains(t, p.Detail, "sign in")
	s.client(t, keyToken).get("/v1/agents/me").problem(t, http.StatusNotFound)

	s.admin(t).post("/v1/api-keys/"+key.ID+"/revoke", nil)
	s.client(t, token.AccessToken).get("/v1/workspace").problem(t, http.StatusUnauthorized)
}

func TestMyCalls(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "")
	_, aliceToken := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, []string{"alice"}, nil)
	_, bobToken := as.user(t, "bob@example.com", "Bob Agent", agents.RoleAgent, []string{"support"}, nil, nil)
	as.ringCall(t, "CA-1", annNumber)
	as.ringCall(t, "CA-2", strangerNumber)
	as.ringCall(t, "CA-3", annNumber)
	as.callStatus(t, "CA-3", "in-progress", "To", "client:alice", "SequenceNumber", "1")
	alice := as.client(t, aliceToken)

	var page struct {
		Data []agents.CallPop `json:"data"`
	}
	alice.get("/v1/agents/me/calls").decode(t, http.StatusOK, &page)

	require.Len(t, page.Data, 2, "the stranger's call rang the default number, not Alice")
	require.Equal(t, "answered", page.Data[0].Status, "newest first")
	require.Equal(t, "Alice Agent", *page.Data[0].AnsweredBy)
	require.Equal(t, "ringing", page.Data[1].Status)
	alice.get("/v1/agents/me/calls?limit=1").decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	alice.get("/v1/agents/me/calls?limit=101").problem(t, http.StatusBadRequest)
	as.client(t, bobToken).get("/v1/agents/me/calls").decode(t, http.StatusOK, &page)
	require.Empty(t, page.Data)
}
