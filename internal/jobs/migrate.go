package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/switchboard-oss/switchboard/store"
)

// riverMigrationLockID is an arbitrary constant naming the PostgreSQL
// advisory lock held while River's migrations run. It differs from the
// store's own migration lock.
const riverMigrationLockID = 7263519843

// Migrate creates or updates River's tables (river_job, river_queue,
// river_leader, river_migration and a few more, all named river_*) in the
// store's database and returns the versions it applied, such as
// "river_006_bulk_unique". Call it after store.Migrate, before Start.
//
// On PostgreSQL the tables go into the first schema of search_path, where
// River's queries and notifications then find them. Instances starting at
// once on PostgreSQL take turns on an advisory lock, because rivermigrate
// itself takes none.
func Migrate(ctx context.Context, st *store.Store) ([]string, error) {
	var driver riverdriver.Driver[*sql.Tx]
	switch st.Dialect() {
	case store.SQLite:
		driver = riversqlite.New(st.DB())
	case store.Postgres:
		driver = riverdatabasesql.New(st.DB())
	default:
		return nil, fmt.Errorf("migrate job queue: unsupported database dialect %q", st.Dialect())
	}

	// The caller logs the versions applied, so River's own log is dropped.
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}

	if st.Dialect() == store.Postgres {
		unlock, err := lockRiverMigrations(ctx, st.DB())
		if err != nil {
			return nil, err
		}
		defer unlock()
	}

	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}
	applied := make([]string, 0, len(res.Versions))
	for _, v := range res.Versions {
		// River names a version after its file with spaces for underscores.
		name := strings.ReplaceAll(v.Name, " ", "_")
		applied = append(applied, fmt.Sprintf("river_%03d_%s", v.Version, name))
	}
	return applied, nil
}

// lockRiverMigrations takes the advisory lock on a connection of its own,
// which rivermigrate does not use, and returns the function that releases it.
func lockRiverMigrations(ctx context.Context, db *sql.DB) (unlock func(), err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLockID); err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrate job queue: take migration lock: %w", err)
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLockID)
		conn.Close()
	}, nil
}
