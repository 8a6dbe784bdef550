package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// recordingQueue records the jobs Emit enqueues without running them.
type recordingQueue struct {
	mu   sync.Mutex
	jobs []recordedJob
}

type recordedJob struct {
	args DeliverArgs
	opts river.InsertOpts
}

func (q *recordingQueue) InsertTx(_ context.Context, _ *store.Queries, args river.JobArgs, opts *river.InsertOpts) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, recordedJob{args: args.(DeliverArgs), opts: *opts})
	return nil
}

func (q *recordingQueue) InsertManyTx(_ context.Context, _ *store.Queries, params []river.InsertManyParams) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range params {
		q.jobs = append(q.jobs, recordedJob{args: p.Args.(DeliverArgs), opts: *p.InsertOpts})
	}
	return nil
}

// repeat returns n copies of status, a subscriber script.
func repeat(status, n int) []int {
	script := make([]int, n)
	for i := range script {
		script[i] = status
	}
	return script
}

func TestEmitRecordsForMatchingSubscriptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clock := time.Date(2026, 3, 10, 12, 0, 0, 250_000_000, time.UTC)
		f := setup(t, st, options{noQueue: true, now: func() time.Time { return clock }})
		queue := &recordingQueue{}
		f.service.SetQueue(queue)
		contacts, _ := f.subscribe(t, "https://hooks.example.com/contacts", "contact.*")
		f.subscribe(t, "https://hooks.example.com/calls", "call.ended")
		off := false
		_, _, err := f.service.Create(f.ctx, f.ws, Input{URL: "https://hooks.example.com/off", EventTypes: []string{"*"}, Enabled: &off})
		require.NoError(t, err)
		other := store.Workspace{Name: "Other"}
		require.NoError(t, st.CreateWorkspace(f.ctx, &other))
		_, _, err = f.service.Create(f.ctx, other.ID, Input{URL: "https://hooks.example.com/other", EventTypes: []string{"*"}})
		require.NoError(t, err)

		f.emit(t, f.ws, ContactCreated, map[string]any{"id": "ct_1", "first_name": "Ann"})

		events, _, err := st.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Limit: 10})
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.JSONEq(t, `{"id":"`+events[0].ID+`","type":"contact.created","created_at":"2026-03-10T12:00:00.250Z",
			"data":{"id":"ct_1","first_name":"Ann"}}`, events[0].Payload)
		deliveries := f.deliveries(t, contacts)
		require.Len(t, deliveries, 1)
		require.Equal(t, events[0].ID, deliveries[0].EventID)
		require.Equal(t, []recordedJob{{
			args: DeliverArgs{WorkspaceID: f.ws, DeliveryID: deliveries[0].ID, Round: 1},
			opts: river.InsertOpts{MaxAttempts: len(fastRetries) + 1},
		}}, queue.jobs, "one job, for the one enabled subscription of the workspace that receives contact.created")
	})
}

func TestEmitBatchDeliversEveryEvent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{})
		first, second := newSubscriber(t), newSubscriber(t)
		subFirst, secret := f.subscribe(t, first.URL+"/in", "contact.*")
		subSecond, _ := f.subscribe(t, second.URL+"/in", "contact.created")
		f.subscribe(t, first.URL+"/calls", "call.*")
		objects := []any{map[string]any{"id": "ct_1"}, map[string]any{"id": "ct_2"}, map[string]any{"id": "ct_3"}}

		require.NoError(t, f.store.InTx(f.ctx, func(q *store.Queries) error {
			return f.service.EmitBatch(f.ctx, q, f.ws, ContactCreated, func() ([]any, error) { return objects, nil })
		}))

		for _, sub := range []store.WebhookSubscription{subFirst, subSecond} {
			deliveries := f.waitSettled(t, sub, 3)
			for _, d := range deliveries {
				require.Equal(t, store.DeliverySucceeded, d.State)
			}
		}
		requests := first.received()
		require.Len(t, requests, 3)
		var ids []string
		for _, r := range requests {
			require.True(t, verifySignature(secret, r))
			ids = append(ids, eventOf(t, r.Body)["data"].(map[string]any)["id"].(string))
		}
		require.ElementsMatch(t, []string{"ct_1", "ct_2", "ct_3"}, ids)
		require.Len(t, second.received(), 3)
		events, _, err := st.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Limit: 10})
		require.NoError(t, err)
		require.Len(t, events, 3, "one event per object, shared by both subscriptions")
	})
}

func TestEmitWithoutSubscriberRecordsNothing(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	f.subscribe(t, "https://hooks.example.com/calls", "call.*")
	loaded := false

	f.emit(t, f.ws, PhonebookCreated, Load(func() (any, error) {
		loaded = true
		return map[string]any{}, nil
	}))

	events, _, err := f.store.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, events)
	require.False(t, loaded, "the object is not read when no subscription receives the event")
}

func TestEmitRolledBackWithChange(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	f.service.SetQueue(&recordingQueue{})
	sub, _ := f.subscribe(t, "https://hooks.example.com/contacts", "contact.*")
	failure := errors.New("the change failed")

	err := f.store.InTx(f.ctx, func(q *store.Queries) error {
		if err := f.service.Emit(f.ctx, q, f.ws, ContactDeleted, map[string]any{"id": "ct_1"}); err != nil {
			return err
		}
		return failure
	})

	require.ErrorIs(t, err, failure)
	require.Empty(t, f.deliveries(t, sub))
	events, _, err := f.store.ListWebhookEvents(f.ctx, store.WebhookEventQuery{WorkspaceID: f.ws, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, events)
}

func TestEmitWithoutQueueFails(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	f.subscribe(t, "https://hooks.example.com/contacts", "contact.*")

	err := f.store.InTx(f.ctx, func(q *store.Queries) error {
		return f.service.Emit(f.ctx, q, f.ws, ContactCreated, map[string]any{})
	})

	require.ErrorIs(t, err, ErrNoQueue)
}

func TestDeliverySignedAndLogged(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{})
		endpoint := newSubscriber(t)
		sub, secret := f.subscribe(t, endpoint.URL+"/in", "call.ringing")

		f.emit(t, f.ws, CallRinging, map[string]any{"id": "call_1", "status": "ringing"})

		deliveries := f.waitSettled(t, sub, 1)
		require.Equal(t, store.DeliverySucceeded, deliveries[0].State)
		requests := endpoint.received()
		require.Len(t, requests, 1)
		event, err := st.GetWebhookEvent(f.ctx, f.ws, deliveries[0].EventID)
		require.NoError(t, err)
		require.Equal(t, event.ID, requests[0].ID)
		require.Equal(t, event.Payload, string(requests[0].Body))
		require.True(t, verifySignature(secret, requests[0]))
		body := eventOf(t, requests[0].Body)
		require.Equal(t, "call.ringing", body["type"])
		require.Equal(t, map[string]any{"id": "call_1", "status": "ringing"}, body["data"])

		page, _, err := f.service.Deliveries(f.ctx, f.ws, sub.ID, "", nil, 10)
		require.NoError(t, err)
		require.Len(t, page[0].AttemptLog, 1)
		require.Equal(t, 200, *page[0].AttemptLog[0].StatusCode)
		require.Empty(t, page[0].AttemptLog[0].Error)
		require.Equal(t, 1, page[0].Attempts)
	})
}

func TestDeliveryRetriedUntilEndpointRecovers(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{})
		endpoint := newSubscriber(t, repeat(http.StatusInternalServerError, 4)...)
		sub, secret := f.subscribe(t, endpoint.URL, "contact.*")

		for _, name := range []string{"Ann", "Bob", "Cy"} {
			f.emit(t, f.ws, ContactUpdated, map[string]any{"first_name": name})
		}

		deliveries := f.waitSettled(t, sub, 3)
		eventIDs := map[string]string{}
		for _, d := range deliveries {
			require.Equal(t, store.DeliverySucceeded, d.State, "delivery %s", d.ID)
			event, err := st.GetWebhookEvent(f.ctx, f.ws, d.EventID)
			require.NoError(t, err)
			eventIDs[event.ID] = event.Payload
		}
		succeeded := map[string]bool{}
		for _, r := range endpoint.received() {
			require.Contains(t, eventIDs, r.ID, "webhook-id is the id of a recorded event")
			require.Equal(t, eventIDs[r.ID], string(r.Body), "every attempt sends the same body")
			require.True(t, verifySignature(secret, r))
			if r.Status == http.StatusOK {
				succeeded[r.ID] = true
			}
		}
		require.Len(t, succeeded, 3, "every event arrives once the endpoint recovers")
		require.Len(t, endpoint.received(), 7, "4 failures, then one success per event")
	})
}

func TestDeliveryFailsAfterLastAttempt(t *testing.T) {
	t.Parallel()
	f := setup(t, testdb.Open(t, store.SQLite), options{})
	endpoint := newSubscriber(t, repeat(http.StatusServiceUnavailable, 100)...)
	sub, _ := f.subscribe(t, endpoint.URL, "call.ended")

	f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

	deliveries := f.waitSettled(t, sub, 1)
	require.Equal(t, store.DeliveryFailed, deliveries[0].State)
	require.Equal(t, len(fastRetries)+1, deliveries[0].Attempts)
	require.Equal(t, 503, *deliveries[0].LastStatusCode)
	require.Equal(t, "HTTP 503", deliveries[0].LastError)
	require.Nil(t, deliveries[0].NextAttemptAt)
	require.Len(t, endpoint.received(), len(fastRetries)+1)
	got, err := f.service.Get(f.ctx, f.ws, sub.ID)
	require.NoError(t, err)
	require.True(t, got.Enabled, "a day has not passed")
	require.Equal(t, len(fastRetries)+1, got.ConsecutiveFailures)
	require.NotNil(t, got.FailingSince)
}

func TestGoneDisablesSubscription(t *testing.T) {
	t.Parallel()
	f := setup(t, testdb.Open(t, store.SQLite), options{})
	endpoint := newSubscriber(t, http.StatusGone)
	sub, _ := f.subscribe(t, endpoint.URL, "call.ended")

	f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

	deliveries := f.waitSettled(t, sub, 1)
	require.Equal(t, store.DeliveryFailed, deliveries[0].State)
	require.Equal(t, 1, deliveries[0].Attempts, "no retry after 410 Gone")
	got, err := f.service.Get(f.ctx, f.ws, sub.ID)
	require.NoError(t, err)
	require.False(t, got.Enabled)
	require.Equal(t, "the endpoint responded 410 Gone, which asks senders to stop delivering", got.DisabledReason)
}

func TestRetryAfterLongerThanSchedule(t *testing.T) {
	t.Parallel()
	f := setup(t, testdb.Open(t, store.SQLite), options{})
	endpoint := newSubscriber(t, http.StatusTooManyRequests)
	sub, _ := f.subscribe(t, endpoint.URL, "call.ended")

	f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

	deliveries := f.waitSettled(t, sub, 1)
	require.Equal(t, store.DeliverySucceeded, deliveries[0].State)
	require.Equal(t, 2, deliveries[0].Attempts)
	jobs, err := f.queue.Client().JobList(f.ctx, river.NewJobListParams().Kinds(DeliverArgs{}.Kind()))
	require.NoError(t, err)
	require.Len(t, jobs.Jobs, 1)
	require.JSONEq(t, `1`, snoozeCount(t, jobs.Jobs[0].Metadata), "Retry-After: 1 beats the 10 ms schedule, so the job was snoozed")
	require.Equal(t, 1, jobs.Jobs[0].Attempt, "a snooze uses no attempt")
}

// snoozeCount returns the snooze count River keeps in a job's metadata.
func snoozeCount(t *testing.T, metadata []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(metadata, &m))
	return string(m["snoozes"])
}

func TestRetryDelayJitter(t *testing.T) {
	s := &Service{retry: []time.Duration{time.Minute, time.Hour}}

	for _, id := range []string{"whd_a", "whd_b", "whd_c"} {
		first := s.retryDelay(id, 1)
		require.GreaterOrEqual(t, first, time.Minute)
		require.Less(t, first, time.Minute+6*time.Second)
		require.Equal(t, first, s.retryDelay(id, 1), "the same delivery and attempt give the same delay")
		later := s.retryDelay(id, 5)
		require.GreaterOrEqual(t, later, time.Hour, "attempts past the schedule repeat its last step")
		require.Less(t, later, time.Hour+6*time.Minute)
	}
	require.Equal(t, 2*time.Hour, s.nextWait("whd_a", 1, attemptResult{retryAfter: 2 * time.Hour}))
}

func TestConnectionErrorLeavesOutURL(t *testing.T) {
	t.Parallel()
	f := setup(t, testdb.Open(t, store.SQLite), options{})
	closed := newSubscriber(t)
	closed.Close()
	sub, _ := f.subscribe(t, closed.URL+"/hooks/secret-token?key=secret-key", "call.ended")

	f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

	deliveries := f.waitSettled(t, sub, 1)
	require.Equal(t, store.DeliveryFailed, deliveries[0].State)
	require.Nil(t, deliveries[0].LastStatusCode)
	require.Contains(t, deliveries[0].LastError, "connection refused")
	require.NotContains(t, deliveries[0].LastError, "secret")
}

func TestRedirectCountsAsFailure(t *testing.T) {
	t.Parallel()
	f := setup(t, testdb.Open(t, store.SQLite), options{})
	endpoint := newSubscriber(t, http.StatusFound)
	sub, _ := f.subscribe(t, endpoint.URL+"/in", "call.ended")

	f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

	f.waitSettled(t, sub, 1)
	page, _, err := f.service.Deliveries(f.ctx, f.ws, sub.ID, "", nil, 10)
	require.NoError(t, err)
	require.Len(t, page[0].AttemptLog, 2)
	require.Equal(t, 302, *page[0].AttemptLog[0].StatusCode)
	require.Equal(t, "HTTP 302: redirects are not followed; subscribe the final URL", page[0].AttemptLog[0].Error)
	require.Equal(t, 200, *page[0].AttemptLog[1].StatusCode)
	for _, r := range endpoint.received() {
		require.Equal(t, "/in", r.Path, "the redirect is never followed")
	}
}

func TestFailingEndpointDisabled(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{disableAfter: time.Millisecond})
		failing := newSubscriber(t, repeat(http.StatusInternalServerError, 100)...)
		watcher := newSubscriber(t)
		sub, _ := f.subscribe(t, failing.URL, "call.*")
		watch, _ := f.subscribe(t, watcher.URL, "webhook.disabled")

		f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_1"})

		deliveries := f.waitSettled(t, sub, 1)
		require.Equal(t, store.DeliveryFailed, deliveries[0].State)
		require.Equal(t, 2, deliveries[0].Attempts, "the second failure comes after DisableAfter")
		disabled, err := f.service.Get(f.ctx, f.ws, sub.ID)
		require.NoError(t, err)
		require.False(t, disabled.Enabled)
		require.NotNil(t, disabled.DisabledAt)
		require.Contains(t, disabled.DisabledReason, "every delivery attempt failed for")
		require.Contains(t, disabled.DisabledReason, "(2 attempts since")
		require.Contains(t, disabled.DisabledReason, "the last one: HTTP 500")

		events, _, err := f.service.Events(f.ctx, f.ws, EventFilter{Type: WebhookDisabled}, nil, 10)
		require.NoError(t, err)
		require.Len(t, events, 1, "the disabling is recorded")
		f.waitSettled(t, watch, 1)
		notices := watcher.received()
		require.Len(t, notices, 1)
		require.Equal(t, events[0].ID, notices[0].ID)
		notice := eventOf(t, notices[0].Body)
		require.Equal(t, "webhook.disabled", notice["type"])
		require.Equal(t, sub.ID, notice["data"].(map[string]any)["ID"])

		f.emit(t, f.ws, CallEnded, map[string]any{"id": "call_2"})
		require.Len(t, f.deliveries(t, sub), 1, "a disabled subscription gets no new deliveries")
	})
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{})
		endpoint := newSubscriber(t)
		sub, _ := f.subscribe(t, endpoint.URL, "contact.*")
		f.emit(t, f.ws, ContactCreated, map[string]any{"id": "ct_1"})
		first := f.waitSettled(t, sub, 1)[0]

		byEvent, err := f.service.Redeliver(f.ctx, f.ws, sub.ID, first.EventID)
		require.NoError(t, err)
		require.Equal(t, 2, byEvent.Round)
		require.Eventually(t, func() bool { return len(endpoint.received()) == 2 }, waitLimit, 20*time.Millisecond)
		byID, err := f.service.Redeliver(f.ctx, f.ws, sub.ID, first.ID)
		require.NoError(t, err)
		require.Equal(t, 3, byID.Round)
		require.Eventually(t, func() bool { return len(endpoint.received()) == 3 }, waitLimit, 20*time.Millisecond)

		requests := endpoint.received()
		require.Equal(t, requests[0].ID, requests[1].ID, "a redelivery has the same webhook-id")
		require.Equal(t, requests[0].ID, requests[2].ID)
		require.Equal(t, requests[0].Body, requests[2].Body)
		settled := f.waitSettled(t, sub, 1)[0]
		require.Equal(t, store.DeliverySucceeded, settled.State)
		require.Equal(t, 3, settled.Attempts)
	})
}

func TestRedeliverErrors(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	f.service.SetQueue(&recordingQueue{})
	sub, _ := f.subscribe(t, "https://hooks.example.com/a", "contact.*")
	second, _ := f.subscribe(t, "https://hooks.example.com/b", "contact.*")
	f.emit(t, f.ws, ContactCreated, map[string]any{"id": "ct_1"})
	ofSecond := f.deliveries(t, second)[0]
	off := false

	_, unknown := f.service.Redeliver(f.ctx, f.ws, sub.ID, "whd_missing")
	_, otherSubscription := f.service.Redeliver(f.ctx, f.ws, sub.ID, ofSecond.ID)
	_, err := f.service.Update(f.ctx, f.ws, sub.ID, Patch{Enabled: &off})
	require.NoError(t, err)
	_, disabled := f.service.Redeliver(f.ctx, f.ws, sub.ID, ofSecond.EventID)
	_, _, disabledSince := f.service.RedeliverSince(f.ctx, f.ws, sub.ID, time.Time{})

	require.ErrorIs(t, unknown, store.ErrNotFound)
	require.ErrorIs(t, otherSubscription, store.ErrNotFound, "a delivery of another subscription is not found")
	require.ErrorIs(t, disabled, store.ErrConflict)
	require.ErrorIs(t, disabledSince, store.ErrConflict)
}

func TestRedeliverSince(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clock := newTestClock()
		f := setup(t, st, options{now: clock.now})
		endpoint := newSubscriber(t)
		sub, _ := f.subscribe(t, endpoint.URL, "phonebook.*")
		for _, name := range []string{"a", "b", "c"} {
			f.emit(t, f.ws, PhonebookUpdated, map[string]any{"name": name})
			clock.advance(time.Minute)
		}
		settled := f.waitSettled(t, sub, 3)

		queued, next, err := f.service.RedeliverSince(f.ctx, f.ws, sub.ID, settled[1].CreatedAt.Time)

		require.NoError(t, err)
		require.Nil(t, next)
		require.Equal(t, 2, queued, "the deliveries of events created at or after since")
		require.Eventually(t, func() bool { return len(endpoint.received()) == 5 }, waitLimit, 20*time.Millisecond)
		var again []string
		for _, r := range endpoint.received()[3:] {
			again = append(again, r.ID)
		}
		slices.Sort(again)
		want := []string{settled[1].EventID, settled[2].EventID}
		slices.Sort(want)
		require.Equal(t, want, again)
	})
}
