package webhooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/store"
)

// MaxRedeliverSince is the largest number of deliveries one
// RedeliverSince queues, so one request writes one bounded transaction.
const MaxRedeliverSince = 10000

// Delivery is a delivery with every attempt sent for it.
type Delivery struct {
	store.WebhookDelivery
	// AttemptLog lists the attempts in order, over every round.
	AttemptLog []store.WebhookAttempt
}

// Deliveries returns one page of the subscription's deliveries, newest
// first, each with its attempts, and whether more follow. A state other
// than "" keeps only the deliveries in that state.
func (s *Service) Deliveries(ctx context.Context, workspaceID, subscriptionID, state string, after *store.Keyset, limit int) ([]Delivery, bool, error) {
	if _, err := s.store.GetWebhookSubscription(ctx, workspaceID, subscriptionID); err != nil {
		return nil, false, err
	}
	page, hasMore, err := s.store.ListWebhookDeliveries(ctx, store.WebhookDeliveryQuery{
		WorkspaceID: workspaceID, SubscriptionID: subscriptionID, State: state, After: after, Desc: true, Limit: limit,
	})
	if err != nil {
		return nil, false, err
	}

	ids := make([]string, len(page))
	for i, d := range page {
		ids[i] = d.ID
	}
	attempts, err := s.store.ListWebhookAttempts(ctx, workspaceID, ids)
	if err != nil {
		return nil, false, err
	}
	out := make([]Delivery, len(page))
	for i, d := range page {
		out[i] = withAttempts(d, attempts)
	}
	return out, hasMore, nil
}

func withAttempts(d store.WebhookDelivery, attempts map[string][]store.WebhookAttempt) Delivery {
	log := attempts[d.ID]
	if log == nil {
		log = []store.WebhookAttempt{}
	}
	return Delivery{WebhookDelivery: d, AttemptLog: log}
}

// EventFilter selects recorded events. Zero fields select every event.
type EventFilter struct {
	Type EventType
	// CreatedSince keeps only events created at or after it.
	CreatedSince *store.UnixMilli
}

// Events returns one page of the workspace's recorded events that filter
// selects, newest first, and whether more follow.
func (s *Service) Events(ctx context.Context, workspaceID string, filter EventFilter, after *store.Keyset, limit int) ([]store.WebhookEvent, bool, error) {
	return s.store.ListWebhookEvents(ctx, store.WebhookEventQuery{
		WorkspaceID: workspaceID, Type: string(filter.Type), CreatedSince: filter.CreatedSince, After: after, Limit: limit,
	})
}

// Redeliver queues the delivery id again, a delivery id (whd_...) or the
// id of its event (evt_...), whatever its state. The receiver gets the same
// webhook-id and body as before. The new round gets the full retry
// schedule, and retries still pending from the earlier round are dropped.
// A disabled subscription is a conflict: enable it first.
func (s *Service) Redeliver(ctx context.Context, workspaceID, subscriptionID, id string) (Delivery, error) {
	var d store.WebhookDelivery
	var attempts map[string][]store.WebhookAttempt
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := checkEnabled(ctx, q, workspaceID, subscriptionID); err != nil {
			return err
		}
		var err error
		if d, err = findDelivery(ctx, q, workspaceID, subscriptionID, id); err != nil {
			return err
		}
		if err := s.requeue(ctx, q, &d); err != nil {
			return err
		}
		attempts, err = q.ListWebhookAttempts(ctx, workspaceID, []string{d.ID})
		return err
	})
	if err != nil {
		return Delivery{}, err
	}
	return withAttempts(d, attempts), nil
}

// RedeliverSince queues again every delivery of the subscription whose
// event was created at or after since, oldest first, at most
// MaxRedeliverSince of them. It
// returns how many it queued and, when it stopped at the limit, the
// creation time of the last one, from which a next call continues.
func (s *Service) RedeliverSince(ctx context.Context, workspaceID, subscriptionID string, since time.Time) (queued int, next *time.Time, err error) {
	from := store.Millis(since)
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := checkEnabled(ctx, q, workspaceID, subscriptionID); err != nil {
			return err
		}
		page, hasMore, err := q.ListWebhookDeliveries(ctx, store.WebhookDeliveryQuery{
			WorkspaceID: workspaceID, SubscriptionID: subscriptionID, Since: &from, Limit: MaxRedeliverSince,
		})
		if err != nil {
			return err
		}
		for i := range page {
			if err := s.requeue(ctx, q, &page[i]); err != nil {
				return err
			}
		}
		queued = len(page)
		if hasMore {
			last := page[len(page)-1].CreatedAt.Time
			next = &last
		}
		return nil
	})
	return queued, next, err
}

// checkEnabled returns store.ErrNotFound for an unknown subscription and
// store.ErrConflict for a disabled one.
func checkEnabled(ctx context.Context, q *store.Queries, workspaceID, subscriptionID string) error {
	sub, err := q.GetWebhookSubscription(ctx, workspaceID, subscriptionID)
	if err != nil {
		return err
	}
	if !sub.Enabled {
		return fmt.Errorf("webhook subscription %s is disabled; enable it before redelivering: %w", subscriptionID, store.ErrConflict)
	}
	return nil
}

// findDelivery returns the delivery of the subscription named by id, a
// delivery id or an event id.
func findDelivery(ctx context.Context, q *store.Queries, workspaceID, subscriptionID, id string) (store.WebhookDelivery, error) {
	if strings.HasPrefix(id, store.PrefixWebhookEvent) {
		return q.GetWebhookDeliveryOfEvent(ctx, workspaceID, subscriptionID, id)
	}
	d, err := q.GetWebhookDelivery(ctx, workspaceID, id)
	if err == nil && d.SubscriptionID != subscriptionID {
		return store.WebhookDelivery{}, fmt.Errorf("webhook delivery %s: %w", id, store.ErrNotFound)
	}
	return d, err
}

// requeue starts a new round of d and enqueues its job.
func (s *Service) requeue(ctx context.Context, q *store.Queries, d *store.WebhookDelivery) error {
	if s.queue == nil {
		return ErrNoQueue
	}
	at := store.Millis(s.now())
	d.Round++
	d.State, d.NextAttemptAt = store.DeliveryPending, &at
	if err := q.UpdateWebhookDelivery(ctx, d); err != nil {
		return err
	}
	return s.enqueue(ctx, q, *d)
}
