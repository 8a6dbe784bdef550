package inbound_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// TestRoutingWebhookStoredAfterStall holds the calls table locked while a
// routing webhook arrives. The caller still gets the rule's route in time,
// and the call is stored with that decision once the lock goes.
func TestRoutingWebhookStoredAfterStall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, vipRule, knownRule)
		conn.DeadlineMillis = 300
		require.NoError(t, st.UpdateTelephonyConnection(h.ctx, &conn))
		h.contact(t, "Ann", "+14155550123", `{"tier":"vip"}`)

		release := lockCalls(t, st)
		answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
		require.NoError(t, err)
		require.Equal(t, twimlVIPQueue, string(answer.Body))
		require.Equal(t, 1.0, counterValue(t, h.registry, "switchboard_call_record_failures_total", "provider", "twilio"))
		release()

		require.Eventually(t, func() bool { return len(h.calls(t)) == 1 }, 10*time.Second, 50*time.Millisecond)
		call, events := h.onlyCall(t)
		require.Equal(t, "CA1", call.ProviderCallID)
		require.Len(t, events, 1)
		require.NotNil(t, call.Routing, "the stored call keeps the routing decision")
		require.Contains(t, string(call.Routing), "vip callers")
	})
}

// lockCalls blocks writes to the calls table from another connection
// until the returned function is called: an exclusive table lock on
// PostgreSQL, the database's write lock on SQLite.
func lockCalls(t *testing.T, st *store.Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := st.DB().Conn(ctx)
	require.NoError(t, err)

	lock := "BEGIN IMMEDIATE"
	if st.Dialect() == store.Postgres {
		lock = "BEGIN; LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"
	}
	_, err = conn.ExecContext(ctx, lock)
	require.NoError(t, err)

	var once bool
	release = func() {
		if once {
			return
		}
		once = true
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	}
	t.Cleanup(release)
	return release
}
