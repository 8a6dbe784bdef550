package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // registers the "postgres" driver
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the database of one Switchboard deployment. Its embedded Queries
// run outside any transaction; InTx runs a function inside one.
type Store struct {
	*Queries
	db *sqlx.DB
}

// Queries runs statements on a database handle or a transaction, through
// the prepared statements of stmts.
type Queries struct {
	db      sqlx.ExtContext
	dialect Dialect
	stmts   *stmtCache
}

// Options says which database to open.
type Options struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://. Empty selects SQLite in DataDir.
	DatabaseURL string
	// DataDir is the folder of the SQLite file switchboard.db.
	DataDir string
}

// SQLiteFileName is the name of the embedded database file in the data
// folder.
const SQLiteFileName = "switchboard.db"

// Open connects to the database Options select and checks it answers. It
// does not migrate; call Migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	driver, dsn, dialect, err := dataSource(opts)
	if err != nil {
		return nil, err
	}

	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	dialect.configurePool(db)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &Store{Queries: &Queries{db: db, dialect: dialect, stmts: newStmtCache(db)}, db: db}, nil
}

func dataSource(opts Options) (driver, dsn string, dialect Dialect, err error) {
	url := strings.TrimSpace(opts.DatabaseURL)
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return "postgres", url, Postgres, nil
	}
	if url != "" {
		return "", "", "", fmt.Errorf("database URL must start with postgres:// or postgresql://, or be empty to use SQLite in the data folder")
	}

	if opts.DataDir == "" {
		return "", "", "", fmt.Errorf("data folder is not set: it is required when no PostgreSQL URL is given")
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return "", "", "", fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(opts.DataDir, SQLiteFileName)
	return "sqlite", sqliteDSN(path), SQLite, nil
}

// Dialect returns which database this store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the underlying handle, for the job queue that shares it.
func (s *Store) DB() *sql.DB { return s.db.DB }

// Ping checks the database answers within ctx.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.PingContext(ctx)
}

// Close closes every prepared statement and connection.
func (s *Store) Close() error {
	stmtErr := s.stmts.close()
	return errors.Join(stmtErr, s.db.Close())
}

// InTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(q *Queries) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Queries{db: tx, dialect: s.dialect, stmts: s.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// Tx returns the open transaction behind q, for code such as the job queue
// that must write in the same transaction. It is nil outside InTx.
func (q *Queries) Tx() *sql.Tx {
	if tx, ok := q.db.(*sqlx.Tx); ok {
		return tx.Tx
	}
	return nil
}

func (q *Queries) get(ctx context.Context, dest any, query string, args ...any) error {
	stmt, done, err := q.prepared(ctx, query, len(args))
	if err != nil {
		return err
	}
	if stmt == nil {
		return sqlx.GetContext(ctx, q.db, dest, q.db.Rebind(query), args...)
	}
	defer done()
	return stmt.GetContext(ctx, dest, args...)
}

func (q *Queries) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	stmt, done, err := q.prepared(ctx, query, len(args))
	if err != nil {
		return err
	}
	if stmt == nil {
		return sqlx.SelectContext(ctx, q.db, dest, q.db.Rebind(query), args...)
	}
	defer done()
	return stmt.SelectContext(ctx, dest, args...)
}

func (q *Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	stmt, done, err := q.prepared(ctx, query, len(args))
	if err != nil {
		return nil, err
	}
	if stmt == nil {
		return q.db.ExecContext(ctx, q.db.Rebind(query), args...)
	}
	defer done()
	return stmt.ExecContext(ctx, args...)
}

// prepared returns the cached statement of query bound to q's handle, and
// done to call after running it. The statement is nil when query is to run
// unprepared this time, because it is not cached or because it is new
// inside a transaction, where it is prepared in the background for later
// runs.
func (q *Queries) prepared(ctx context.Context, query string, args int) (stmt *sqlx.Stmt, done func() error, err error) {
	tx, inTx := q.db.(*sqlx.Tx)
	if !inTx {
		stmt, err = q.stmts.prepare(ctx, query, args)
		return stmt, noStmtCleanup, err
	}

	shared, _ := q.stmts.lookup(query)
	if shared == nil {
		q.stmts.prepareInBackground(query, args)
		return nil, nil, nil
	}
	// The transaction's copy is closed after use, rather than at commit
	// with every other statement of a long transaction.
	stmt = tx.StmtxContext(ctx, shared)
	return stmt, stmt.Close, nil
}

func noStmtCleanup() error { return nil }

// execOne runs a statement that must change exactly one row, and returns an
// error wrapping ErrNotFound naming what when it changed none.
func (q *Queries) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// now is the clock for created_at and updated_at, in milliseconds.
func now() UnixMilli { return Millis(time.Now()) }
