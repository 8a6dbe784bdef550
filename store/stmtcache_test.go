package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

const workspaceNameQuery = `SELECT name FROM workspaces WHERE id = ?`

// newWorkspace stores a workspace named name and returns its id.
func newWorkspace(t *testing.T, s *store.Store, name string) string {
	t.Helper()
	w := store.Workspace{Name: name}
	require.NoError(t, s.CreateWorkspace(context.Background(), &w))
	return w.ID
}

func TestStatementCacheReusesStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		acme := newWorkspace(t, s, "Acme")
		globex := newWorkspace(t, s, "Globex")

		var first, second string
		require.NoError(t, s.GetForTest(ctx, &first, workspaceNameQuery, acme))
		stmt := s.CachedStatement(workspaceNameQuery)
		require.NoError(t, s.GetForTest(ctx, &second, workspaceNameQuery, globex))

		require.Equal(t, "Acme", first)
		require.Equal(t, "Globex", second)
		require.NotNil(t, stmt, "the first run prepares the statement")
		require.Same(t, stmt, s.CachedStatement(workspaceNameQuery), "the second run reuses it")
	})
}

func TestStatementCacheSelectAndExec(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		newWorkspace(t, s, "Globex")
		const rename = `UPDATE workspaces SET name = ? WHERE id = ?`
		const names = `SELECT name FROM workspaces WHERE name LIKE ? ORDER BY name`

		for _, name := range []string{"Acme 1", "Acme 2"} {
			require.NoError(t, s.ExecForTest(ctx, rename, name, id))
		}
		var got []string
		require.NoError(t, s.SelectForTest(ctx, &got, names, "%"))

		require.Equal(t, []string{"Acme 2", "Globex"}, got)
		require.NotNil(t, s.CachedStatement(rename))
		require.NotNil(t, s.CachedStatement(names))
	})
}

func TestStatementCacheInTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		const rename = `UPDATE workspaces SET name = ? WHERE id = ? AND name <> 'in transaction'`

		// The first run inside a transaction runs unprepared and prepares
		// the statement in the background for later runs.
		require.NoError(t, s.InTx(ctx, func(q *store.Queries) error {
			return q.ExecForTest(ctx, rename, "Acme 1", id)
		}))
		require.NotNil(t, s.CachedStatement(rename))

		var executedHere int
		require.NoError(t, s.InTx(ctx, func(q *store.Queries) error {
			if err := q.ExecForTest(ctx, rename, "Acme 2", id); err != nil {
				return err
			}
			if s.Dialect() != store.Postgres {
				return nil
			}
			// The run above executed the named prepared statement on the
			// transaction's connection. generic_plans and custom_plans
			// (PostgreSQL 14 and later) count its executions; an unprepared
			// run uses the unnamed statement, which the view does not list.
			return q.GetForTest(ctx, &executedHere, `SELECT coalesce(sum(generic_plans + custom_plans), 0)
				FROM pg_prepared_statements WHERE statement = ?`,
				`UPDATE workspaces SET name = $1 WHERE id = $2 AND name <> 'in transaction'`)
		}))

		var name string
		require.NoError(t, s.GetForTest(ctx, &name, workspaceNameQuery, id))
		require.Equal(t, "Acme 2", name)
		if s.Dialect() == store.Postgres {
			require.Equal(t, 1, executedHere)
		}
	})
}

func TestStatementCacheRollbackKeepsStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		const rename = `UPDATE workspaces SET name = ? WHERE id = ? AND name <> 'rolled back'`
		require.NoError(t, s.ExecForTest(ctx, rename, "Acme 1", id))

		err := s.InTx(ctx, func(q *store.Queries) error {
			if err := q.ExecForTest(ctx, rename, "Acme 2", id); err != nil {
				return err
			}
			return fmt.Errorf("roll back")
		})
		require.EqualError(t, err, "roll back")
		require.NoError(t, s.ExecForTest(ctx, rename, "Acme 3", id))

		var name string
		require.NoError(t, s.GetForTest(ctx, &name, workspaceNameQuery, id))
		require.Equal(t, "Acme 3", name)
		require.NotNil(t, s.CachedStatement(rename))
	})
}

func TestStatementCacheSkipsLongArgumentLists(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ids := []any{newWorkspace(t, s, "Acme")}
		for i := range 64 {
			ids = append(ids, fmt.Sprintf("ws_missing_%d", i))
		}
		query := `SELECT count(*) FROM workspaces WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`

		var n int
		require.NoError(t, s.GetForTest(ctx, &n, query, ids...))

		require.Equal(t, 1, n)
		require.Nil(t, s.CachedStatement(query), "65 arguments are over the bound")
	})
}

func TestStatementCacheBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		before := s.CachedStatementCount()

		var last string
		for i := range store.MaxCachedStatements + 1 {
			last = fmt.Sprintf(`SELECT name FROM workspaces WHERE id = ? AND %d = %d`, i, i)
			var name string
			require.NoError(t, s.GetForTest(ctx, &name, last, id))
			require.Equal(t, "Acme", name)
		}

		require.Equal(t, store.MaxCachedStatements, s.CachedStatementCount())
		require.Greater(t, store.MaxCachedStatements, before)
		require.Nil(t, s.CachedStatement(last), "a full cache prepares nothing more")
	})
}

func TestStatementCacheConcurrentFirstUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		const query = `SELECT name FROM workspaces WHERE id = ? AND 'concurrent' = 'concurrent'`
		before := s.CachedStatementCount()

		var wg sync.WaitGroup
		names := make([]string, 16)
		errs := make([]error, len(names))
		for i := range names {
			wg.Go(func() {
				errs[i] = s.GetForTest(ctx, &names[i], query, id)
			})
		}
		wg.Wait()

		for i := range names {
			require.NoError(t, errs[i])
			require.Equal(t, "Acme", names[i])
		}
		require.NotNil(t, s.CachedStatement(query))
		require.Equal(t, before+1, s.CachedStatementCount())
	})
}

func TestCloseClosesCachedStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := newWorkspace(t, s, "Acme")
		var name string
		require.NoError(t, s.GetForTest(ctx, &name, workspaceNameQuery, id))
		stmt := s.CachedStatement(workspaceNameQuery)
		require.NotNil(t, stmt)

		require.NoError(t, s.Close())

		require.Zero(t, s.CachedStatementCount())
		require.EqualError(t, stmt.GetContext(ctx, &name, id), "sql: statement is closed")
		err := s.GetForTest(ctx, &name, workspaceNameQuery, id)
		require.True(t, store.IsUnavailable(err), "a closed store is unavailable, got %v", err)
	})
}
