package inbound

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/telephony"
)

// commandTimeout bounds a Telnyx or Aircall routing command.
const commandTimeout = 10 * time.Second

// Hook is one webhook request as the gateway received it.
type Hook struct {
	// Provider and ConnectionID are the path segments of
	// /hooks/{provider}/{connection_id}/{hook}, and Name is the last one.
	Provider     string
	ConnectionID string
	Name         string
	Method       string
	// PublicURL is the URL the provider called: the configured public base
	// URL followed by the request URI, query included.
	PublicURL string
	Header    http.Header
	Body      []byte
	// RemoteAddr is the client address of the request, recorded with a
	// rejected webhook.
	RemoteAddr string
	// Form holds parsed query and form parameters; nil lets each adapter
	// read them from PublicURL and Body.
	Form map[string][]string
}

// HandleWebhook verifies, parses, routes and stores one webhook and returns
// the answer for the provider. Errors wrap store.ErrNotFound (unknown,
// disabled or other provider's connection), telephony.ErrBadSignature,
// telephony.ErrMalformed or ErrStoreUnavailable. A webhook that waits for a
// route gets one whenever the connection could be loaded, even when its
// event could not be stored in time; storeLater then keeps trying.
func (s *Service) HandleWebhook(ctx context.Context, h Hook) (telephony.Answer, error) {
	start := time.Now()
	received := s.now()

	conn, err := s.connectionForWebhook(ctx, h.Provider, h.ConnectionID)
	if err != nil {
		return telephony.Answer{}, err
	}

	req := telephony.Request{
		Method: h.Method, PublicURL: h.PublicURL, Header: h.Header, Body: h.Body, Form: h.Form, Hook: h.Name,
	}
	if err := conn.adapter.Verify(req, conn.Credentials, received); err != nil {
		s.recordRejection(ctx, conn, h, err, received)
		return telephony.Answer{}, fmt.Errorf("%s webhook for telephony connection %s: %w", h.Provider, h.ConnectionID, err)
	}
	events, err := conn.adapter.Parse(req)
	if err != nil {
		return telephony.Answer{}, fmt.Errorf("%s webhook for telephony connection %s: %w", h.Provider, h.ConnectionID, err)
	}
	for i := range events {
		if events[i].OccurredAt.IsZero() {
			events[i].OccurredAt = received
		}
	}

	routed := slices.IndexFunc(events, func(ev telephony.CallEvent) bool { return ev.NeedsRoute })
	if routed >= 0 {
		budget, cancel := context.WithDeadline(ctx, start.Add(conn.deadline))
		defer cancel()
		return s.routeCall(ctx, budget, conn, h, events, routed, received), nil
	}

	if len(events) == 0 {
		return conn.adapter.Answer(telephony.CallEvent{}, nil), nil
	}
	if _, err := s.record(ctx, conn, h, events, nil, received); err != nil {
		return telephony.Answer{}, fmt.Errorf("%w: %s webhook for telephony connection %s: %w", ErrStoreUnavailable, h.Provider, h.ConnectionID, err)
	}
	return conn.adapter.Answer(events[0], nil), nil
}

// routeCall decides where the call of events[routed] goes within budget,
// stores the events with what is left of it, and returns the answer. For
// Telnyx and Aircall it also sends the route as a REST command, unless the
// routing event was a retried delivery that is stored already. When the
// CRM responds after the CRM step's deadline, its response may reroute
// the call later (see rerouteOnLateResponse).
func (s *Service) routeCall(ctx, budget context.Context, conn *connection, h Hook, events []telephony.CallEvent, routed int, received time.Time) telephony.Answer {
	ev := events[routed]
	d := s.decide(budget, conn, ev, true)
	answer := conn.adapter.Answer(ev, &d.Route)

	newRoute, err := s.record(budget, conn, h, events, &d, received)
	if err != nil {
		newRoute = true // unknown, so route rather than leave the call parked
		s.metrics.recordFailures.WithLabelValues(string(conn.Provider)).Inc()
		s.log.Error("event of a routing webhook not stored; the route was still returned and storing is retried",
			s.callFields(conn, ev.ProviderCallID, zap.Bool("stale_connection", conn.Stale), zap.Error(err))...)
		s.storeLater(conn, h, events, d, received)
	}

	if asyncRouting(conn.Provider) && newRoute {
		s.sendRoute(ctx, conn, ev, d.Route)
	}
	if d.lateCRM != nil && newRoute {
		go s.rerouteOnLateResponse(conn, ev, d.Route, d.At, d.lateCRM)
	}
	return answer
}

// sendRoute carries out route for a Telnyx or Aircall call with a REST
// command. A failure is logged and counted, and the provider then handles
// the call by its own settings.
func (s *Service) sendRoute(ctx context.Context, conn *connection, ev telephony.CallEvent, route telephony.Route) {
	send := routeCommand(conn.adapter)
	if send == nil {
		return
	}

	cmdCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commandTimeout)
	defer cancel()
	if err := send(cmdCtx, conn.Credentials, ev.ProviderCallID, route); err != nil {
		s.metrics.commandFailures.WithLabelValues(string(conn.Provider)).Inc()
		s.log.Error("routing command failed",
			zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID),
			zap.String("provider_call_id", ev.ProviderCallID), zap.String("route_kind", string(route.Kind)), zap.Error(err))
	}
}
