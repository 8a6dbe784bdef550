package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestCustomFieldLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		f := store.CustomField{WorkspaceID: d.ws, Name: "tier", Type: "enum"}
		f.AllowedValues.V = []string{"gold"}
		require.NoError(t, s.CreateCustomField(d.ctx, &f))

		repeat := store.CustomField{WorkspaceID: d.ws, Name: "tier", Type: "string"}
		require.ErrorIs(t, s.CreateCustomField(d.ctx, &repeat), store.ErrConflict)
		other := store.CustomField{WorkspaceID: d.otherWS, Name: "tier", Type: "string"}
		require.NoError(t, s.CreateCustomField(d.ctx, &other), "names are unique per workspace only")

		f.Required, f.AllowedValues.V = true, []string{"gold", "silver"}
		require.NoError(t, s.UpdateCustomField(d.ctx, &f))
		got, err := s.GetCustomField(d.ctx, d.ws, "tier")
		require.NoError(t, err)
		require.True(t, got.Required)
		require.Equal(t, []string{"gold", "silver"}, got.AllowedValues.V)

		listed, err := s.ListCustomFields(d.ctx, d.ws)
		require.NoError(t, err)
		require.Len(t, listed, 1)

		require.NoError(t, s.DeleteCustomField(d.ctx, d.ws, "tier"))
		_, err = s.GetCustomField(d.ctx, d.ws, "tier")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.DeleteCustomField(d.ctx, d.ws, "tier"), store.ErrNotFound)
	})
}

func TestExtraDataOfPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		var ids []string
		for _, name := range []string{"Ann", "Bob", "Cy"} {
			c := newContact(d, "", name, "+4930111")
			c.ExtraData = []byte(`{"name":"` + name + `"}`)
			require.NoError(t, s.CreateContact(d.ctx, &c))
			ids = append(ids, c.ID)
		}

		first, err := s.ExtraDataOf(d.ctx, d.ws, "", 2)
		require.NoError(t, err)
		require.Len(t, first.IDs, 2)
		rest, err := s.ExtraDataOf(d.ctx, d.ws, first.IDs[1], 2)
		require.NoError(t, err)
		require.Len(t, rest.IDs, 1)
		require.ElementsMatch(t, ids, append(first.IDs, rest.IDs...))

		byID, err := s.GetContactsByIDs(d.ctx, d.ws, append(ids, ids[0], "ct_missing"))
		require.NoError(t, err)
		require.Len(t, byID, 3)
		otherWorkspace, err := s.GetContactsByIDs(d.ctx, d.otherWS, ids)
		require.NoError(t, err)
		require.Empty(t, otherWorkspace)
	})
}
