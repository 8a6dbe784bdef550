package inbound

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// LateCRMLookupWindow bounds a CRM lookup that goes on after the CRM
// step's deadline so that its response can reroute the call, counted from
// the start of the lookup.
const LateCRMLookupWindow = 5 * time.Second

// Outcomes of a late CRM response, the values of the metric's outcome
// label.
const (
	lateRerouted      = "rerouted"
	lateSameRoute     = "same_route"
	lateNoContact     = "no_contact"
	lateLookupFailed  = "lookup_failed"
	lateRerouteFailed = "reroute_failed"
)

// crmResponse is the result of the CRM step.
type crmResponse struct {
	contact *routing.ContactEnv
	refs    []string
	err     error
}

// lookupCRM is the CRM step of a routing decision: it looks number up in
// the connection's CRM connection within the connection's CRM deadline.
// A failed or late lookup finds no contact, so the rules run with what
// the call has. When allowLate is set and the connection reroutes on late
// responses, a lookup that misses the deadline goes on in the background,
// for at most LateCRMLookupWindow, and its response arrives on the
// returned channel.
func (s *Service) lookupCRM(ctx context.Context, conn *connection, ev telephony.CallEvent, number string, allowLate bool) (routing.LookupResult, <-chan crmResponse) {
	if number == "" {
		return routing.LookupResult{}, nil
	}
	if s.crm == nil || conn.CRMConnectionID == "" {
		s.log.Warn("CRM step skipped: no CRM lookup is configured for this connection",
			zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID),
			zap.String("lookup_order", conn.LookupOrder), zap.Bool("crm_lookup_configured", s.crm != nil))
		return routing.LookupResult{}, nil
	}

	step, cancel := context.WithTimeout(ctx, conn.CRMDeadline())
	defer cancel()
	if !allowLate || !conn.RerouteLateCRMAnswers {
		return s.crmResult(conn, ev, s.askCRM(step, conn, number)), nil
	}

	responses := make(chan crmResponse, 1)
	go func() {
		background, cancel := context.WithTimeout(context.WithoutCancel(ctx), LateCRMLookupWindow)
		defer cancel()
		responses <- s.askCRM(background, conn, number)
	}()
	select {
	case response := <-responses:
		return s.crmResult(conn, ev, response), nil
	case <-step.Done():
		s.log.Info("CRM lookup timed out after crm_deadline_ms: routing without its contact, and a late response may reroute the call",
			crmFields(conn, ev)...)
		return routing.LookupResult{Warning: crmTimeoutWarning(conn)}, responses
	}
}

// crmTimeoutWarning is the lookup warning of a CRM step that ran out of
// the connection's CRM deadline.
func crmTimeoutWarning(conn *connection) string {
	return fmt.Sprintf("the CRM lookup timed out after %s, so the rules ran without the CRM's contact", conn.CRMDeadline())
}

func (s *Service) askCRM(ctx context.Context, conn *connection, number string) crmResponse {
	contact, refs, err := s.crm.LookupContact(ctx, conn.WorkspaceID, conn.CRMConnectionID, number)
	return crmResponse{contact: contact, refs: refs, err: err}
}

// crmResult turns a CRM response into what routing.Decide takes. A failed
// lookup finds no contact. The CRMLookup logs and counts failures, so they
// are logged here at debug level only.
func (s *Service) crmResult(conn *connection, ev telephony.CallEvent, response crmResponse) routing.LookupResult {
	if response.err != nil {
		s.log.Debug("CRM lookup failed: routing without its contact", append(crmFields(conn, ev), zap.Error(response.err))...)
		if errors.Is(response.err, context.DeadlineExceeded) {
			return routing.LookupResult{Warning: crmTimeoutWarning(conn)}
		}
		return routing.LookupResult{Warning: "the CRM lookup failed, so the rules ran without the CRM's contact: " + response.err.Error()}
	}
	if response.contact == nil {
		return routing.LookupResult{}
	}
	return routing.LookupResult{Contact: response.contact, Matches: max(len(response.refs), 1), AllContactIDs: response.refs}
}

// rerouteOnLateResponse waits for the CRM's late response, runs the rules
// again with its contact at the time the first decision saw, and reroutes
// the live call when they give another route than routed. Every response
// is counted by outcome.
func (s *Service) rerouteOnLateResponse(conn *connection, ev telephony.CallEvent, routed telephony.Route, at time.Time, responses <-chan crmResponse) {
	response := <-responses
	fields := crmFields(conn, ev)
	switch {
	case response.err != nil:
		s.log.Info("late CRM lookup failed: the call keeps its route", append(fields, zap.Error(response.err))...)
		s.countLateResponse(conn, lateLookupFailed)
		return
	case response.contact == nil:
		s.countLateResponse(conn, lateNoContact)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), conn.deadline+commandTimeout)
	defer cancel()
	d := s.decideWithContact(ctx, conn, ev, response, at)
	fields = append(fields, zap.String("contact_id", d.ContactID), zap.String("rule", d.Rule), zap.String("route_kind", string(d.Route.Kind)))
	if d.Route == routed {
		s.log.Debug("late CRM response gives the route the call already has", fields...)
		s.countLateResponse(conn, lateSameRoute)
		return
	}

	callID, err := s.rerouteStoredCall(ctx, conn, ev, d.Route)
	if err != nil {
		log := s.log.Warn
		if errors.Is(err, telephony.ErrCallEnded) {
			log = s.log.Info
		}
		log("rerouting the call after the CRM's late response failed", append(fields, zap.Error(err))...)
		s.countLateResponse(conn, lateRerouteFailed)
		return
	}
	s.log.Info("call rerouted after the CRM's late response", fields...)
	s.countLateResponse(conn, lateRerouted)

	d.Replaces = &routed
	if err := s.recordLateDecision(ctx, conn, ev, d); err != nil {
		s.log.Warn("recording the decision of a late CRM response failed: the call keeps its first decision on record",
			append(fields, zap.String("call_id", callID), zap.Error(err))...)
	}
}

// recordLateDecision replaces the routing decision stored for the call of
// ev with d, the decision that rerouted it after a late CRM response.
func (s *Service) recordLateDecision(ctx context.Context, conn *connection, ev telephony.CallEvent, d routing.Decision) error {
	var callID string
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		call, err := q.GetCallByProviderIDForUpdate(ctx, conn.ID, recordKey(ev))
		if err != nil {
			return err
		}
		callID = call.ID
		applyDecision(&call, &decision{Decision: d})
		return q.UpdateCall(ctx, &call)
	})
	if err == nil {
		s.notifyChanged(ctx, conn.WorkspaceID, []string{callID})
	}
	return err
}

// decideWithContact runs the connection's rules with the contact of a
// CRM response, within the connection's deadline.
func (s *Service) decideWithContact(ctx context.Context, conn *connection, ev telephony.CallEvent, response crmResponse, at time.Time) routing.Decision {
	budget, cancel := context.WithTimeout(ctx, conn.deadline)
	defer cancel()
	lookup := func(context.Context) (routing.LookupResult, error) {
		return s.crmResult(conn, ev, response), nil
	}
	return routing.Decide(budget, conn.Ruleset, conn.DefaultRoute, lookup, routing.NewCallEnv(ev, conn.ID), at, conn.Location)
}

// rerouteStoredCall moves the stored call of ev to route through Reroute
// and returns the call's id.
func (s *Service) rerouteStoredCall(ctx context.Context, conn *connection, ev telephony.CallEvent, route telephony.Route) (string, error) {
	var callID string
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		call, err := q.GetCallByProviderIDForUpdate(ctx, conn.ID, recordKey(ev))
		callID = call.ID
		return err
	})
	if err != nil {
		return "", err
	}
	_, err = s.Reroute(ctx, conn.WorkspaceID, callID, route)
	return callID, err
}

func (s *Service) countLateResponse(conn *connection, outcome string) {
	s.metrics.lateCRMAnswers.WithLabelValues(string(conn.Provider), outcome).Inc()
}

func crmFields(conn *connection, ev telephony.CallEvent) []zap.Field {
	return []zap.Field{
		zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID),
		zap.String("crm_connection_id", conn.CRMConnectionID), zap.String("provider_call_id", ev.ProviderCallID),
	}
}
