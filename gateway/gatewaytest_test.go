package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// testMasterKey is the master key of every test server, 32 characters
// long, the minimum.
const testMasterKey = "test-master-key-0123456789abcdef"

// testServer is the real gateway on an httptest server over a store of the
// test's own, with one workspace (default region US) and an admin key.
type testServer struct {
	URL       string
	Store     *store.Store
	Keyring   *secret.Keyring
	Workspace store.Workspace
	// AdminKey is an API key of Workspace with the admin scope.
	AdminKey string
}

// newTestServer starts the gateway over st, a fresh store such as
// testdb.Each gives, and stops it when the test ends. configure, when
// given, may change the configuration before the server is built.
func newTestServer(t *testing.T, st *store.Store, configure ...func(*Config)) *testServer {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)

	cfg := Config{
		PublicBaseURL:  "http://switchboard.test",
		MaxBodyBytes:   8 << 20,
		MaxImportBytes: 64 << 20,
		TokenTTL:       time.Hour,
		Version:        "test",
	}
	for _, fn := range configure {
		fn(&cfg)
	}
	callLogs, err := calllog.New(calllog.Config{Store: st, Connections: crmconn.New(st, keyring, crmconn.Options{})})
	require.NoError(t, err)
	callLogs.SetQueue(&jobRecorder{})
	srv := New(cfg, Deps{
		Store:     st,
		Directory: directory.New(st),
		Keyring:   keyring,
		Log:       zaptest.NewLogger(t),
		Registry:  prometheus.NewRegistry(),
		CallLogs:  callLogs,
	})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)

	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")
	return ts
}

// newWorkspace creates a workspace with an admin key and returns both.
func (ts *testServer) newWorkspace(t *testing.T, name, region string) (store.Workspace, string) {
	t.Helper()
	w := store.Workspace{Name: name, DefaultRegion: region}
	require.NoError(t, ts.Store.CreateWorkspace(context.Background(), &w))
	return w, ts.newKey(t, w.ID, ScopeAdmin)
}

// newKey creates an API key of the workspace with scopes and returns its
// token.
func (ts *testServer) newKey(t *testing.T, workspaceID string, scopes ...string) string {
	t.Helper()
	_, token, err := CreateAPIKey(context.Background(), ts.Store.Queries, workspaceID, "test key", scopes)
	require.NoError(t, err)
	return token
}

// client returns a client sending token as its bearer credential, or no
// credential when token is empty.
func (ts *testServer) client(t *testing.T, token string) *testClient {
	return &testClient{t: t, baseURL: ts.URL, token: token}
}

// admin returns a client with the workspace's admin key.
func (ts *testServer) admin(t *testing.T) *testClient {
	return ts.client(t, ts.AdminKey)
}

// testClient sends requests to a test server and fails the test on
// transport errors.
type testClient struct {
	t       *testing.T
	baseURL string
	token   string
}

// testResponse is a response read to its end.
type testResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request. A body of type []byte or string is sent as it is
// with the Content-Type header of headers (or none), an io.Reader is sent
// chunked, without Content-Length, and any other non-nil body is sent as
// JSON. headers are name, value pairs.
func (c *testClient) do(method, path string, body any, headers ...string) *testResponse {
	c.t.Helper()
	var reader io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	case string:
		reader = strings.NewReader(b)
	case io.Reader:
		reader = io.MultiReader(b)
	default:
		encoded, err := json.Marshal(b)
		require.NoError(c.t, err)
		reader = bytes.NewReader(encoded)
		contentType = "application/json"
	}

	req, err := http.NewRequest(method, c.baseURL+path, reader)
	require.NoError(c.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return &testResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func (c *testClient) get(path string) *testResponse {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil)
}

func (c *testClient) post(path string, body any) *testResponse {
	c.t.Helper()
	return c.do(http.MethodPost, path, body)
}

func (c *testClient) patch(path string, body any) *testResponse {
	c.t.Helper()
	return c.do(http.MethodPatch, path, body)
}

func (c *testClient) put(path string, body any) *testResponse {
	c.t.Helper()
	return c.do(http.MethodPut, path, body)
}

func (c *testClient) delete(path string) *testResponse {
	c.t.Helper()
	return c.do(http.MethodDelete, path, nil)
}

// decode requires status and decodes the JSON body into v.
func (r *testResponse) decode(t *testing.T, status int, v any) {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// problem requires a problem document with status and returns it.
func (r *testResponse) problem(t *testing.T, status int) Problem {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	require.Equal(t, ProblemContentType, r.Header.Get("Content-Type"))
	var p Problem
	require.NoError(t, json.Unmarshal(r.Body, &p), "body: %s", r.Body)
	require.Equal(t, status, p.Status)
	require.NotEmpty(t, p.Type)
	require.NotEmpty(t, p.Title)
	return p
}
