package inbound

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/aircall"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
)

// connection is a loaded telephony connection with its provider's adapter.
type connection struct {
	connections.Connection
	adapter  telephony.Adapter
	deadline time.Duration
}

// connectionForWebhook returns the connection id for a webhook of
// provider. When the store cannot be read, it is the copy loaded last, if
// any, marked Stale. An unknown id, a disabled connection and another
// provider's connection are not found.
func (s *Service) connectionForWebhook(ctx context.Context, provider, id string) (*connection, error) {
	loadCtx, cancel := context.WithTimeout(ctx, s.loadTimeout(id))
	defer cancel()

	conn, err := s.load(loadCtx, "", id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: telephony connection %s: %w", ErrConnectionUnavailable, id, err)
	case conn.Stale:
		s.log.Warn("store unavailable: using the telephony connection loaded last", zap.String("connection_id", id))
	}

	if string(conn.Provider) != provider {
		return nil, fmt.Errorf("%s telephony connection %s: %w", provider, id, store.ErrNotFound)
	}
	if !conn.Enabled {
		return nil, fmt.Errorf("telephony connection %s is disabled: %w", id, store.ErrNotFound)
	}
	return conn, nil
}

// load returns connection id with its adapter. A non-empty workspaceID
// limits it to that workspace: another workspace's connection is not found.
func (s *Service) load(ctx context.Context, workspaceID, id string) (*connection, error) {
	loaded, err := s.connections.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if workspaceID != "" && loaded.WorkspaceID != workspaceID {
		return nil, fmt.Errorf("telephony connection %s: %w", id, store.ErrNotFound)
	}

	adapter, err := connections.NewAdapter(loaded, s.httpClient, s.publicBase)
	if err != nil {
		return nil, err
	}
	conn := &connection{Connection: loaded, adapter: adapter, deadline: loaded.Deadline()}
	if conn.deadline <= 0 {
		conn.deadline = store.DefaultDeadlineMillis * time.Millisecond
	}
	s.rememberDeadline(id, conn.deadline)
	return conn, nil
}

// loadTimeout bounds loading a connection for a webhook by the routing
// deadline it had when last loaded, so a database that hangs still leaves
// time to answer with a route.
func (s *Service) loadTimeout(id string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.deadlines[id]; ok {
		return d
	}
	return store.DefaultDeadlineMillis * time.Millisecond
}

func (s *Service) rememberDeadline(id string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.deadlines) >= maxRememberedDeadlines {
		clear(s.deadlines)
	}
	s.deadlines[id] = d
}

// maxRememberedDeadlines bounds the deadlines kept in memory; past it they
// are forgotten and loads use the default deadline until read again.
const maxRememberedDeadlines = 10000

// asyncRouting reports whether provider takes the route as a REST command
// instead of in the webhook answer.
func asyncRouting(provider telephony.Provider) bool {
	return provider == telephony.ProviderTelnyx || provider == telephony.ProviderAircall
}

// routeCommand returns the REST command that carries out the first route of
// a call whose webhook answer cannot: Route for a parked Telnyx call, a
// transfer for Aircall. It is nil for other adapters.
func routeCommand(adapter telephony.Adapter) func(ctx context.Context, creds telephony.Credentials, callID string, route telephony.Route) error {
	switch a := adapter.(type) {
	case *telnyx.Adapter:
		return a.Route
	case *aircall.Adapter:
		return a.Reroute
	default:
		return nil
	}
}
