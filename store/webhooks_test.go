package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// webhookFixture is a workspace with one subscription, and a second
// workspace to check isolation against.
type webhookFixture struct {
	ctx     context.Context
	s       *store.Store
	ws      string
	otherWS string
	sub     store.WebhookSubscription
}

func setupWebhooks(t *testing.T, s *store.Store) webhookFixture {
	t.Helper()
	f := webhookFixture{ctx: context.Background(), s: s}

	w := store.Workspace{Name: "Acme"}
	require.NoError(t, s.CreateWorkspace(f.ctx, &w))
	f.ws = w.ID
	other := store.Workspace{Name: "Other"}
	require.NoError(t, s.CreateWorkspace(f.ctx, &other))
	f.otherWS = other.ID

	f.sub = store.WebhookSubscription{
		WorkspaceID: w.ID, URL: "https://hooks.example.com/switchboard", Description: "Zapier",
		EventTypes: store.JSONColumn[[]string]{V: []string{"call.ended", "contact.*"}},
		Secret:     "sealed-secret", Enabled: true,
	}
	require.NoError(t, s.CreateWebhookSubscription(f.ctx, &f.sub))
	return f
}

// event records an event of type typ in workspaceID with a delivery to
// subscriptionID, created at the given Unix millisecond.
func (f webhookFixture) event(t *testing.T, workspaceID, subscriptionID, typ string, at int64) (store.WebhookEvent, store.WebhookDelivery) {
	t.Helper()
	e := store.WebhookEvent{
		ID: store.NewID(store.PrefixWebhookEvent), WorkspaceID: workspaceID, Type: typ,
		Payload: `{"type":"` + typ + `"}`, CreatedAt: store.Millis(time.UnixMilli(at)),
	}
	d := store.WebhookDelivery{WorkspaceID: workspaceID, SubscriptionID: subscriptionID, EventID: e.ID, EventType: typ,
		CreatedAt: e.CreatedAt}
	require.NoError(t, f.s.InTx(f.ctx, func(q *store.Queries) error {
		if err := q.InsertWebhookEvent(f.ctx, &e); err != nil {
			return err
		}
		return q.InsertWebhookDelivery(f.ctx, &d)
	}))
	return e, d
}

func TestWebhookSubscriptionCreateGet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)

		got, err := s.GetWebhookSubscription(f.ctx, f.ws, f.sub.ID)

		require.NoError(t, err)
		require.Regexp(t, `^wh_[0-9a-f]{32}$`, got.ID)
		require.Equal(t, "https://hooks.example.com/switchboard", got.URL)
		require.Equal(t, "Zapier", got.Description)
		require.Equal(t, []string{"call.ended", "contact.*"}, got.EventTypes.V)
		require.Equal(t, "sealed-secret", got.Secret)
		require.Empty(t, got.PreviousSecret)
		require.Nil(t, got.PreviousSecretExpiresAt)
		require.True(t, got.Enabled)
		require.Nil(t, got.DisabledAt)
		require.Nil(t, got.FailingSince)
		require.Equal(t, f.sub.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())
	})
}

func TestWebhookSubscriptionOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)

		_, err := s.GetWebhookSubscription(f.ctx, f.otherWS, f.sub.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		moved := f.sub
		moved.WorkspaceID = f.otherWS
		require.ErrorIs(t, s.UpdateWebhookSubscription(f.ctx, &moved), store.ErrNotFound)
		require.ErrorIs(t, s.DeleteWebhookSubscription(f.ctx, f.otherWS, f.sub.ID), store.ErrNotFound)

		others, err := s.ListWebhookSubscriptions(f.ctx, f.otherWS, false)
		require.NoError(t, err)
		require.Empty(t, others)
	})
}

func TestWebhookSubscriptionUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		expires := store.Millis(time.UnixMilli(1_800_000_000_000))
		failing := store.Millis(time.UnixMilli(1_700_000_000_000))
		sub := f.sub
		sub.URL = "https://hooks.example.com/v2"
		sub.EventTypes.V = []string{"call.*"}
		sub.Secret, sub.PreviousSecret, sub.PreviousSecretExpiresAt = "new", "old", &expires
		sub.Enabled, sub.DisabledReason, sub.DisabledAt = false, "failing", &failing
		sub.FailingSince, sub.ConsecutiveFailures = &failing, 7

		require.NoError(t, s.InTx(f.ctx, func(q *store.Queries) error {
			if _, err := q.GetWebhookSubscriptionForUpdate(f.ctx, f.ws, sub.ID); err != nil {
				return err
			}
			return q.UpdateWebhookSubscription(f.ctx, &sub)
		}))

		got, err := s.GetWebhookSubscription(f.ctx, f.ws, sub.ID)
		require.NoError(t, err)
		require.Equal(t, "https://hooks.example.com/v2", got.URL)
		require.Equal(t, []string{"call.*"}, got.EventTypes.V)
		require.Equal(t, "new", got.Secret)
		require.Equal(t, "old", got.PreviousSecret)
		require.Equal(t, expires.UnixMilli(), got.PreviousSecretExpiresAt.UnixMilli())
		require.False(t, got.Enabled)
		require.Equal(t, "failing", got.DisabledReason)
		require.Equal(t, failing.UnixMilli(), got.DisabledAt.UnixMilli())
		require.Equal(t, failing.UnixMilli(), got.FailingSince.UnixMilli())
		require.Equal(t, 7, got.ConsecutiveFailures)
	})
}

func TestListWebhookSubscriptionsEnabledOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		off := store.WebhookSubscription{WorkspaceID: f.ws, URL: "https://off.example.com", Secret: "x"}
		require.NoError(t, s.CreateWebhookSubscription(f.ctx, &off))

		all, err := s.ListWebhookSubscriptions(f.ctx, f.ws, false)
		require.NoError(t, err)
		enabled, err := s.ListWebhookSubscriptions(f.ctx, f.ws, true)
		require.NoError(t, err)

		require.Equal(t, []string{f.sub.ID, off.ID}, subscriptionIDs(all))
		require.Equal(t, []string{f.sub.ID}, subscriptionIDs(enabled))
	})
}

func subscriptionIDs(subs []store.WebhookSubscription) []string {
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.ID
	}
	return ids
}

func TestDeleteWebhookSubscriptionCascades(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		e, d := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_000)
		require.NoError(t, s.InsertWebhookAttempt(f.ctx, &store.WebhookAttempt{
			DeliveryID: d.ID, Attempt: 1, WorkspaceID: f.ws, AttemptedAt: store.Millis(time.Now()), LatencyMS: 12,
		}))

		require.NoError(t, s.DeleteWebhookSubscription(f.ctx, f.ws, f.sub.ID))

		_, err := s.GetWebhookDelivery(f.ctx, f.ws, d.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		attempts, err := s.ListWebhookAttempts(f.ctx, f.ws, []string{d.ID})
		require.NoError(t, err)
		require.Empty(t, attempts)
		_, err = s.GetWebhookEvent(f.ctx, f.ws, e.ID)
		require.NoError(t, err, "the event stays for other subscriptions")
	})
}

func TestWebhookDeliveryRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		e, d := f.event(t, f.ws, f.sub.ID, "contact.created", 1_700_000_000_000)
		require.Regexp(t, `^whd_[0-9a-f]{32}$`, d.ID)
		require.Equal(t, store.DeliveryPending, d.State)
		require.Equal(t, 1, d.Round)

		status := 500
		at := store.Millis(time.UnixMilli(1_700_000_001_000))
		next := store.Millis(time.UnixMilli(1_700_000_061_000))
		d.Attempts, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.NextAttemptAt = 1, &at, &status, "HTTP 500", &next
		require.NoError(t, s.UpdateWebhookDelivery(f.ctx, &d))

		byID, err := s.GetWebhookDelivery(f.ctx, f.ws, d.ID)
		require.NoError(t, err)
		byEvent, err := s.GetWebhookDeliveryOfEvent(f.ctx, f.ws, f.sub.ID, e.ID)
		require.NoError(t, err)
		require.Equal(t, byID, byEvent)
		require.Equal(t, e.ID, byID.EventID)
		require.Equal(t, "contact.created", byID.EventType)
		require.Equal(t, 1, byID.Attempts)
		require.Equal(t, 500, *byID.LastStatusCode)
		require.Equal(t, "HTTP 500", byID.LastError)
		require.Equal(t, at.UnixMilli(), byID.LastAttemptAt.UnixMilli())
		require.Equal(t, next.UnixMilli(), byID.NextAttemptAt.UnixMilli())

		_, err = s.GetWebhookDelivery(f.ctx, f.otherWS, d.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestWebhookDeliveryDuplicateEventRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		e, _ := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_000)

		again := store.WebhookDelivery{WorkspaceID: f.ws, SubscriptionID: f.sub.ID, EventID: e.ID, EventType: e.Type}
		err := s.InsertWebhookDelivery(f.ctx, &again)

		require.Error(t, err, "one delivery per event and subscription")
	})
}

func TestWebhookAttemptsInOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		_, first := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_000)
		_, second := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_001)
		ok, failed := 200, 503
		for _, a := range []store.WebhookAttempt{
			{DeliveryID: first.ID, Attempt: 2, StatusCode: &ok, LatencyMS: 30},
			{DeliveryID: first.ID, Attempt: 1, StatusCode: &failed, LatencyMS: 20, Error: "HTTP 503"},
			{DeliveryID: second.ID, Attempt: 1, LatencyMS: 5000, Error: "timed out"},
		} {
			a.WorkspaceID, a.AttemptedAt = f.ws, store.Millis(time.UnixMilli(1_700_000_000_000))
			require.NoError(t, s.InsertWebhookAttempt(f.ctx, &a))
		}

		got, err := s.ListWebhookAttempts(f.ctx, f.ws, []string{first.ID, second.ID})
		require.NoError(t, err)
		other, err := s.ListWebhookAttempts(f.ctx, f.otherWS, []string{first.ID, second.ID})
		require.NoError(t, err)

		require.Len(t, got[first.ID], 2)
		require.Equal(t, 1, got[first.ID][0].Attempt)
		require.Equal(t, 503, *got[first.ID][0].StatusCode)
		require.Equal(t, "HTTP 503", got[first.ID][0].Error)
		require.Equal(t, 2, got[first.ID][1].Attempt)
		require.Len(t, got[second.ID], 1)
		require.Nil(t, got[second.ID][0].StatusCode)
		require.Equal(t, int64(5000), got[second.ID][0].LatencyMS)
		require.Empty(t, other)
	})
}

func TestListWebhookDeliveriesPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		var ids []string
		for i := range 5 {
			_, d := f.event(t, f.ws, f.sub.ID, "call.ended", int64(1_700_000_000_000+i))
			ids = append(ids, d.ID)
		}
		since := store.Millis(time.UnixMilli(1_700_000_000_000))

		newest, more, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, Desc: true, Limit: 3,
		})
		require.NoError(t, err)
		require.True(t, more)
		last := newest[len(newest)-1]
		rest, more, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, Desc: true, Limit: 3,
			After: &store.Keyset{At: last.CreatedAt, ID: last.ID},
		})
		require.NoError(t, err)
		require.False(t, more)

		got := append(deliveryIDs(newest), deliveryIDs(rest)...)
		require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, got, "newest first, each once")

		oldest, _, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, Since: &since, Limit: 10,
		})
		require.NoError(t, err)
		require.Len(t, oldest, 5, "every delivery is created at or after since")
		require.Equal(t, ids[0], oldest[0].ID)
		later := store.Millis(time.UnixMilli(1_700_000_000_003))
		recent, _, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, Since: &later, Limit: 10,
		})
		require.NoError(t, err)
		require.Equal(t, []string{ids[3], ids[4]}, deliveryIDs(recent))
	})
}

func deliveryIDs(deliveries []store.WebhookDelivery) []string {
	ids := make([]string, len(deliveries))
	for i, d := range deliveries {
		ids[i] = d.ID
	}
	return ids
}

func TestListWebhookEventsFiltersByType(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		ended, _ := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_000)
		disabled, _ := f.event(t, f.ws, f.sub.ID, "webhook.disabled", 1_700_000_000_001)
		f.event(t, f.otherWS, mustSubscription(t, f, f.otherWS).ID, "webhook.disabled", 1_700_000_000_002)

		all, more, err := s.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Limit: 10})
		require.NoError(t, err)
		require.False(t, more)
		only, _, err := s.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Type: "webhook.disabled", Limit: 10})
		require.NoError(t, err)

		require.Equal(t, []string{disabled.ID, ended.ID}, eventIDs(all), "newest first, this workspace only")
		require.Equal(t, []string{disabled.ID}, eventIDs(only))
		require.Equal(t, `{"type":"webhook.disabled"}`, only[0].Payload)
	})
}

func mustSubscription(t *testing.T, f webhookFixture, workspaceID string) store.WebhookSubscription {
	t.Helper()
	sub := store.WebhookSubscription{WorkspaceID: workspaceID, URL: "https://other.example.com", Secret: "x", Enabled: true}
	require.NoError(t, f.s.CreateWebhookSubscription(f.ctx, &sub))
	return sub
}

func eventIDs(events []store.WebhookEvent) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func TestWebhookEventRolledBackWithTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		e := store.WebhookEvent{ID: store.NewID(store.PrefixWebhookEvent), WorkspaceID: f.ws, Type: "call.ended",
			Payload: `{}`, CreatedAt: store.Millis(time.Now())}
		failure := errors.New("the change failed")

		err := s.InTx(f.ctx, func(q *store.Queries) error {
			if err := q.InsertWebhookEvent(f.ctx, &e); err != nil {
				return err
			}
			return failure
		})

		require.ErrorIs(t, err, failure)
		_, err = s.GetWebhookEvent(f.ctx, f.ws, e.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestListWebhookDeliveriesByState(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		_, pending := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_000)
		_, failed := f.event(t, f.ws, f.sub.ID, "call.ended", 1_700_000_000_001)
		failed.State = store.DeliveryFailed
		require.NoError(t, s.UpdateWebhookDelivery(f.ctx, &failed))

		gotFailed, _, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, State: store.DeliveryFailed, Limit: 10,
		})
		require.NoError(t, err)
		gotPending, _, err := s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryQuery{
			WorkspaceID: f.ws, SubscriptionID: f.sub.ID, State: store.DeliveryPending, Limit: 10,
		})
		require.NoError(t, err)

		require.Equal(t, []string{failed.ID}, deliveryIDs(gotFailed))
		require.Equal(t, []string{pending.ID}, deliveryIDs(gotPending))
	})
}

func TestListWebhookEventsCreatedSince(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupWebhooks(t, s)
		var ids []string
		for i := range 4 {
			e, _ := f.event(t, f.ws, f.sub.ID, "call.ended", int64(1_700_000_000_000+i))
			ids = append(ids, e.ID)
		}
		since := store.Millis(time.UnixMilli(1_700_000_000_002))

		events, more, err := s.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, CreatedSince: &since, Limit: 10})

		require.NoError(t, err)
		require.False(t, more)
		got := make([]string, len(events))
		for i, e := range events {
			got[i] = e.ID
		}
		require.Equal(t, []string{ids[3], ids[2]}, got, "newest first, from since on")
	})
}
