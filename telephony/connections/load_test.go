package connections_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// vipInput is a Twilio connection whose one rule sends 415-555-0123 to the
// vip queue.
func vipInput() connections.Input {
	in := twilioInput()
	in.RoutingRules = []routing.Rule{{Name: "vip", When: `call.from == "+14155550123"`, Route: telephony.Route{Kind: telephony.TargetQueue, Target: "vip"}}}
	in.DeadlineMillis = ptr(2500)
	return in
}

func evaluateFrom(t *testing.T, conn connections.Connection, from string) routing.Decision {
	t.Helper()
	decision, err := conn.Ruleset.Evaluate(routing.Env{
		Call: routing.CallEnv{From: from, Provider: string(conn.Provider), ConnectionID: conn.ID},
		Now:  routing.NewTimeEnv(time.Now(), conn.Location),
	})
	require.NoError(t, err)
	return decision
}

func TestLoadConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
		require.NoError(t, err)

		conn, err := f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, f.ws, conn.WorkspaceID)
		require.Equal(t, telephony.ProviderTwilio, conn.Provider)
		require.Equal(t, "twilio-auth-token", conn.Credentials.AuthToken)
		require.Equal(t, telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550100"}, conn.DefaultRoute)
		require.Equal(t, 2500*time.Millisecond, conn.Deadline())
		require.Equal(t, "US", conn.Region)
		require.Equal(t, "America/New_York", conn.Location.String())
		require.Nil(t, conn.LookupPhonebookIDs(), "no phonebooks listed searches all")
		require.NoError(t, conn.RulesError)
		require.False(t, conn.Stale)
		require.Equal(t, 1, conn.Ruleset.Len())
		require.Equal(t, "vip", evaluateFrom(t, conn, "+14155550123").Rule)
		require.Equal(t, -1, evaluateFrom(t, conn, "+14155550999").RuleIndex)

		adapter, err := connections.NewAdapter(conn, nil, "")
		require.NoError(t, err)
		require.Equal(t, telephony.ProviderTwilio, adapter.Provider())
	})
}

func TestLoadSeesUpdates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clock := connections.UseFakeClock(t)
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
		require.NoError(t, err)
		_, err = f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)

		// Another instance (a second service) changes the rules. Load
		// serves its cached copy until RevalidateAfter has passed, then
		// notices the change through updated_at.
		other := connections.New(st, mustKeyring(t))
		rules := []routing.Rule{{Name: "all", When: "true", Route: telephony.Route{Kind: telephony.TargetVoicemail}}}
		_, err = other.Update(f.ctx, f.ws, s.ID, connections.Patch{RoutingRules: &rules, PhonebookIDs: &[]string{f.phonebook}})
		require.NoError(t, err)

		cached, err := f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, "vip", evaluateFrom(t, cached, "+14155550123").Rule, "within RevalidateAfter")

		clock.Advance(connections.RevalidateAfter)
		conn, err := f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, "all", evaluateFrom(t, conn, "+14155550123").Rule)
		require.Equal(t, []string{f.phonebook}, conn.LookupPhonebookIDs())

		// A new workspace time zone reaches the loaded connection too.
		w, err := st.GetWorkspace(f.ctx, f.ws)
		require.NoError(t, err)
		w.TimeZone = "Europe/Berlin"
		require.NoError(t, st.UpdateWorkspace(f.ctx, &w))
		clock.Advance(connections.RevalidateAfter)
		conn, err = f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, "Europe/Berlin", conn.Location.String())
	})
}

func TestLoadReadsDatabaseOncePerInterval(t *testing.T) {
	for _, dialect := range testdb.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			clock := connections.UseFakeClock(t)
			st := testdb.Open(t, dialect)
			f := setup(t, st)
			s, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
			require.NoError(t, err)

			// An unchanged connection read again after RevalidateAfter
			// starts a new interval, in which Load reads nothing. With the
			// database closed it still returns a copy not marked Stale.
			clock.Advance(connections.RevalidateAfter)
			_, err = f.svc.Load(f.ctx, s.ID)
			require.NoError(t, err)
			clock.Advance(connections.RevalidateAfter - time.Millisecond)
			require.NoError(t, st.Close())

			conn, err := f.svc.Load(f.ctx, s.ID)
			require.NoError(t, err)
			require.False(t, conn.Stale)
			require.Equal(t, "vip", evaluateFrom(t, conn, "+14155550123").Rule)

			clock.Advance(time.Millisecond)
			conn, err = f.svc.Load(f.ctx, s.ID)
			require.NoError(t, err)
			require.True(t, conn.Stale, "the interval is over and the database is closed")
		})
	}
}

func TestLoadRulesThatNoLongerCompile(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clock := connections.UseFakeClock(t)
		f := setup(t, st)
		in := twilioInput()
		in.RoutingRules = []routing.Rule{{Name: "local", When: "true", Route: telephony.Route{Kind: telephony.TargetNumber, Target: "(415) 555-0142"}}}
		s, _, err := f.svc.Create(f.ctx, f.ws, in)
		require.NoError(t, err)

		// Without a default region the rule's national number is invalid.
		w, err := st.GetWorkspace(f.ctx, f.ws)
		require.NoError(t, err)
		w.DefaultRegion = ""
		require.NoError(t, st.UpdateWorkspace(f.ctx, &w))
		clock.Advance(connections.RevalidateAfter)

		conn, err := f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Error(t, conn.RulesError)
		require.Equal(t, 0, conn.Ruleset.Len(), "every call takes the default route")
		require.Equal(t, "+14155550100", conn.DefaultRoute.Target)
	})
}

func TestLoadServesLastCopyWhenDatabaseFails(t *testing.T) {
	for _, dialect := range testdb.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			clock := connections.UseFakeClock(t)
			st := testdb.Open(t, dialect)
			f := setup(t, st)
			s, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
			require.NoError(t, err)
			second, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
			require.NoError(t, err)
			_, err = f.svc.Load(f.ctx, s.ID)
			require.NoError(t, err)

			require.NoError(t, st.Close())
			clock.Advance(connections.RevalidateAfter)

			conn, err := f.svc.Load(f.ctx, s.ID)
			require.NoError(t, err)
			require.True(t, conn.Stale)
			require.Equal(t, "+14155550100", conn.DefaultRoute.Target)
			require.Equal(t, "twilio-auth-token", conn.Credentials.AuthToken)

			// A service that never loaded the connection, as after a restart
			// with the database already down, has no copy to serve.
			keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
			require.NoError(t, err)
			_, err = connections.New(st, keyring).Load(f.ctx, second.ID)
			require.Error(t, err, "a connection never loaded has no copy")

			created, err := f.svc.Load(f.ctx, second.ID)
			require.NoError(t, err, "a connection created through the service is cached at once")
			require.True(t, created.Stale)
		})
	}
}

func TestWarmLoadsConnectionsBeforeFirstCall(t *testing.T) {
	for _, dialect := range testdb.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			clock := connections.UseFakeClock(t)
			st := testdb.Open(t, dialect)
			f := setup(t, st)
			first, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
			require.NoError(t, err)
			second, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
			require.NoError(t, err)

			// A fresh service, as after a restart, knows no connection yet.
			keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
			require.NoError(t, err)
			restarted := connections.New(st, keyring)
			loaded, err := restarted.Warm(f.ctx)
			require.NoError(t, err)
			require.Equal(t, 2, loaded)

			require.NoError(t, st.Close())
			clock.Advance(connections.RevalidateAfter)
			for _, id := range []string{first.ID, second.ID} {
				conn, err := restarted.Load(f.ctx, id)
				require.NoError(t, err, "warmed connection %s survives the database failing", id)
				require.True(t, conn.Stale)
			}
		})
	}
}

func TestUpdateReachesSameInstanceAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		connections.UseFakeClock(t)
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, vipInput())
		require.NoError(t, err)
		_, err = f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)

		rules := []routing.Rule{{Name: "all", When: "true", Route: telephony.Route{Kind: telephony.TargetVoicemail}}}
		_, err = f.svc.Update(f.ctx, f.ws, s.ID, connections.Patch{RoutingRules: &rules})
		require.NoError(t, err)

		// The fake clock has not moved, so only the refresh on Update can
		// make the new rules visible.
		conn, err := f.svc.Load(f.ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, "all", evaluateFrom(t, conn, "+14155550123").Rule)
	})
}
