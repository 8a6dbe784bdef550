package gateway

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/switchboard-oss/switchboard/internal/secret"
)

const ctxPrincipal = "switchboard.principal"

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// requestFields are the log fields every line about a request carries.
func requestFields(c echo.Context) []zap.Field {
	fields := []zap.Field{
		zap.String("request_id", requestID(c)),
		zap.String("method", c.Request().Method),
		zap.String("path", c.Request().URL.Path),
	}
	if p := principalOf(c); p != nil {
		fields = append(fields, zap.String("workspace_id", p.WorkspaceID))
	}
	return fields
}

func (s *Server) useCommonMiddleware() {
	s.echo.Pre(middleware.RemoveTrailingSlash())
	s.echo.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return secret.RandomToken(12) },
	}))
	s.echo.Use(s.logRequests)
	s.echo.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true}))
}

// logRequests logs one line per request and records its metrics. The query
// string is left out because it may hold phone numbers or emails.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		status := c.Response().Status

		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(c.Request().Method, route, status, elapsed)

		if status < 400 {
			fields := append(requestFields(c), zap.Int("status", status), zap.Float64("latency_ms", float64(elapsed.Microseconds())/1000))
			s.log.Info("request", fields...)
		}
		return nil
	}
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "Time from request received to response written, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency)
	}
	return m
}

func (m *httpMetrics) observe(method, route string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
}

// rateLimiter keeps one token bucket per credential id.
type rateLimiter struct {
	perSecond float64
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

func newRateLimiter(perSecond float64) *rateLimiter {
	return &rateLimiter{perSecond: perSecond, buckets: map[string]*rate.Limiter{}}
}

// allow reports whether key may make a request now, and if not, how many
// whole seconds to wait.
func (r *rateLimiter) allow(key string) (bool, int) {
	r.mu.Lock()
	lim, ok := r.buckets[key]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(r.perSecond), int(2*r.perSecond)+1)
		r.buckets[key] = lim
	}
	r.mu.Unlock()

	res := lim.Reserve()
	if delay := res.Delay(); delay > 0 {
		res.Cancel()
		return false, int(delay/time.Second) + 1
	}
	return true, 0
}

// errRateLimited carries the Retry-After value to the error handler.
type errRateLimited struct{ retryAfter int }

func (e *errRateLimited) Error() string { return "rate limit exceeded" }

func errorRetryAfter(err error) (string, bool) {
	var rl *errRateLimited
	if errors.As(err, &rl) {
		return strconv.Itoa(rl.retryAfter), true
	}
	return "", false
}
