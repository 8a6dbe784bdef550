package gateway

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestAgentConsolePage(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)

	resp := c.send(http.MethodGet, "/agent", "")

	require.Equal(t, http.StatusOK, resp.Status)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, agentConsoleCSP(ts.URL[len("http://"):]), resp.Header.Get("Content-Security-Policy"))
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	require.Equal(t, agentConsoleCacheControl, resp.Header.Get("Cache-Control"))
	require.NotRegexp(t, externalURL, string(resp.Body))
	require.NotContains(t, string(resp.Body), "<script>", "inline scripts break the Content-Security-Policy")
	require.NotContains(t, string(resp.Body), "<style", "inline styles break the Content-Security-Policy")
	require.NotContains(t, string(resp.Body), "style=", "style attributes break the Content-Security-Policy")
}

func TestAgentConsoleTrailingSlash(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))

	resp := ts.client(t, "").get("/agent/")

	require.Equal(t, http.StatusOK, resp.Status)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestAgentConsoleAssets(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	page := ts.client(t, "").get("/agent")
	var referenced []string
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(string(page.Body), -1) {
		referenced = append(referenced, m[1])
	}
	require.ElementsMatch(t, []string{"/agent/app.css", "/agent/icon.svg", "/agent/app.js", "/agent/icon.svg"}, referenced)

	tests := []struct {
		path        string
		contentType string
	}{
		{path: "/agent/app.css", contentType: "text/css; charset=utf-8"},
		{path: "/agent/app.js", contentType: "text/javascript; charset=utf-8"},
		{path: "/agent/icon.svg", contentType: "image/svg+xml"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := ts.client(t, "").get(tt.path)

			require.Equal(t, http.StatusOK, resp.Status)
			require.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			require.Equal(t, agentConsoleCacheControl, resp.Header.Get("Cache-Control"))
			require.NotEmpty(t, resp.Body)

			etag := resp.Header.Get("ETag")
			require.NotEmpty(t, etag)
			again := ts.client(t, "").do(http.MethodGet, tt.path, nil, "If-None-Match", etag)
			require.Equal(t, http.StatusNotModified, again.Status)
		})
	}
}

func TestAgentConsoleScriptKeepsTokenOutOfURLs(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))

	script := string(ts.client(t, "").get("/agent/app.js").Body)

	require.NotRegexp(t, externalURL, script)
	require.NotContains(t, script, "access_token=", "the token must not travel in a URL, which proxies log")
	require.Contains(t, script, `"bearer." + state.session.token`, "the stream takes the token as a WebSocket subprotocol")
	require.Contains(t, script, "sessionStorage")
	require.NotContains(t, script, "localStorage", "a token in localStorage outlives the tab")
	require.NotContains(t, script, "innerHTML", "call data is written as text, never parsed as HTML")
}

func TestAgentConsoleUnknownAsset(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	client := ts.client(t, "")

	tests := []string{"/agent/missing.js", "/agent/index.html", "/agent/agent/app.js", "/agent/../agent.go"}
	for _, path := range tests {
		t.Run(path, func(t *testing.T) {
			resp := client.get(path)

			p := resp.problem(t, http.StatusNotFound)
			require.Equal(t, "/problems/not-found", p.Type)
		})
	}
}

func TestAgentConsoleCSP(t *testing.T) {
	const base = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"form-action 'none'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'"

	tests := []struct {
		name string
		host string
		want string
	}{
		{name: "host name", host: "switchboard.example.com", want: base + " ws://switchboard.example.com wss://switchboard.example.com"},
		{name: "IPv4 with port", host: "127.0.0.1:8080", want: base + " ws://127.0.0.1:8080 wss://127.0.0.1:8080"},
		{name: "IPv6 with port", host: "[::1]:8080", want: base + " ws://[::1]:8080 wss://[::1]:8080"},
		{name: "directive injection", host: "a;script-src", want: base},
		{name: "quote", host: "a'b", want: base},
		{name: "empty", host: "", want: base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, agentConsoleCSP(tt.host))
		})
	}
}
