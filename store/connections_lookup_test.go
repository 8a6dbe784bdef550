package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestTelephonyConnectionCRMLookupDefaults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)

		got, err := s.GetTelephonyConnection(tel.ctx, tel.ws, tel.conn.ID)

		require.NoError(t, err)
		require.Equal(t, "", got.CRMConnectionID)
		require.Equal(t, store.DefaultCRMDeadlineMillis, got.CRMDeadlineMillis)
		require.False(t, got.RerouteLateCRMAnswers)
	})
}

func TestTelephonyConnectionCRMLookupRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := tel.conn
		c.LookupOrder = "phonebook_then_crm"
		c.CRMConnectionID = "crm_0195f0c7d2e47a1b8c9d0e1f2a3b4c5d"
		c.CRMDeadlineMillis = 650
		c.RerouteLateCRMAnswers = true

		require.NoError(t, s.UpdateTelephonyConnection(tel.ctx, &c))
		got, err := s.GetTelephonyConnectionByID(tel.ctx, c.ID)

		require.NoError(t, err)
		require.Equal(t, "phonebook_then_crm", got.LookupOrder)
		require.Equal(t, "crm_0195f0c7d2e47a1b8c9d0e1f2a3b4c5d", got.CRMConnectionID)
		require.Equal(t, 650, got.CRMDeadlineMillis)
		require.True(t, got.RerouteLateCRMAnswers)
	})
}
