// Package testdb opens throwaway stores for tests: a fresh SQLite file and a
// fresh PostgreSQL schema per test, both migrated.
//
// PostgreSQL is reached at SWITCHBOARD_TEST_POSTGRES_URL, by default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. When it cannot be
// reached the test fails rather than skips, unless
// SWITCHBOARD_TEST_SKIP_POSTGRES=1 is set.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// DefaultPostgresURL is the test server of the development machine and CI.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the URL of the PostgreSQL server for tests.
func PostgresURL() string {
	if u := os.Getenv("SWITCHBOARD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Dialects returns the databases tests run on: both, or SQLite alone when
// SWITCHBOARD_TEST_SKIP_POSTGRES=1.
func Dialects() []store.Dialect {
	if os.Getenv("SWITCHBOARD_TEST_SKIP_POSTGRES") == "1" {
		return []store.Dialect{store.SQLite}
	}
	return []store.Dialect{store.SQLite, store.Postgres}
}

// Each runs fn as a subtest once per dialect, each with a fresh migrated
// store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated store of dialect d, removed when the test
// ends.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	ctx := context.Background()

	opts := store.Options{DataDir: t.TempDir()}
	if d == store.Postgres {
		opts.DatabaseURL = NewSchema(t)
	}
	s, err := store.Open(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	return s
}

// NewSchema creates an empty PostgreSQL schema dropped when the test ends,
// and returns a database URL whose search_path selects it.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()

	admin, err := sql.Open("postgres", base)
	require.NoError(t, err)
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable (%v): start it, set SWITCHBOARD_TEST_POSTGRES_URL, or set SWITCHBOARD_TEST_SKIP_POSTGRES=1 to run on SQLite alone", redact(base), err)
	}

	schema := "t_" + strings.ToLower(secret.RandomToken(9))
	schema = strings.NewReplacer("-", "_").Replace(schema)
	_, err = admin.ExecContext(ctx, fmt.Sprintf(`CREATE SCHEMA "%s"`, schema))
	require.NoError(t, err)
	t.Cleanup(func() {
		db, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(fmt.Sprintf(`DROP SCHEMA "%s" CASCADE`, schema))
	})

	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
