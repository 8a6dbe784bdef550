package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestWorkspaceCreateGetUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme", DefaultRegion: "DE", TimeZone: "Europe/Berlin"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))

		got, err := s.GetWorkspace(ctx, w.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme", got.Name)
		require.Equal(t, "DE", got.DefaultRegion)
		require.Equal(t, w.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())

		got.Name = "Acme GmbH"
		require.NoError(t, s.UpdateWorkspace(ctx, &got))
		again, err := s.GetWorkspace(ctx, w.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme GmbH", again.Name)

		_, err = s.GetWorkspace(ctx, "ws_missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestAPIKeyLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))
		other := store.Workspace{Name: "Other"}
		require.NoError(t, s.CreateWorkspace(ctx, &other))

		k := store.APIKey{WorkspaceID: w.ID, Name: "ci", Prefix: "sbk_abc", TokenHash: "hash-1", Scopes: store.ScopeList{"directory:read", "admin"}}
		require.NoError(t, s.CreateAPIKey(ctx, &k))

		byHash, err := s.GetAPIKeyByHash(ctx, "hash-1")
		require.NoError(t, err)
		require.Equal(t, k.ID, byHash.ID)
		require.Equal(t, store.ScopeList{"directory:read", "admin"}, byHash.Scopes)
		require.Nil(t, byHash.RevokedAt)

		require.NoError(t, s.TouchAPIKey(ctx, k.ID, store.Millis(k.CreatedAt.Time)))
		require.ErrorIs(t, s.RevokeAPIKey(ctx, other.ID, k.ID), store.ErrNotFound, "another workspace cannot revoke the key")
		require.NoError(t, s.RevokeAPIKey(ctx, w.ID, k.ID))

		keys, err := s.ListAPIKeys(ctx, w.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		require.NotNil(t, keys[0].RevokedAt)
		require.NotNil(t, keys[0].LastUsedAt)

		otherKeys, err := s.ListAPIKeys(ctx, other.ID)
		require.NoError(t, err)
		require.Empty(t, otherKeys)
	})
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(context.Background())
		require.NoError(t, err)
		require.Empty(t, applied)
	})
}
