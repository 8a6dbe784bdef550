package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestDeleteContactsByExternalID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))
		synced := store.Phonebook{WorkspaceID: w.ID, Name: "HubSpot"}
		require.NoError(t, s.CreatePhonebook(ctx, &synced))
		other := store.Phonebook{WorkspaceID: w.ID, Name: "CSV"}
		require.NoError(t, s.CreatePhonebook(ctx, &other))
		for _, id := range []string{"101", "102", "103"} {
			_, err := s.UpsertContacts(ctx, w.ID, synced.ID, []store.Contact{{ExternalID: &id, DisplayName: "Synced " + id}})
			require.NoError(t, err)
		}
		kept := "101"
		_, err := s.UpsertContacts(ctx, w.ID, other.ID, []store.Contact{{ExternalID: &kept, DisplayName: "Other 101"}})
		require.NoError(t, err)

		var deleted int
		err = s.InTx(ctx, func(q *store.Queries) error {
			deleted, err = q.DeleteContactsByExternalID(ctx, w.ID, synced.ID, []string{"103", "101", "999", "101"})
			return err
		})
		require.NoError(t, err)

		require.Equal(t, 2, deleted)
		_, err = s.GetContactByExternalID(ctx, w.ID, synced.ID, "101")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetContactByExternalID(ctx, w.ID, synced.ID, "102")
		require.NoError(t, err)
		_, err = s.GetContactByExternalID(ctx, w.ID, other.ID, "101")
		require.NoError(t, err)
		tombstones, _, err := s.ListTombstones(ctx, w.ID, store.UnixMilli{}, nil, 10)
		require.NoError(t, err)
		var gone []string
		for _, ts := range tombstones {
			require.Equal(t, synced.ID, ts.PhonebookID)
			gone = append(gone, *ts.ExternalID)
		}
		require.ElementsMatch(t, []string{"101", "103"}, gone)
	})
}

func TestDeleteContactsByExternalIDNone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))
		pb := store.Phonebook{WorkspaceID: w.ID, Name: "HubSpot"}
		require.NoError(t, s.CreatePhonebook(ctx, &pb))

		deleted, err := s.Queries.DeleteContactsByExternalID(ctx, w.ID, pb.ID, nil)

		require.NoError(t, err)
		require.Zero(t, deleted)
	})
}
