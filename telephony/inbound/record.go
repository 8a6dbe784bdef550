package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/callrecord"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// record stores events, and d for the event that needed a route, in one
// transaction. It reports whether the routing event was stored now, false
// when it was a retried delivery.
func (s *Service) record(ctx context.Context, conn *connection, h Hook, events []telephony.CallEvent, d *decision, received time.Time) (routedNew bool, err error) {
	rawQuery := ""
	if u, err := url.Parse(h.PublicURL); err == nil {
		rawQuery = u.RawQuery
	}

	var changed []string
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		routedNew, changed = false, changed[:0]
		for i, ev := range events {
			normalized, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("encode call event: %w", err)
			}
			rec := store.CallEventRecord{
				WorkspaceID: conn.WorkspaceID,
				DedupeKey:   dedupeKey(h, rawQuery, ev, i, len(events)),
				Status:      string(ev.Status),
				Hook:        h.Name,
				OccurredAt:  store.Millis(ev.OccurredAt),
				ReceivedAt:  store.Millis(received),
				RawBody:     string(h.Body),
				RawQuery:    rawQuery,
				Normalized:  normalized,
			}

			var routing *decision
			if ev.NeedsRoute {
				routing = d
			}
			inserted, err := s.recordEvent(ctx, q, conn, ev, &rec, routing)
			if err != nil {
				return err
			}
			routedNew = routedNew || (inserted && ev.NeedsRoute)
			if inserted && !slices.Contains(changed, rec.CallID) {
				changed = append(changed, rec.CallID)
			}
		}
		return nil
	})
	if err == nil {
		s.notifyChanged(ctx, conn.WorkspaceID, changed)
	}
	return routedNew, err
}

// notifyChanged passes the calls whose record a committed webhook changed
// to the notifier. A retried delivery changes nothing and is not passed on.
func (s *Service) notifyChanged(ctx context.Context, workspaceID string, callIDs []string) {
	if s.notifier == nil {
		return
	}
	for _, id := range callIDs {
		s.notifier.CallChanged(ctx, workspaceID, id)
	}
}

// recordEvent stores one event and brings its call's record up to date. It
// reports whether the event was new.
func (s *Service) recordEvent(ctx context.Context, q *store.Queries, conn *connection, ev telephony.CallEvent, rec *store.CallEventRecord, d *decision) (bool, error) {
	call, created, err := s.callFor(ctx, q, conn, ev, d)
	if err != nil {
		return false, err
	}

	rec.CallID = call.ID
	inserted, err := q.InsertCallEvent(ctx, rec)
	if err != nil || !inserted {
		return inserted, err
	}
	if created {
		return true, s.callChanged(ctx, q, store.Call{}, call)
	}

	before := call
	events, err := callEvents(ctx, q, call)
	if err != nil {
		return false, err
	}
	callrecord.Rebuild(&call, events)
	if d != nil {
		applyDecision(&call, d)
	}
	fillRoutedAgent(&call)
	if err := q.UpdateCall(ctx, &call); err != nil {
		return false, err
	}
	return true, s.callChanged(ctx, q, before, call)
}

// callChanged records, in the transaction of the change, the webhook
// events of a call that moved from before to after and what the change
// means for its CRM logs. before is the zero Call for a new call.
func (s *Service) callChanged(ctx context.Context, q *store.Queries, before, after store.Call) error {
	if err := s.emitStatusChange(ctx, q, before, after); err != nil {
		return err
	}
	if s.callLogs == nil {
		return nil
	}
	return s.callLogs.CallChanged(ctx, q, before, after)
}

// emitStatusChange records the webhook events of a call that moved from
// before to call, in the transaction of the change.
func (s *Service) emitStatusChange(ctx context.Context, q *store.Queries, before, call store.Call) error {
	if s.events == nil {
		return nil
	}
	answeredNow := before.AnsweredAt == nil && call.AnsweredAt != nil
	for _, t := range statusEvents(telephony.Status(before.Status), telephony.Status(call.Status), answeredNow) {
		if err := s.events.Emit(ctx, q, call.WorkspaceID, t, call); err != nil {
			return err
		}
	}
	return nil
}

// statusEvents returns the event types of a status change: call.ringing,
// call.answered, or call.ended on reaching a final status, followed by
// call.missed when that status is missed. A call that reaches a final
// status with an answer time it did not have (answeredNow), as when
// Twilio reports only the dial's talk time, gets call.answered before
// call.ended. A call first seen in a later state gets only that state's
// events, and reordered events that move a call from one final status to
// another emit nothing.
func statusEvents(before, after telephony.Status, answeredNow bool) []webhooks.EventType {
	switch {
	case after == before || after == "":
		return nil
	case after == telephony.StatusRinging:
		return []webhooks.EventType{webhooks.CallRinging}
	case after == telephony.StatusAnswered:
		return []webhooks.EventType{webhooks.CallAnswered}
	case before != "" && before.Final():
		return nil
	}

	var events []webhooks.EventType
	if answeredNow && before != telephony.StatusAnswered {
		events = append(events, webhooks.CallAnswered)
	}
	events = append(events, webhooks.CallEnded)
	if after == telephony.StatusMissed {
		events = append(events, webhooks.CallMissed)
	}
	return events
}

// callFor returns the call ev belongs to, locked until the transaction
// ends, and creates it from ev when there is none. Two webhooks of one new
// call may race: the loser's insert finds the winner's row, which is then
// read under lock and updated like any existing call.
//
// A routing event (d set) usually opens a new call, so callFor inserts
// first and reads the existing row only when the insert conflicts: one
// statement fewer per new call. Other events usually belong to an existing
// call and would need a contact lookup to build the insert, so for them
// callFor reads first.
func (s *Service) callFor(ctx context.Context, q *store.Queries, conn *connection, ev telephony.CallEvent, d *decision) (call store.Call, created bool, err error) {
	key := recordKey(ev)
	if d == nil {
		call, err = q.GetCallByProviderIDForUpdate(ctx, conn.ID, key)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return call, false, err
		}
	}

	call = store.Call{
		WorkspaceID:    conn.WorkspaceID,
		ConnectionID:   conn.ID,
		Provider:       string(conn.Provider),
		ProviderCallID: key,
	}
	callrecord.Apply(&call, ev)
	if d != nil {
		applyDecision(&call, d)
	} else if err := s.matchContact(ctx, q, conn, ev, &call); err != nil {
		return store.Call{}, false, err
	}
	fillRoutedAgent(&call)

	err = q.InsertCall(ctx, &call)
	if errors.Is(err, store.ErrConflict) {
		call, err = q.GetCallByProviderIDForUpdate(ctx, conn.ID, key)
		return call, false, err
	}
	return call, err == nil, err
}

// recordKey returns the provider call id the record of ev is filed under:
// the parent call's when the provider reports a leg under its own id.
func recordKey(ev telephony.CallEvent) string {
	if ev.ParentCallID != "" {
		return ev.ParentCallID
	}
	return ev.ProviderCallID
}

// matchContact fills the contact fields of a call that was not routed, such
// as an outbound call, from the connection's phonebooks.
func (s *Service) matchContact(ctx context.Context, q *store.Queries, conn *connection, ev telephony.CallEvent, call *store.Call) error {
	contacts, err := s.findContacts(ctx, q, conn, lookupNumber(ev))
	if err != nil || len(contacts) == 0 {
		return err
	}
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.ID
	}
	call.ContactID = &contacts[0].ID
	call.PhonebookID = &contacts[0].PhonebookID
	call.MatchedContactIDs.V = ids
	return nil
}

// applyDecision stores the routing decision and the contact it matched on
// the call.
func applyDecision(call *store.Call, d *decision) {
	call.Routing, _ = json.Marshal(d.Decision) // a Decision holds strings, ints and slices of them
	call.MatchedContactIDs.V = d.ContactIDs
	call.ContactID, call.PhonebookID = nil, nil
	if d.Contact != nil {
		call.ContactID = &d.Contact.ID
		call.PhonebookID = &d.Contact.PhonebookID
	}
}

// fillRoutedAgent gives a call whose provider named no agent the party
// its routing decision rang (routing.Decision.Agent). Rebuild clears the
// agent, so this runs after every rebuild and follows a new decision.
//
// NOTE: the party rung is not always the one who answered, such as a SIP
// target that forks to several phones.
func fillRoutedAgent(call *store.Call) {
	if call.Agent != "" || len(call.Routing) == 0 {
		return
	}
	var decision routing.Decision
	if err := json.Unmarshal(call.Routing, &decision); err == nil {
		call.Agent = decision.Agent()
	}
}

// callEvents returns the normalised events stored for call.
func callEvents(ctx context.Context, q *store.Queries, call store.Call) ([]telephony.CallEvent, error) {
	records, err := q.ListCallEvents(ctx, call.WorkspaceID, call.ID)
	if err != nil {
		return nil, err
	}
	events := make([]telephony.CallEvent, 0, len(records))
	for _, rec := range records {
		var ev telephony.CallEvent
		if err := json.Unmarshal(rec.Normalized, &ev); err != nil {
			return nil, fmt.Errorf("read event %s of call %s: %w", rec.ID, call.ID, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// dedupeKey identifies an event within its call: the provider's event id,
// else a SHA-256 of the hook name, raw body and raw query, so a retried
// delivery of the same request has the same key. A request that gave
// several events numbers them.
func dedupeKey(h Hook, rawQuery string, ev telephony.CallEvent, index, count int) string {
	if ev.ProviderEventID != "" {
		return ev.ProviderEventID
	}

	sum := sha256.New()
	sum.Write([]byte(h.Name + "\n"))
	sum.Write(h.Body)
	sum.Write([]byte("\n" + rawQuery))
	key := "sha256:" + hex.EncodeToString(sum.Sum(nil))
	if count > 1 {
		key += "/" + strconv.Itoa(index)
	}
	return key
}
