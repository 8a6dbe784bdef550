package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/callrecord"
)

// record stores events, and d for the event that needed a route, in one
// transaction. It reports whether the routing event was stored now, false
// when it was a retried delivery.
func (s *Service) record(ctx context.Context, conn *connection, h Hook, events []telephony.CallEvent, d *decision, received time.Time) (routedNew bool, err error) {
	rawQuery := ""
	if u, err := url.Parse(h.PublicURL); err == nil {
		rawQuery = u.RawQuery
	}

	err = s.store.InTx(ctx, func(q *store.Queries) error {
		routedNew = false
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
		}
		return nil
	})
	return routedNew, err
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
	if err != nil || !inserted || created {
		return inserted, err
	}

	events, err := callEvents(ctx, q, call)
	if err != nil {
		return false, err
	}
	callrecord.Rebuild(&call, events)
	if d != nil {
		applyDecision(&call, d)
	}
	return true, q.UpdateCall(ctx, &call)
}

// callFor returns the call ev belongs to, locked until the transaction
// ends, and creates it from ev when there is none. Two webhooks of one new
// call may race: the loser's insert finds the winner's row, which is then
// read under lock and updated like any existing call.
func (s *Service) callFor(ctx context.Context, q *store.Queries, conn *connection, ev telephony.CallEvent, d *decision) (call store.Call, created bool, err error) {
	key := recordKey(ev)
	call, err = q.GetCallByProviderIDForUpdate(ctx, conn.ID, key)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return call, false, err
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
