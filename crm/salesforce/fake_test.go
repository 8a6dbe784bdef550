package salesforce

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testNow is the wall clock of every test connector.
var testNow = time.Date(2024, 5, 10, 12, 0, 30, 0, time.UTC)

// request is what the fake org received: the path and the decoded query.
type request struct {
	Path  string
	Query url.Values
}

// fakeOrg is a Salesforce org on loopback that records every request and
// responds through a handler.
type fakeOrg struct {
	server *httptest.Server
	mu     sync.Mutex
	seen   []request
}

func (f *fakeOrg) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

// setup starts a fake org that responds through handler and returns a
// connector for it with the default objects and API version.
func setup(t *testing.T, handler http.HandlerFunc) (*Connector, *fakeOrg) {
	t.Helper()
	return setupWith(t, Config{}, handler)
}

// setupWith is setup with cfg, whose InstanceURL and HTTPClient it sets.
func setupWith(t *testing.T, cfg Config, handler http.HandlerFunc) (*Connector, *fakeOrg) {
	t.Helper()
	org := &fakeOrg{}
	org.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org.mu.Lock()
		org.seen = append(org.seen, request{Path: r.URL.Path, Query: r.URL.Query()})
		org.mu.Unlock()
		if r.Method != http.MethodGet {
			http.Error(w, "only GET expected", http.StatusMethodNotAllowed)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(org.server.Close)

	cfg.InstanceURL = org.server.URL
	cfg.HTTPClient = org.server.Client()
	c := New(cfg)
	require.NoError(t, c.configErr)
	c.now = func() time.Time { return testNow }
	return c, org
}

// reply writes body as a JSON response with status.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// query is the decoded query of a request with only q.
func query(q string) url.Values { return url.Values{"q": {q}} }

func at(hour, minute, second int) time.Time {
	return time.Date(2024, 5, 10, hour, minute, second, 0, time.UTC)
}
