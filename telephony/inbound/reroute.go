package inbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// Reroute moves the live call callID of workspaceID to route through the
// provider's REST API and returns the call. Numbers without a country code
// are read in the workspace's default region.
//
// Errors: store.ErrNotFound for an unknown call; telephony.ErrCallEnded when
// the record or the provider reports that the call has ended; *validation.Error for
// an invalid route; ErrRerouteUnsupported when the provider cannot move
// live calls, cannot ring this kind of target, or the connection is gone or
// lacks what the command needs; *telephony.ProviderError for an error
// answer of the provider; ErrProviderUnreachable when it did not answer.
func (s *Service) Reroute(ctx context.Context, workspaceID, callID string, route telephony.Route) (store.Call, error) {
	call, err := s.store.GetCall(ctx, workspaceID, callID)
	if err != nil {
		return store.Call{}, err
	}
	if telephony.Status(call.Status).Final() {
		return store.Call{}, fmt.Errorf("call %s is %s: %w", callID, call.Status, telephony.ErrCallEnded)
	}

	conn, err := s.load(ctx, workspaceID, call.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Call{}, fmt.Errorf("%w: telephony connection %s of call %s no longer exists", ErrRerouteUnsupported, call.ConnectionID, callID)
	}
	if err != nil {
		return store.Call{}, err
	}

	route, err = routing.ValidateDefaultRoute(route, conn.Region)
	var routeErr *routing.RouteError
	if errors.As(err, &routeErr) {
		return store.Call{}, validation.New(routeErr.Field, "%s", routeErr.Message)
	}

	controller, ok := conn.adapter.(telephony.LiveCallController)
	if !ok {
		return store.Call{}, fmt.Errorf("%w: %s connections have no API for live calls", ErrRerouteUnsupported, conn.Provider)
	}
	leg, err := controlledLeg(ctx, s.store.Queries, call)
	if err != nil {
		return store.Call{}, err
	}

	if err := controller.Reroute(ctx, conn.Credentials, leg, route); err != nil {
		return store.Call{}, rerouteError(callID, err)
	}
	s.log.Info("call rerouted",
		zap.String("workspace_id", workspaceID), zap.String("call_id", callID),
		zap.String("connection_id", conn.ID), zap.String("route_kind", string(route.Kind)))
	return call, nil
}

// controlledLeg returns the provider id of the leg that a reroute command
// must name: the leg whose event asked for the route, because Vonage files
// a call under its conversation, and the call's own id otherwise.
func controlledLeg(ctx context.Context, q *store.Queries, call store.Call) (string, error) {
	records, err := q.ListCallEvents(ctx, call.WorkspaceID, call.ID)
	if err != nil {
		return "", err
	}
	for _, rec := range records {
		var ev telephony.CallEvent
		if json.Unmarshal(rec.Normalized, &ev) == nil && ev.NeedsRoute && ev.ProviderCallID != "" {
			return ev.ProviderCallID, nil
		}
	}
	return call.ProviderCallID, nil
}

// rerouteError sorts an adapter's Reroute error into the errors Reroute
// documents.
func rerouteError(callID string, err error) error {
	var providerErr *telephony.ProviderError
	var urlErr *url.Error
	switch {
	case errors.Is(err, telephony.ErrCallEnded), errors.As(err, &providerErr):
		return fmt.Errorf("reroute call %s: %w", callID, err)
	case errors.As(err, &urlErr):
		return fmt.Errorf("%w: reroute call %s: %w", ErrProviderUnreachable, callID, err)
	default:
		// The rest fail before any request is sent: a route kind the
		// provider cannot ring (telnyx.ErrInvalidRoute,
		// aircall.ErrUnsupportedRoute), a route the adapter cannot render
		// with the connection's options, or missing credentials.
		return fmt.Errorf("%w: %w", ErrRerouteUnsupported, err)
	}
}
