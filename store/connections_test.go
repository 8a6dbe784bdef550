package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// telephony is a workspace with one Twilio connection, and a second
// workspace to check isolation against.
type telephony struct {
	ctx     context.Context
	s       *store.Store
	ws      string
	otherWS string
	conn    store.TelephonyConnection
}

func setupTelephony(t testing.TB, s *store.Store) telephony {
	t.Helper()
	ctx := context.Background()
	tel := telephony{ctx: ctx, s: s}

	w := store.Workspace{Name: "Acme"}
	require.NoError(t, s.CreateWorkspace(ctx, &w))
	tel.ws = w.ID
	other := store.Workspace{Name: "Other"}
	require.NoError(t, s.CreateWorkspace(ctx, &other))
	tel.otherWS = other.ID

	tel.conn = store.TelephonyConnection{
		WorkspaceID: w.ID, Provider: "twilio", Name: "Main line", Credentials: "ciphertext", Enabled: true,
		DefaultRoute: json.RawMessage(`{"kind":"queue","target":"support"}`),
	}
	require.NoError(t, s.CreateTelephonyConnection(ctx, &tel.conn))
	return tel
}

func TestTelephonyConnectionCreateGet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := store.TelephonyConnection{
			WorkspaceID:    tel.ws,
			Provider:       "vonage",
			Name:           "Berlin office",
			Credentials:    "sealed-secrets",
			PhonebookIDs:   store.JSONColumn[[]string]{V: []string{"pb_1", "pb_2"}},
			RoutingRules:   json.RawMessage(`[ {"name": "vip", "when": "true", "route": {"kind": "queue", "target": "vip"}} ]`),
			DefaultRoute:   json.RawMessage(`{"kind": "voicemail"}`),
			Options:        json.RawMessage(`{"extension_as": "sip", "sip_domain": "pbx.example.com"}`),
			LookupOrder:    "phonebook",
			DeadlineMillis: 2500,
			Enabled:        false,
		}
		require.NoError(t, s.CreateTelephonyConnection(tel.ctx, &c))
		require.Regexp(t, `^tc_[0-9a-f]{32}$`, c.ID)

		got, err := s.GetTelephonyConnection(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "vonage", got.Provider)
		require.Equal(t, "Berlin office", got.Name)
		require.Equal(t, "sealed-secrets", got.Credentials)
		require.Equal(t, []string{"pb_1", "pb_2"}, got.PhonebookIDs.V)
		require.JSONEq(t, `[{"name":"vip","when":"true","route":{"kind":"queue","target":"vip"}}]`, string(got.RoutingRules))
		require.Equal(t, `{"kind":"voicemail"}`, string(got.DefaultRoute), "documents are stored compacted")
		require.JSONEq(t, `{"extension_as":"sip","sip_domain":"pbx.example.com"}`, string(got.Options))
		require.Equal(t, 2500, got.DeadlineMillis)
		require.False(t, got.Enabled)
		require.Equal(t, c.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())
		require.Equal(t, c.CreatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())

		byID, err := s.GetTelephonyConnectionByID(tel.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, tel.ws, byID.WorkspaceID)
	})
}

func TestTelephonyConnectionDefaults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := store.TelephonyConnection{WorkspaceID: tel.ws, Provider: "generic", Name: "PBX"}
		require.NoError(t, s.CreateTelephonyConnection(tel.ctx, &c))

		got, err := s.GetTelephonyConnection(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "phonebook", got.LookupOrder)
		require.Equal(t, 1500, got.DeadlineMillis)
		require.Equal(t, []string{}, got.PhonebookIDs.V)
		require.Equal(t, `[]`, string(got.RoutingRules))
		require.Equal(t, `{}`, string(got.DefaultRoute))
		require.Equal(t, `{}`, string(got.Options))
	})
}

func TestTelephonyConnectionInvalidJSONRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := store.TelephonyConnection{WorkspaceID: tel.ws, Provider: "twilio", Name: "Broken", Options: json.RawMessage(`{"a":`)}

		err := s.CreateTelephonyConnection(tel.ctx, &c)
		require.ErrorContains(t, err, "options is not valid JSON")
	})
}

func TestTelephonyConnectionOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)

		_, err := s.GetTelephonyConnection(tel.ctx, tel.otherWS, tel.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		stolen := tel.conn
		stolen.WorkspaceID = tel.otherWS
		stolen.Name = "Taken over"
		require.ErrorIs(t, s.UpdateTelephonyConnection(tel.ctx, &stolen), store.ErrNotFound)
		require.ErrorIs(t, s.DeleteTelephonyConnection(tel.ctx, tel.otherWS, tel.conn.ID), store.ErrNotFound)

		list, err := s.ListTelephonyConnections(tel.ctx, tel.otherWS)
		require.NoError(t, err)
		require.Empty(t, list)

		got, err := s.GetTelephonyConnection(tel.ctx, tel.ws, tel.conn.ID)
		require.NoError(t, err)
		require.Equal(t, "Main line", got.Name)
	})
}

func TestTelephonyConnectionUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := tel.conn
		c.Provider = "telnyx" // ignored: the provider is fixed at creation
		c.Name = "Renamed"
		c.Credentials = "new-ciphertext"
		c.PhonebookIDs.V = []string{"pb_9"}
		c.RoutingRules = json.RawMessage(`[{"name":"all","when":"true","route":{"kind":"hangup"}}]`)
		c.DeadlineMillis = 800
		c.Enabled = false
		require.NoError(t, s.UpdateTelephonyConnection(tel.ctx, &c))
		require.Equal(t, tel.conn.CreatedAt.UnixMilli(), c.CreatedAt.UnixMilli())
		require.Greater(t, c.UpdatedAt.UnixMilli(), tel.conn.UpdatedAt.UnixMilli())

		got, err := s.GetTelephonyConnection(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "twilio", got.Provider)
		require.Equal(t, "Renamed", got.Name)
		require.Equal(t, "new-ciphertext", got.Credentials)
		require.Equal(t, []string{"pb_9"}, got.PhonebookIDs.V)
		require.Equal(t, `[{"name":"all","when":"true","route":{"kind":"hangup"}}]`, string(got.RoutingRules))
		require.Equal(t, 800, got.DeadlineMillis)
		require.False(t, got.Enabled)
		require.Equal(t, c.UpdatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())
	})
}

func TestTelephonyConnectionUpdatesAlwaysMoveUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := tel.conn
		previous := c.UpdatedAt.UnixMilli()

		// Ten updates run well within a few milliseconds, so several share
		// the clock's millisecond.
		for range 10 {
			require.NoError(t, s.UpdateTelephonyConnection(tel.ctx, &c))
			require.Greater(t, c.UpdatedAt.UnixMilli(), previous)
			previous = c.UpdatedAt.UnixMilli()
		}
	})
}

func TestTelephonyConnectionListAndDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		second := store.TelephonyConnection{WorkspaceID: tel.ws, Provider: "aircall", Name: "Support"}
		require.NoError(t, s.CreateTelephonyConnection(tel.ctx, &second))

		list, err := s.ListTelephonyConnections(tel.ctx, tel.ws)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, tel.conn.ID, list[0].ID, "oldest first")
		require.Equal(t, second.ID, list[1].ID)
		require.Equal(t, `{"kind":"queue","target":"support"}`, string(list[0].DefaultRoute))

		require.NoError(t, s.DeleteTelephonyConnection(tel.ctx, tel.ws, tel.conn.ID))
		_, err = s.GetTelephonyConnectionByID(tel.ctx, tel.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.DeleteTelephonyConnection(tel.ctx, tel.ws, tel.conn.ID), store.ErrNotFound)

		list, err = s.ListTelephonyConnections(tel.ctx, tel.ws)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
}
