package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

// healthz reports the process is up. It touches nothing else, so a
// database outage does not get the process restarted.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, healthResponse{Status: "ok", Version: s.cfg.Version})
}

// readyz reports whether the database answers within two seconds.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()

	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", zap.Error(err))
		return newProblem(probUnavailable, "The database is not reachable.")
	}
	return c.JSON(http.StatusOK, healthResponse{Status: "ready", Version: s.cfg.Version})
}
