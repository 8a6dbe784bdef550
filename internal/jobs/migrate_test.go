package jobs

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// riverVersions are the migrations River v0.51.2 ships, in the names
// Migrate returns.
var riverVersions = []string{
	"river_001_create_river_migration",
	"river_002_initial_schema",
	"river_003_river_job_tags_non_null",
	"river_004_pending_and_more",
	"river_005_migration_unique_client",
	"river_006_bulk_unique",
	"river_007_notification_outbox_sqlite_jsonb_and_sql_cleanup",
	"river_008_job_id_autoincrement",
}

func TestMigrateAppliesOnceEachVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()

		first, err := Migrate(ctx, st)
		require.NoError(t, err)
		second, err := Migrate(ctx, st)
		require.NoError(t, err)

		require.Equal(t, riverVersions, first)
		require.Empty(t, second)
	})
}

func TestMigrateCreatesTablesInSearchPathSchema(t *testing.T) {
	if !postgresEnabled() {
		t.Skip("PostgreSQL is skipped")
	}
	h := setup(t, store.Postgres)

	var schema string
	err := h.store.DB().QueryRowContext(h.ctx,
		`SELECT table_schema FROM information_schema.tables WHERE table_name = 'river_job' AND table_schema = current_schema()`).Scan(&schema)

	require.NoError(t, err, "river_job is not in the schema search_path selects")
	require.Regexp(t, `^t_`, schema, "the test schema, not public")
}

func TestMigrateConcurrentInstances(t *testing.T) {
	if !postgresEnabled() {
		t.Skip("PostgreSQL is skipped")
	}
	h := harness{ctx: context.Background(), opts: store.Options{DatabaseURL: testdb.NewSchema(t), DataDir: t.TempDir()}}
	const instances = 4
	stores := make([]*store.Store, instances)
	for i := range stores {
		stores[i] = h.open(t)
	}
	_, err := stores[0].Migrate(h.ctx)
	require.NoError(t, err)

	var wg sync.WaitGroup
	applied := make([][]string, instances)
	errs := make([]error, instances)
	for i, st := range stores {
		wg.Go(func() { applied[i], errs[i] = Migrate(h.ctx, st) })
	}
	wg.Wait()

	var all []string
	for i := range stores {
		require.NoError(t, errs[i], "instance %d", i)
		all = append(all, applied[i]...)
	}
	require.Equal(t, riverVersions, all, "one instance applied every version, the others none")
}

func postgresEnabled() bool {
	for _, d := range testdb.Dialects() {
		if d == store.Postgres {
			return true
		}
	}
	return false
}
