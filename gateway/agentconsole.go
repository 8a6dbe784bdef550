package gateway

import (
	"bytes"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/web"
)

// agentConsoleCacheControl makes browsers revalidate the console's files
// with their ETag on every load, so a page and its script never come from
// two different builds.
const agentConsoleCacheControl = "no-cache"

// agentConsolePolicy is the console's Content-Security-Policy without its
// connect-src directive: scripts, styles and images from the gateway alone,
// no inline code, no native form submission (the sign-in form is sent by
// the script) and no framing.
const agentConsolePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// consoleHost matches a Host header that is a plain host name, an IPv4
// address or a bracketed IPv6 address, with an optional port: the only
// hosts copied into the policy.
var consoleHost = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$`)

// agentConsoleCSP returns the policy for a page served to host. connect-src
// lists ws: and wss: on host beside 'self', because browsers that implement
// only CSP Level 2 do not count WebSocket URLs as 'self'. A host that does
// not match consoleHost gets 'self' alone.
func agentConsoleCSP(host string) string {
	connect := "connect-src 'self'"
	if consoleHost.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return agentConsolePolicy + "; " + connect
}

var agentConsoleFiles = sync.OnceValue(loadAgentConsoleFiles)

// loadAgentConsoleFiles reads every file of the agent console once.
func loadAgentConsoleFiles() map[string]staticFile {
	return loadStaticFiles(web.Agent(), "agent console")
}

// serveAgentConsole serves the agent console page. It needs no credential:
// the page signs the agent in and calls the API with the token it gets.
func (s *Server) serveAgentConsole(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", agentConsoleCSP(c.Request().Host))
	h.Set("Referrer-Policy", "no-referrer")
	return serveAgentConsoleFile(c, agentConsoleFiles()["index.html"])
}

// serveAgentConsoleAssets serves the script, stylesheet and icon of the
// agent console.
func (s *Server) serveAgentConsoleAssets(c echo.Context) error {
	name := c.Param("*")
	f, ok := agentConsoleFiles()[name]
	if !ok || name == "index.html" {
		return newProblem(probNotFound, "No file %q in the agent console assets.", name)
	}
	return serveAgentConsoleFile(c, f)
}

// serveAgentConsoleFile writes f, or 304 Not Modified when the request's
// If-None-Match carries its ETag.
func serveAgentConsoleFile(c echo.Context, f staticFile) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.contentType)
	h.Set("Cache-Control", agentConsoleCacheControl)
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(f.body))
	return nil
}
