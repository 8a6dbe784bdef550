package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmsync"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// Config holds the gateway's settings. The cmd package fills it from the
// environment and flags.
type Config struct {
	// PublicBaseURL is the URL clients and VoIP platforms use to reach the
	// gateway, such as https://switchboard.example.com. Webhook signatures
	// are checked against it, so they verify behind a proxy.
	PublicBaseURL string
	// MaxBodyBytes caps JSON request bodies, in bytes.
	MaxBodyBytes int64
	// MaxImportBytes caps CSV import bodies, in bytes.
	MaxImportBytes int64
	// RateLimit is requests per second allowed per credential; 0 turns the
	// limit off. Bursts of twice the rate pass.
	RateLimit float64
	// TokenTTL is the lifetime of access tokens from /oauth/token.
	TokenTTL time.Duration
	// Version is the build version shown by /healthz.
	Version string
	// UserTokenTTL is the lifetime of user tokens from /v1/auth/sign-in;
	// zero means DefaultUserTokenTTL.
	UserTokenTTL time.Duration
	// AllowedOrigins are browser origins, besides the public base URL's,
	// that may open agent sockets, such as https://console.example.com.
	AllowedOrigins []string
}

// Deps are the services the gateway calls.
type Deps struct {
	Store     *store.Store
	Directory *directory.Service
	Keyring   *secret.Keyring
	// Connections manages telephony connections; the inbound service shares
	// it, so both read through one cache.
	Connections *connections.Service
	// CRMConnections manages CRM connections and their OAuth tokens; nil
	// makes New build one over Store and Keyring.
	CRMConnections *crmconn.Service
	// CRMSync serves the contact sync of CRM connections and enqueues
	// runs; nil serves the sync state and history, and a sync request gets
	// 503.
	CRMSync *crmsync.Service
	// Inbound handles telephony webhooks, calls and routing tests.
	Inbound *inbound.Service
	Log     *zap.Logger
	// Registry receives the gateway's metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Agents delivers screen pops to agent sockets; nil answers 503 on
	// /v1/agents/stream.
	Agents *agents.Hub
	// Webhooks manages webhook subscriptions and their deliveries. When it
	// is nil, /v1/webhooks and /v1/webhook-events respond with 503.
	Webhooks *webhooks.Service
	// CallLogs serves the CRM logs of calls and call notes. When it is
	// nil, calls show no CRM log and /v1/call-logs and PATCH
	// /v1/calls/{id} respond with 503.
	CallLogs *calllog.Service
}

// Server is the HTTP server.
type Server struct {
	cfg       Config
	echo      *echo.Echo
	store     *store.Store
	directory *directory.Service
	keyring   *secret.Keyring
	inbound   *inbound.Service
	conns     *connections.Service
	crmConns  *crmconn.Service
	crmSync   *crmsync.Service
	log       *zap.Logger
	registry  *prometheus.Registry
	metrics   *httpMetrics
	auth      *authenticator
	agents    *agents.Hub
	webhooks  *webhooks.Service
	callLogs  *calllog.Service
	stream    *agentStream
	signIns   *signInLimiter
}

// New builds the server and its routes.
func New(cfg Config, deps Deps) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.JSONSerializer = jsonSerializer{}

	s := &Server{
		cfg:       cfg,
		echo:      e,
		store:     deps.Store,
		directory: deps.Directory,
		keyring:   deps.Keyring,
		inbound:   deps.Inbound,
		conns:     deps.Connections,
		crmConns:  deps.CRMConnections,
		crmSync:   deps.CRMSync,
		log:       deps.Log,
		registry:  deps.Registry,
		agents:    deps.Agents,
		webhooks:  deps.Webhooks,
		callLogs:  deps.CallLogs,
		stream:    newAgentStream(cfg),
		signIns:   newSignInLimiter(),
	}
	if s.crmConns == nil && deps.Keyring != nil {
		s.crmConns = crmconn.New(deps.Store, deps.Keyring, crmconn.Options{Log: deps.Log})
	}
	s.metrics = newHTTPMetrics(deps.Registry)
	s.auth = newAuthenticator(cfg, deps.Store, deps.Keyring, deps.Log)
	e.HTTPErrorHandler = s.errorHandler
	s.routes()
	return s
}

// Handler returns the server as an http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve handles requests on ln until ctx is cancelled, then stops taking
// new connections and waits up to drain for in-flight requests to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(s.log.Named("http")),
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	s.log.Info("shutting down: draining requests", zap.Duration("timeout", drain))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
