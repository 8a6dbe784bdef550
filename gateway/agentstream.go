package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/gateway/agents"
)

// Limits of the agent endpoints.
const (
	// streamReadBufferBytes is the read buffer of an agent socket. The
	// console sends only pongs and close frames, so a small buffer keeps
	// idle sockets cheap.
	streamReadBufferBytes = 512
	// bearerProtocolPrefix starts the Sec-WebSocket-Protocol value that
	// carries the token: bearer.<token>.
	bearerProtocolPrefix = "bearer."
	// defaultMyCallsLimit and maxMyCallsLimit bound /v1/agents/me/calls.
	defaultMyCallsLimit = 20
	maxMyCallsLimit     = 100
)

// agentStream holds the WebSocket settings of /v1/agents/stream.
type agentStream struct {
	upgrader websocket.Upgrader
	// origins are the browser origins allowed to open a socket, such as
	// https://switchboard.example.com: the public base URL's and
	// Config.AllowedOrigins.
	origins map[string]bool
}

func newAgentStream(cfg Config) *agentStream {
	origins := map[string]bool{}
	for _, raw := range append([]string{cfg.PublicBaseURL}, cfg.AllowedOrigins...) {
		if origin, ok := OriginOf(raw); ok {
			origins[origin] = true
		}
	}
	return &agentStream{
		origins: origins,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: 10 * time.Second,
			ReadBufferSize:   streamReadBufferBytes,
			// A pool keeps write buffers only while a message is written,
			// so idle sockets hold none.
			WriteBufferPool: &sync.Pool{},
			// The handler checks the origin before it upgrades, so it can
			// respond with a problem document.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
}

// OriginOf returns the origin of a URL, scheme://host[:port] in lower
// case, and whether raw is an absolute http or https URL.
func OriginOf(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// originAllowed reports whether a socket may be opened from origin, the
// request's Origin header. A request without one comes from a program, not
// a browser page, so no other site can have sent it on a user's behalf.
func (a *agentStream) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	normalized, ok := OriginOf(origin)
	return ok && a.origins[normalized]
}

// streamAgentEvents upgrades to the agent socket and serves it until it
// closes. Every check happens before the upgrade, so a rejected request
// gets an ordinary problem response.
func (s *Server) streamAgentEvents(c echo.Context) error {
	req := c.Request()

	header, protocol := streamCredential(req)
	p, err := s.authenticateStream(c, header)
	if err != nil {
		return err
	}
	c.Set(ctxPrincipal, p)
	if !p.Has(ScopeAgent) {
		return newProblem(probForbidden, "This credential lacks the %q scope this operation needs.", ScopeAgent)
	}
	u, err := s.signedInUser(c)
	if err != nil {
		return err
	}
	if s.agents == nil {
		return newProblem(probUnavailable, "The agent stream is not running on this gateway.")
	}
	if !s.stream.originAllowed(req.Header.Get("Origin")) {
		return newProblem(probForbidden, "Origin %q may not open agent sockets; add it to SWITCHBOARD_ALLOWED_ORIGINS.", req.Header.Get("Origin"))
	}
	if !websocket.IsWebSocketUpgrade(req) {
		return newProblem(probMalformed, "This endpoint is a WebSocket: send a GET with Upgrade: websocket.")
	}

	responseHeader := http.Header{}
	if protocol != "" {
		responseHeader.Set("Sec-WebSocket-Protocol", protocol)
	}
	conn, err := s.stream.upgrader.Upgrade(c.Response(), req, responseHeader)
	if err != nil {
		return nil // the upgrader has responded with 400
	}
	c.Response().Status = http.StatusSwitchingProtocols
	s.agents.Serve(req.Context(), conn, u, p.ExpiresAt)
	return nil
}

// streamCredential returns the Authorization header value to check: the
// request's own, else the token of a bearer.<token> subprotocol, else the
// access_token query parameter, because browsers cannot set headers on a
// WebSocket. protocol is the subprotocol to select when the token came in
// one, since a browser fails a handshake whose response selects none of
// the protocols it offered.
func streamCredential(req *http.Request) (header, protocol string) {
	if h := req.Header.Get("Authorization"); h != "" {
		return h, ""
	}
	for _, offered := range websocket.Subprotocols(req) {
		if token, ok := strings.CutPrefix(offered, bearerProtocolPrefix); ok && token != "" {
			return "Bearer " + token, offered
		}
	}
	if token := req.URL.Query().Get("access_token"); token != "" {
		return "Bearer " + token, ""
	}
	return "", ""
}

// authenticateStream is requireAuth for the stream, whose token may come
// from elsewhere than the Authorization header.
func (s *Server) authenticateStream(c echo.Context, header string) (*Principal, error) {
	p, err := s.auth.authenticate(c.Request().Context(), header)
	if err != nil {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
		if errors.Is(err, errNoCredential) {
			return nil, newProblem(probUnauthorized, "Missing credential: send the user token in the access_token query parameter, as the WebSocket subprotocol bearer.<token>, or as `Authorization: Bearer <token>`.")
		}
		return nil, err
	}
	if s.auth.limiter != nil {
		if ok, wait := s.auth.limiter.allow(p.CredentialID); !ok {
			return nil, &errRateLimited{retryAfter: wait}
		}
	}
	return p, nil
}

// listMyCalls returns the screen pops of the latest calls that rang the
// signed-in user or that the user answered, newest first.
func (s *Server) listMyCalls(c echo.Context) error {
	ctx := c.Request().Context()

	limit, err := parseMyCallsLimit(c.QueryParam("limit"))
	if err != nil {
		return err
	}
	u, err := s.signedInUser(c)
	if err != nil {
		return err
	}

	calls, err := agents.RecentCalls(ctx, s.store.Queries, &u, limit)
	if err != nil {
		return err
	}
	pops, err := agents.BuildPops(ctx, s.store.Queries, u.WorkspaceID, calls)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[agents.CallPop]{Data: pops})
}

func parseMyCallsLimit(value string) (int, error) {
	if value == "" {
		return defaultMyCallsLimit, nil
	}
	limit, err := strconv.Atoi(value)
	if err != nil || limit < 1 || limit > maxMyCallsLimit {
		return 0, queryProblem("limit", "must be a whole number from 1 to %d, not %q", maxMyCallsLimit, value)
	}
	return limit, nil
}
