package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/switchboard-oss/switchboard/store"
)

// recordAttempt stores the attempt, brings the delivery and the
// subscription's failure record up to date, and disables the subscription
// as trackHealth decides, all in one transaction. jobAttempt is River's
// attempt number of this round; final is true when no retry follows it.
// It returns why the subscription was disabled now, or "".
func (s *Service) recordAttempt(ctx context.Context, d store.WebhookDelivery, r attemptResult, final bool, jobAttempt int) (disabledReason string, err error) {
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		current, err := q.GetWebhookDelivery(ctx, d.WorkspaceID, d.ID)
		if err != nil {
			return err
		}
		sub, err := q.GetWebhookSubscriptionForUpdate(ctx, d.WorkspaceID, d.SubscriptionID)
		if err != nil {
			return err
		}

		disabled := s.trackHealth(&sub, r)
		if err := q.UpdateWebhookSubscription(ctx, &sub); err != nil {
			return err
		}
		disabledReason = ""
		if disabled {
			disabledReason = sub.DisabledReason
			// Emitted after the update, so the disabled subscription is
			// not among the receivers.
			if err := s.Emit(ctx, q, sub.WorkspaceID, WebhookDisabled, sub); err != nil {
				return err
			}
		}
		return s.writeAttempt(ctx, q, &current, d.Round, r, final || disabled, jobAttempt)
	})
	return disabledReason, err
}

// trackHealth updates the failure record of sub after the attempt r. It
// disables sub when its endpoint has failed every attempt for
// DisableAfter, or responded 410 Gone, which Standard Webhooks reads as a
// request to stop sending. It reports whether it disabled sub.
func (s *Service) trackHealth(sub *store.WebhookSubscription, r attemptResult) bool {
	if r.ok() {
		sub.FailingSince, sub.ConsecutiveFailures = nil, 0
		return false
	}

	at := store.Millis(r.at)
	if sub.FailingSince == nil {
		sub.FailingSince = &at
	}
	sub.ConsecutiveFailures++
	failingFor := r.at.Sub(sub.FailingSince.Time)
	reason := ""
	switch {
	case !sub.Enabled:
		return false
	case r.statusCode == http.StatusGone:
		reason = "the endpoint responded 410 Gone, which asks senders to stop delivering"
	case failingFor >= s.disableAfter:
		reason = fmt.Sprintf("every delivery attempt failed for %s (%d attempts since %s); the last one: %s",
			failingFor.Round(time.Second), sub.ConsecutiveFailures, formatTime(sub.FailingSince.Time), r.err)
	default:
		return false
	}

	sub.Enabled = false
	sub.DisabledAt = &at
	sub.DisabledReason = reason
	return true
}

// writeAttempt inserts the attempt r of round of d and updates d. A failed
// attempt leaves d pending for its next retry unless last is true. When a
// manual redelivery started another round meanwhile, the attempt is only
// logged and d keeps the state of the new round.
func (s *Service) writeAttempt(ctx context.Context, q *store.Queries, d *store.WebhookDelivery, round int, r attemptResult, last bool, jobAttempt int) error {
	at := store.Millis(r.at)
	d.Attempts++
	attempt := store.WebhookAttempt{
		DeliveryID: d.ID, Attempt: d.Attempts, WorkspaceID: d.WorkspaceID, AttemptedAt: at,
		LatencyMS: r.latency.Milliseconds(), Error: r.err,
	}
	if r.statusCode != 0 {
		code := r.statusCode
		attempt.StatusCode = &code
	}
	if err := q.InsertWebhookAttempt(ctx, &attempt); err != nil {
		return err
	}

	d.LastAttemptAt, d.LastStatusCode, d.LastError = &at, attempt.StatusCode, r.err
	if d.Round != round {
		return q.UpdateWebhookDelivery(ctx, d)
	}
	d.NextAttemptAt = nil
	switch {
	case r.ok():
		d.State = store.DeliverySucceeded
	case last:
		d.State = store.DeliveryFailed
	default:
		next := store.Millis(r.at.Add(s.nextWait(d.ID, jobAttempt, r)))
		d.State, d.NextAttemptAt = store.DeliveryPending, &next
	}
	return q.UpdateWebhookDelivery(ctx, d)
}

// giveUp marks a delivery failed without sending it, with reason as its
// last error.
func (s *Service) giveUp(ctx context.Context, d store.WebhookDelivery, reason string) error {
	return s.store.InTx(ctx, func(q *store.Queries) error {
		current, err := q.GetWebhookDelivery(ctx, d.WorkspaceID, d.ID)
		if err != nil {
			return ignoreNotFound(err)
		}
		current.State, current.LastError, current.NextAttemptAt = store.DeliveryFailed, reason, nil
		return q.UpdateWebhookDelivery(ctx, &current)
	})
}
