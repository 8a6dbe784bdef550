package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// newUser returns an agent of workspaceID with email, not yet stored.
func newUser(workspaceID, email string) store.User {
	return store.User{
		WorkspaceID: workspaceID, Email: email, Name: "Ann Agent", Role: "agent",
		PasswordHash:     "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		Extensions:       store.JSONColumn[[]string]{V: []string{"1001"}},
		ClientIdentities: store.JSONColumn[[]string]{V: []string{"ann"}},
		Queues:           store.JSONColumn[[]string]{V: []string{"sales", "support"}},
	}
}

func TestUserCreateGetUpdateDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))

		u := newUser(w.ID, "Ann@Example.com")
		require.NoError(t, s.CreateUser(ctx, &u))
		require.Regexp(t, `^usr_[0-9a-f]{32}$`, u.ID)
		require.Equal(t, "ann@example.com", u.Email)

		got, err := s.GetUser(ctx, w.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, "ann@example.com", got.Email)
		require.Equal(t, "agent", got.Role)
		require.Equal(t, u.PasswordHash, got.PasswordHash)
		require.Equal(t, []string{"1001"}, got.Extensions.V)
		require.Equal(t, []string{"ann"}, got.ClientIdentities.V)
		require.Equal(t, []string{"sales", "support"}, got.Queues.V)
		require.False(t, got.Disabled)
		require.Equal(t, u.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())

		got.Name, got.Role, got.Disabled = "Ann Admin", "admin", true
		got.Queues.V = nil
		require.NoError(t, s.UpdateUser(ctx, &got))
		again, err := s.GetUser(ctx, w.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, "Ann Admin", again.Name)
		require.Equal(t, "admin", again.Role)
		require.True(t, again.Disabled)
		require.Equal(t, []string{}, again.Queues.V)

		require.NoError(t, s.DeleteUser(ctx, w.ID, u.ID))
		_, err = s.GetUser(ctx, w.ID, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.DeleteUser(ctx, w.ID, u.ID), store.ErrNotFound)
	})
}

func TestUserEmailUniqueAcrossWorkspaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := store.Workspace{Name: "A"}, store.Workspace{Name: "B"}
		require.NoError(t, s.CreateWorkspace(ctx, &a))
		require.NoError(t, s.CreateWorkspace(ctx, &b))
		first := newUser(a.ID, "ann@example.com")
		require.NoError(t, s.CreateUser(ctx, &first))

		dup := newUser(b.ID, "ANN@example.com")
		require.ErrorIs(t, s.CreateUser(ctx, &dup), store.ErrConflict)

		other := newUser(a.ID, "bo@example.com")
		require.NoError(t, s.CreateUser(ctx, &other))
		other.Email = "Ann@example.com"
		require.ErrorIs(t, s.UpdateUser(ctx, &other), store.ErrConflict)
	})
}

func TestUserByEmailAndTenantIsolation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := store.Workspace{Name: "A"}, store.Workspace{Name: "B"}
		require.NoError(t, s.CreateWorkspace(ctx, &a))
		require.NoError(t, s.CreateWorkspace(ctx, &b))
		u := newUser(a.ID, "ann@example.com")
		require.NoError(t, s.CreateUser(ctx, &u))

		found, err := s.GetUserByEmail(ctx, "ANN@EXAMPLE.COM")
		require.NoError(t, err)
		require.Equal(t, u.ID, found.ID)
		_, err = s.GetUserByEmail(ctx, "nobody@example.com")
		require.ErrorIs(t, err, store.ErrNotFound)

		_, err = s.GetUser(ctx, b.ID, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		u.WorkspaceID = b.ID
		require.ErrorIs(t, s.UpdateUser(ctx, &u), store.ErrNotFound)
		require.ErrorIs(t, s.DeleteUser(ctx, b.ID, u.ID), store.ErrNotFound)

		inB, err := s.ListUsers(ctx, b.ID)
		require.NoError(t, err)
		require.Empty(t, inB)
		inA, err := s.ListUsers(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, inA, 1)
	})
}

func TestWorkspaceScreenPopFields(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := store.Workspace{Name: "Acme"}
		require.NoError(t, s.CreateWorkspace(ctx, &w))
		got, err := s.GetWorkspace(ctx, w.ID)
		require.NoError(t, err)
		require.Equal(t, []string{}, got.ScreenPopFields.V)

		got.ScreenPopFields.V = []string{"tier", "owner"}
		require.NoError(t, s.UpdateWorkspace(ctx, &got))

		again, err := s.GetWorkspace(ctx, w.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"tier", "owner"}, again.ScreenPopFields.V)
	})
}
