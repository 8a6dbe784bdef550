package crmconn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

const testMasterKey = "test-master-key-0123456789abcdef"

// clock is a settable time for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a service over a fresh store with a workspace (region US), a
// second workspace, and a fake CRM with an OAuth token endpoint.
type fixture struct {
	ctx     context.Context
	st      *store.Store
	keyring *secret.Keyring
	clock   *clock
	svc     *crmconn.Service
	ws      string
	otherWS string
	crm     *fakeCRM
}

func setup(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	f := &fixture{ctx: context.Background(), st: st, keyring: keyring, clock: &clock{t: time.Now()}, crm: newFakeCRM(t)}
	f.svc = f.newService()

	w := store.Workspace{Name: "Acme", DefaultRegion: "US"}
	require.NoError(t, st.CreateWorkspace(f.ctx, &w))
	f.ws = w.ID
	other := store.Workspace{Name: "Other"}
	require.NoError(t, st.CreateWorkspace(f.ctx, &other))
	f.otherWS = other.ID
	return f
}

// newService returns another service over the fixture's store, as a
// restarted process or a second instance would have.
func (f *fixture) newService() *crmconn.Service {
	return crmconn.New(f.st, f.keyring, crmconn.Options{Now: f.clock.now})
}

// oauthInput is a HubSpot OAuth connection whose endpoints are the fake
// CRM's.
func (f *fixture) oauthInput(kind string) crmconn.Input {
	return crmconn.Input{
		Kind:    kind,
		Name:    "OAuth " + kind,
		BaseURL: f.crm.URL(),
		Auth: &crmconn.AuthConfig{
			Type: "oauth2", ClientID: "client-1", ClientSecret: "client-secret-1",
			AuthorizeURL: f.crm.URL() + "/oauth/authorize", TokenURL: f.crm.URL() + "/oauth/token",
		},
	}
}

// authorize creates an OAuth connection of kind and completes its
// authorization with the fake CRM.
func (f *fixture) authorize(t *testing.T, kind string) crmconn.Connection {
	t.Helper()
	conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput(kind))
	require.NoError(t, err)
	redirect := "https://switchboard.example.com/oauth/callback/crm"
	authURL, err := f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirect)
	require.NoError(t, err)
	state := mustParse(t, authURL).Query().Get("state")

	conn, err = f.svc.CompleteAuthorization(f.ctx, state, f.crm.issueCode(), redirect)
	require.NoError(t, err)
	return conn
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// fakeCRM is an OAuth token endpoint and an API that echoes the
// credential it received.
type fakeCRM struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// codes are the authorization codes issued and not yet exchanged.
	codes map[string]bool
	// forms and authHeaders are the token requests received.
	forms       []url.Values
	authHeaders []string
	// accessTokens are the valid access tokens; issued counts them.
	accessTokens map[string]bool
	issued       int
	// expiresIn is the lifetime of access tokens issued for a code, and
	// refreshedExpiresIn of those issued for a refresh token, in seconds.
	// The service's clock runs ahead of the real one in tests, so refreshed
	// tokens live longer.
	expiresIn          int
	refreshedExpiresIn int
	// extra is added to every token response, such as instance_url.
	extra map[string]any
	// refreshStatus, when set, is the status of refresh responses.
	refreshStatus int
	// release, when set, holds refresh responses until it is closed.
	release chan struct{}

	refreshes atomic.Int32
	apiCalls  atomic.Int32
}

func newFakeCRM(t *testing.T) *fakeCRM {
	c := &fakeCRM{t: t, codes: map[string]bool{}, accessTokens: map[string]bool{}, expiresIn: 1800, refreshedExpiresIn: 7200}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", c.token)
	mux.HandleFunc("/api/", c.api)
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeCRM) URL() string { return c.srv.URL }

func (c *fakeCRM) issueCode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	code := "code-" + secret.RandomToken(6)
	c.codes[code] = true
	return code
}

func (c *fakeCRM) token(w http.ResponseWriter, r *http.Request) {
	require.NoError(c.t, r.ParseForm())
	c.mu.Lock()
	c.forms = append(c.forms, r.PostForm)
	c.authHeaders = append(c.authHeaders, r.Header.Get("Authorization"))
	release, status := c.release, c.refreshStatus
	c.mu.Unlock()

	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c.mu.Lock()
		valid := c.codes[r.PostForm.Get("code")]
		delete(c.codes, r.PostForm.Get("code"))
		c.mu.Unlock()
		if !valid {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "code expired"})
			return
		}
		writeJSON(w, http.StatusOK, c.newToken("rt-1", c.expiresIn))
	case "refresh_token":
		c.refreshes.Add(1)
		if release != nil {
			<-release
		}
		if status != 0 {
			writeJSON(w, status, map[string]any{"error": "invalid_grant", "error_description": "refresh token revoked"})
			return
		}
		// Like HubSpot, the refresh answer repeats the refresh token.
		writeJSON(w, http.StatusOK, c.newToken(r.PostForm.Get("refresh_token"), c.refreshedExpiresIn))
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
	}
}

func (c *fakeCRM) newToken(refreshToken string, expiresIn int) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.issued++
	access := "at-" + strconv.Itoa(c.issued)
	c.accessTokens[access] = true
	answer := map[string]any{"access_token": access, "refresh_token": refreshToken, "token_type": "bearer", "expires_in": expiresIn}
	for k, v := range c.extra {
		answer[k] = v
	}
	return answer
}

// revoke makes access rejected with 401 from now on.
func (c *fakeCRM) revoke(access string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.accessTokens, access)
}

// api answers 200 with the credential it received when it is a valid
// bearer token or the API token "api-token" in either header, and 401
// otherwise.
func (c *fakeCRM) api(w http.ResponseWriter, r *http.Request) {
	c.apiCalls.Add(1)
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c.mu.Lock()
	valid := c.accessTokens[bearer] || bearer == "api-token" || r.Header.Get("x-api-token") == "api-token"
	c.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "expired token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"authorization": r.Header.Get("Authorization"), "x_api_token": r.Header.Get("x-api-token")})
}

func (c *fakeCRM) tokenRequests() ([]url.Values, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]url.Values(nil), c.forms...), append([]string(nil), c.authHeaders...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
