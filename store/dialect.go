package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names a supported database. Every difference between the two
// lives in a method of Dialect or in a dialect-named migration file.
type Dialect string

// Supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// sqliteDSN opens path in WAL mode with foreign keys on. Write transactions
// take the lock when they begin (_txlock=immediate), so two writers wait on
// busy_timeout instead of failing with SQLITE_BUSY halfway through.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func (d Dialect) configurePool(db *sqlx.DB) {
	switch d {
	case SQLite:
		// One writer at a time is SQLite's rule; readers run beside it in
		// WAL mode. A small pool keeps memory steady.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	case Postgres:
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(16)
	}
}

// isUniqueViolation reports whether err is a unique or primary key
// constraint failure.
func (d Dialect) isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// escapeLike escapes LIKE wildcards in s so it matches literally with
// `ESCAPE '\'`.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// migrationLockID is an arbitrary constant naming Switchboard's advisory
// lock on PostgreSQL.
const migrationLockID = 7263519842

func (d Dialect) lockMigrations(ctx context.Context, conn *sqlx.Conn) error {
	if d != Postgres {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	return nil
}

func (d Dialect) unlockMigrations(ctx context.Context, conn *sqlx.Conn) {
	if d == Postgres {
		conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockID)
	}
}

// lockForUpdate returns the clause that locks the selected rows until the
// transaction ends: FOR UPDATE on PostgreSQL, nothing on SQLite, where a
// write transaction already holds the database's one write lock from its
// start (_txlock=immediate).
func (d Dialect) lockForUpdate() string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// bulkLoadsWithCopy reports whether ImportContacts streams rows with COPY
// into a staging table (PostgreSQL) rather than writing them with multi-row
// INSERT statements (SQLite).
func (d Dialect) bulkLoadsWithCopy() bool {
	return d == Postgres
}
