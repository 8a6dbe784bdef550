package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-oss/switchboard/store"
)

// EventType names a kind of change subscribers can receive.
type EventType string

// Event types.
const (
	CallRinging EventType = "call.ringing"
	// CallAnswered is sent when a call is answered, or together with
	// CallEnded when the provider reported the answer only at the end.
	CallAnswered EventType = "call.answered"
	// CallEnded is sent for every call that reaches a final status, missed
	// calls included.
	CallEnded EventType = "call.ended"
	// CallMissed is sent besides CallEnded when the final status is missed.
	CallMissed EventType = "call.missed"
	// CallLogged is sent when a call's entry is first written to a CRM
	// connection, in the transaction that stores the CRM's id.
	CallLogged       EventType = "call.logged"
	ContactCreated   EventType = "contact.created"
	ContactUpdated   EventType = "contact.updated"
	ContactDeleted   EventType = "contact.deleted"
	PhonebookCreated EventType = "phonebook.created"
	PhonebookUpdated EventType = "phonebook.updated"
	PhonebookDeleted EventType = "phonebook.deleted"
	// WebhookDisabled is recorded when the gateway disables a failing
	// subscription; the other subscriptions of the workspace may receive
	// it.
	WebhookDisabled EventType = "webhook.disabled"
)

// EventTypes lists every event type, in the order the API documents them.
var EventTypes = []EventType{
	CallRinging, CallAnswered, CallEnded, CallMissed, CallLogged,
	ContactCreated, ContactUpdated, ContactDeleted,
	PhonebookCreated, PhonebookUpdated, PhonebookDeleted,
	WebhookDisabled,
}

// AllEvents is the pattern that subscribes to every event type.
const AllEvents = "*"

// validPattern reports whether p is an event type, a family pattern such
// as "contact.*", or AllEvents.
func validPattern(p string) bool {
	if p == AllEvents {
		return true
	}
	if family, ok := strings.CutSuffix(p, ".*"); ok {
		return slices.ContainsFunc(EventTypes, func(t EventType) bool { return familyOf(t) == family })
	}
	return slices.Contains(EventTypes, EventType(p))
}

func familyOf(t EventType) string {
	family, _, _ := strings.Cut(string(t), ".")
	return family
}

// matches reports whether a subscription to patterns receives events of
// type t.
func matches(patterns []string, t EventType) bool {
	for _, p := range patterns {
		if p == AllEvents || p == string(t) || p == familyOf(t)+".*" {
			return true
		}
	}
	return false
}

// Emitter records events for webhook subscribers. Domain services call it
// inside the transaction of the change the event reports, so the event
// exists if and only if the change commits. *Service is one.
type Emitter interface {
	// Emit records an event of type t about object in workspaceID, inside
	// the open transaction of q. object is what the API shows for it, such
	// as a store.Contact, or a Load that returns it.
	Emit(ctx context.Context, q *store.Queries, workspaceID string, t EventType, object any) error
	// EmitBatch records one event of type t per object that load returns,
	// inside the open transaction of q. It calls load only when some
	// subscription receives t, so a bulk write that no subscription
	// watches costs one query.
	EmitBatch(ctx context.Context, q *store.Queries, workspaceID string, t EventType, load LoadBatch) error
}

// LoadBatch returns the objects of a batch of events, in event order.
type LoadBatch func() ([]any, error)

// Load returns the object of an event. Emit calls it only when some
// subscription receives the event, so a change no subscription receives
// costs no extra read.
type Load func() (any, error)

// Enqueuer inserts jobs in the caller's transaction. *jobs.Queue is one.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *store.Queries, args river.JobArgs, opts *river.InsertOpts) error
	InsertManyTx(ctx context.Context, tx *store.Queries, params []river.InsertManyParams) error
}

// ErrNoQueue is returned by Emit when a subscription wants an event but
// SetQueue was never called.
var ErrNoQueue = errors.New("webhooks: no job queue is set; call SetQueue before events are emitted")

// envelope is the request body of a delivery.
type envelope struct {
	ID        string    `json:"id"`
	Type      EventType `json:"type"`
	CreatedAt string    `json:"created_at"`
	Data      any       `json:"data"`
}

// Emit records an event and one delivery per enabled subscription of the
// workspace that receives type t, and enqueues a delivery job for each,
// all in the open transaction of q. An event no subscription receives is
// not recorded, except WebhookDisabled, which the API lists.
func (s *Service) Emit(ctx context.Context, q *store.Queries, workspaceID string, t EventType, object any) error {
	subs, err := s.receivers(ctx, q, workspaceID, t)
	if err != nil {
		return err
	}
	if len(subs) == 0 && t != WebhookDisabled {
		return nil
	}
	return s.record(ctx, q, workspaceID, t, object, subs)
}

// EmitBatch records an event and its deliveries, as Emit does, for every
// object load returns. The subscriptions are read once for the batch, and
// the events, deliveries and jobs are written with multi-row statements.
func (s *Service) EmitBatch(ctx context.Context, q *store.Queries, workspaceID string, t EventType, load LoadBatch) error {
	subs, err := s.receivers(ctx, q, workspaceID, t)
	if err != nil || len(subs) == 0 {
		return err
	}
	objects, err := load()
	if err != nil {
		return fmt.Errorf("emit %s: %w", t, err)
	}

	events := make([]store.WebhookEvent, len(objects))
	for i, object := range objects {
		if events[i], err = s.newEvent(workspaceID, t, object); err != nil {
			return fmt.Errorf("emit %s: %w", t, err)
		}
	}
	if err := q.InsertWebhookEvents(ctx, events); err != nil {
		return err
	}

	deliveries := make([]store.WebhookDelivery, 0, len(events)*len(subs))
	for _, event := range events {
		for _, sub := range subs {
			deliveries = append(deliveries, store.WebhookDelivery{
				WorkspaceID: workspaceID, SubscriptionID: sub.ID, EventID: event.ID, EventType: string(t),
				CreatedAt: event.CreatedAt,
			})
		}
	}
	if err := q.InsertWebhookDeliveries(ctx, deliveries); err != nil {
		return err
	}

	jobs := make([]river.InsertManyParams, len(deliveries))
	for i, d := range deliveries {
		jobs[i] = river.InsertManyParams{Args: deliverArgsOf(d), InsertOpts: s.deliverOpts()}
	}
	return s.queue.InsertManyTx(ctx, q, jobs)
}

// receivers returns the enabled subscriptions of the workspace that
// receive events of type t.
func (s *Service) receivers(ctx context.Context, q *store.Queries, workspaceID string, t EventType) ([]store.WebhookSubscription, error) {
	subs, err := q.ListWebhookSubscriptions(ctx, workspaceID, true)
	if err != nil {
		return nil, fmt.Errorf("emit %s: %w", t, err)
	}
	subs = slices.DeleteFunc(subs, func(sub store.WebhookSubscription) bool { return !matches(sub.EventTypes.V, t) })
	if len(subs) > 0 && s.queue == nil {
		return nil, ErrNoQueue
	}
	return subs, nil
}

// record inserts the event about object and one delivery and job per
// subscription of subs.
func (s *Service) record(ctx context.Context, q *store.Queries, workspaceID string, t EventType, object any, subs []store.WebhookSubscription) error {
	event, err := s.newEvent(workspaceID, t, object)
	if err != nil {
		return fmt.Errorf("emit %s: %w", t, err)
	}
	if err := q.InsertWebhookEvent(ctx, &event); err != nil {
		return err
	}
	for _, sub := range subs {
		d := store.WebhookDelivery{
			WorkspaceID: workspaceID, SubscriptionID: sub.ID, EventID: event.ID, EventType: string(t),
			CreatedAt: event.CreatedAt,
		}
		if err := q.InsertWebhookDelivery(ctx, &d); err != nil {
			return err
		}
		if err := s.enqueue(ctx, q, d); err != nil {
			return err
		}
	}
	return nil
}

// newEvent renders object and builds the event with its payload.
func (s *Service) newEvent(workspaceID string, t EventType, object any) (store.WebhookEvent, error) {
	if load, ok := object.(Load); ok {
		var err error
		if object, err = load(); err != nil {
			return store.WebhookEvent{}, err
		}
	}
	data, err := s.render(object)
	if err != nil {
		return store.WebhookEvent{}, fmt.Errorf("render %T: %w", object, err)
	}

	e := store.WebhookEvent{
		ID:          store.NewID(store.PrefixWebhookEvent),
		WorkspaceID: workspaceID,
		Type:        string(t),
		CreatedAt:   store.Millis(s.now()),
	}
	payload, err := json.Marshal(envelope{ID: e.ID, Type: t, CreatedAt: formatTime(e.CreatedAt.Time), Data: data})
	if err != nil {
		return store.WebhookEvent{}, fmt.Errorf("encode event: %w", err)
	}
	e.Payload = string(payload)
	return e, nil
}

// enqueue inserts the job that sends the current round of d.
func (s *Service) enqueue(ctx context.Context, q *store.Queries, d store.WebhookDelivery) error {
	return s.queue.InsertTx(ctx, q, deliverArgsOf(d), s.deliverOpts())
}

func deliverArgsOf(d store.WebhookDelivery) DeliverArgs {
	return DeliverArgs{WorkspaceID: d.WorkspaceID, DeliveryID: d.ID, Round: d.Round}
}

// deliverOpts gives a delivery job one attempt per retry wait, plus the
// first.
func (s *Service) deliverOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: len(s.retry) + 1}
}

// formatTime writes t as the API does: RFC 3339 in UTC with milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
