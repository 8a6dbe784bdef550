package inbound_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// recordingNotifier keeps every call change it receives, and whether the
// call was readable outside the webhook's transaction at that moment.
type recordingNotifier struct {
	store *store.Store

	mu      sync.Mutex
	changes []string
}

func (n *recordingNotifier) CallChanged(ctx context.Context, workspaceID, callID string) {
	call, err := n.store.GetCall(ctx, workspaceID, callID)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.changes = append(n.changes, "unreadable "+callID)
		return
	}
	n.changes = append(n.changes, call.ID+" "+call.Status)
}

func (n *recordingNotifier) seen() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.changes...)
}

func TestNotifierToldAfterCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		notifier := &recordingNotifier{store: st}
		svc, err := inbound.New(inbound.Config{
			Store: st, Connections: connections.New(st, h.keyring), Log: zaptest.NewLogger(t),
			Now: func() time.Time { return testNow }, Notifier: notifier,
		})
		require.NoError(t, err)
		conn := h.connection(t, telephony.ProviderGeneric, genericCreds, knownRule)
		events := genericCall("call-1")

		for _, ev := range events {
			_, err := svc.HandleWebhook(h.ctx, genericHook(t, conn, ev))
			require.NoError(t, err)
		}
		_, err = svc.HandleWebhook(h.ctx, genericHook(t, conn, events[1]))
		require.NoError(t, err)

		call, _ := h.onlyCall(t)
		require.Equal(t, []string{call.ID + " ringing", call.ID + " answered", call.ID + " completed"}, notifier.seen(),
			"one change per new event, none for the retried delivery")
	})
}

func TestNotifierNotToldOfRejectedWebhook(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	h := setup(t, st)
	notifier := &recordingNotifier{store: st}
	svc, err := inbound.New(inbound.Config{
		Store: st, Connections: connections.New(st, h.keyring), Log: zaptest.NewLogger(t),
		Now: func() time.Time { return testNow }, Notifier: notifier,
	})
	require.NoError(t, err)
	conn := h.connection(t, telephony.ProviderTwilio, telephony.Credentials{AccountID: twilioSID, AuthToken: "another-token-0123456789abcdef00"})

	_, err = svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.ErrorIs(t, err, telephony.ErrBadSignature)
	require.Empty(t, notifier.seen())
}
