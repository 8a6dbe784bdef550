package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func TestCreateSubscription(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{noQueue: true})

		sub, secret, err := f.service.Create(f.ctx, f.ws, Input{
			URL: " https://hooks.example.com/switchboard ", Description: "Zapier",
			EventTypes: []string{"call.ended", "contact.*"},
		})

		require.NoError(t, err)
		require.Equal(t, "https://hooks.example.com/switchboard", sub.URL)
		require.Equal(t, []string{"call.ended", "contact.*"}, sub.EventTypes.V)
		require.True(t, sub.Enabled)
		require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, secret, "32 random bytes in base64")
		require.NotContains(t, sub.Secret, strings.TrimPrefix(secret, "whsec_"), "the store keeps ciphertext")
		stored, err := f.service.Get(f.ctx, f.ws, sub.ID)
		require.NoError(t, err)
		secrets, err := f.service.signingSecrets(stored, time.Now())
		require.NoError(t, err)
		require.Equal(t, []string{secret}, secrets)
	})
}

func TestCreateSubscriptionDisabled(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	off := false

	sub, _, err := f.service.Create(f.ctx, f.ws, Input{URL: "https://hooks.example.com/", EventTypes: []string{"*"}, Enabled: &off})

	require.NoError(t, err)
	require.False(t, sub.Enabled)
	require.NotNil(t, sub.DisabledAt)
	require.Empty(t, sub.DisabledReason, "a client disabled it, not the gateway")
}

func TestCreateSubscriptionValidation(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	tests := []struct {
		name   string
		in     Input
		fields []validation.FieldError
	}{
		{
			name: "missing everything",
			in:   Input{},
			fields: []validation.FieldError{
				{Field: "url", Reason: "is missing: give the URL that receives the events"},
				{Field: "event_types", Reason: "is empty: name at least one event type, such as call.ended, or a family such as contact.*"},
			},
		},
		{
			name: "private address",
			in:   Input{URL: "http://192.168.1.20/hook", EventTypes: []string{"call.ended"}},
			fields: []validation.FieldError{{Field: "url", Reason: "192.168.1.20 is a private address, which webhooks may not reach; " +
				"an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"}},
		},
		{
			name: "unknown and repeated types",
			in:   Input{URL: "https://hooks.example.com/", EventTypes: []string{"call.ended", "call.exploded", "call.ended", "sms.*"}},
			fields: []validation.FieldError{
				{Field: "event_types[1]", Reason: `"call.exploded" is not an event type; use one of ` + typeList() + `, a family such as contact.*, or * for all`},
				{Field: "event_types[2]", Reason: `repeats "call.ended"`},
				{Field: "event_types[3]", Reason: `"sms.*" is not an event type; use one of ` + typeList() + `, a family such as contact.*, or * for all`},
			},
		},
		{
			name:   "description with a line break",
			in:     Input{URL: "https://hooks.example.com/", EventTypes: []string{"*"}, Description: "two\nlines"},
			fields: []validation.FieldError{{Field: "description", Reason: "must not contain control characters such as line breaks"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.service.Create(f.ctx, f.ws, tt.in)

			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.Equal(t, tt.fields, verr.Fields)
		})
	}
	subs, err := f.service.List(f.ctx, f.ws)
	require.NoError(t, err)
	require.Empty(t, subs, "nothing invalid was stored")
}

func TestUpdateSubscription(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, options{noQueue: true})
		sub, _ := f.subscribe(t, "https://hooks.example.com/a", "call.*")
		url, types := "https://dual.example.com/b", []string{"contact.created"}

		updated, err := f.service.Update(f.ctx, f.ws, sub.ID, Patch{URL: &url, EventTypes: &types})

		require.NoError(t, err)
		require.Equal(t, url, updated.URL)
		require.Equal(t, types, updated.EventTypes.V)
		got, err := f.service.Get(f.ctx, f.ws, sub.ID)
		require.NoError(t, err)
		require.Equal(t, url, got.URL)
		require.Equal(t, sub.Secret, got.Secret, "an update keeps the secret")
	})
}

func TestUpdateSubscriptionRejectsPrivateURL(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	sub, _ := f.subscribe(t, "https://hooks.example.com/a", "call.*")
	url := "http://metadata.example.com/"

	_, err := f.service.Update(f.ctx, f.ws, sub.ID, Patch{URL: &url})

	var verr *validation.Error
	require.ErrorAs(t, err, &verr)
	require.Equal(t, "url", verr.Fields[0].Field)
	require.Contains(t, verr.Fields[0].Reason, "169.254.169.254, a cloud metadata address")
	got, err := f.service.Get(f.ctx, f.ws, sub.ID)
	require.NoError(t, err)
	require.Equal(t, "https://hooks.example.com/a", got.URL)
}

func TestEnableClearsFailureRecord(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	sub, _ := f.subscribe(t, "https://hooks.example.com/a", "call.*")
	at := store.Millis(time.Now())
	sub.Enabled, sub.DisabledAt, sub.DisabledReason = false, &at, "every delivery attempt failed"
	sub.FailingSince, sub.ConsecutiveFailures = &at, 9
	require.NoError(t, f.store.UpdateWebhookSubscription(f.ctx, &sub))
	on := true

	enabled, err := f.service.Update(f.ctx, f.ws, sub.ID, Patch{Enabled: &on})

	require.NoError(t, err)
	require.True(t, enabled.Enabled)
	require.Nil(t, enabled.DisabledAt)
	require.Empty(t, enabled.DisabledReason)
	require.Nil(t, enabled.FailingSince)
	require.Zero(t, enabled.ConsecutiveFailures)
}

func TestSubscriptionsOfOtherWorkspaceNotFound(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	sub, _ := f.subscribe(t, "https://hooks.example.com/a", "call.*")
	other := store.Workspace{Name: "Other"}
	require.NoError(t, f.store.CreateWorkspace(f.ctx, &other))
	off := false

	_, getErr := f.service.Get(f.ctx, other.ID, sub.ID)
	_, updateErr := f.service.Update(f.ctx, other.ID, sub.ID, Patch{Enabled: &off})
	_, _, rotateErr := f.service.RotateSecret(f.ctx, other.ID, sub.ID, time.Hour)
	deleteErr := f.service.Delete(f.ctx, other.ID, sub.ID)
	_, _, deliveriesErr := f.service.Deliveries(f.ctx, other.ID, sub.ID, "", nil, 10)
	list, err := f.service.List(f.ctx, other.ID)

	require.ErrorIs(t, getErr, store.ErrNotFound)
	require.ErrorIs(t, updateErr, store.ErrNotFound)
	require.ErrorIs(t, rotateErr, store.ErrNotFound)
	require.ErrorIs(t, deleteErr, store.ErrNotFound)
	require.ErrorIs(t, deliveriesErr, store.ErrNotFound)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestRotateSecretOverlap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clock := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		f := setup(t, st, options{noQueue: true, now: func() time.Time { return clock }})
		sub, oldSecret := f.subscribe(t, "https://hooks.example.com/a", "call.*")
		event := store.WebhookEvent{ID: "evt_0123", Payload: `{"id":"evt_0123","type":"call.ended"}`}

		rotated, newSecret, err := f.service.RotateSecret(f.ctx, f.ws, sub.ID, time.Hour)
		require.NoError(t, err)
		require.NotEqual(t, oldSecret, newSecret)
		require.Equal(t, clock.Add(time.Hour).UnixMilli(), rotated.PreviousSecretExpiresAt.UnixMilli())

		during := signedAt(t, f, rotated, event, clock.Add(59*time.Minute))
		require.Len(t, strings.Fields(during.Signature), 2, "one signature per secret during the overlap")
		require.True(t, verifySignature(newSecret, during), "the new secret verifies during the overlap")
		require.True(t, verifySignature(oldSecret, during), "the old secret verifies during the overlap")

		after := signedAt(t, f, rotated, event, clock.Add(time.Hour))
		require.Len(t, strings.Fields(after.Signature), 1)
		require.True(t, verifySignature(newSecret, after), "the new secret verifies after the overlap")
		require.False(t, verifySignature(oldSecret, after), "the old secret no longer verifies")
	})
}

func TestRotateSecretWithoutOverlap(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	sub, oldSecret := f.subscribe(t, "https://hooks.example.com/a", "call.*")
	event := store.WebhookEvent{ID: "evt_1", Payload: `{}`}

	rotated, newSecret, err := f.service.RotateSecret(f.ctx, f.ws, sub.ID, 0)

	require.NoError(t, err)
	require.Nil(t, rotated.PreviousSecretExpiresAt)
	now := signedAt(t, f, rotated, event, time.Now())
	require.True(t, verifySignature(newSecret, now))
	require.False(t, verifySignature(oldSecret, now))
}

func TestRotateSecretRejectsLongOverlap(t *testing.T) {
	f := setup(t, testdb.Open(t, store.SQLite), options{noQueue: true})
	sub, _ := f.subscribe(t, "https://hooks.example.com/a", "call.*")

	_, _, err := f.service.RotateSecret(f.ctx, f.ws, sub.ID, MaxSecretOverlap+time.Second)

	var verr *validation.Error
	require.ErrorAs(t, err, &verr)
	require.Equal(t, "overlap_seconds", verr.Fields[0].Field)
}

// signedAt builds the delivery request of event to sub at the time at and
// returns what a receiver would read from it.
func signedAt(t *testing.T, f fixture, sub store.WebhookSubscription, event store.WebhookEvent, at time.Time) received {
	t.Helper()
	req, err := f.service.newRequest(f.ctx, sub, event, at)
	require.NoError(t, err)
	require.Equal(t, event.ID, req.Header.Get("webhook-id"))
	return received{
		ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
		Signature: req.Header.Get("webhook-signature"), Body: []byte(event.Payload),
	}
}
