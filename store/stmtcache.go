package store

import (
	"context"
	"errors"
	"sync"

	"github.com/jmoiron/sqlx"
)

const (
	// maxCachedStatements bounds the statements one Store keeps prepared.
	// The store has about a hundred static queries. Once the cache is
	// full, further query texts run unprepared.
	maxCachedStatements = 512
	// maxCachedStatementArgs bounds the arguments of a cached query. Longer
	// ones are the multi-row INSERT and long IN-list statements of bulk
	// writes, whose text changes with the number of rows, so preparing
	// them would fill the cache with statements run once.
	maxCachedStatementArgs = 64
)

// stmtCache keeps one prepared statement per query text of a Store, so the
// database compiles each statement once per connection rather than on every
// execution. database/sql prepares a statement again on each pooled
// connection the first time it runs there, and Tx.StmtxContext reuses that
// preparation inside a transaction.
//
// NOTE: on PostgreSQL the statements are named, server-side prepared
// statements. A connection pooler in transaction mode breaks them unless it
// tracks prepared statements (PgBouncer does from 1.21 when
// max_prepared_statements is set). A migration by another process that
// changes the type of a column they return makes them fail with "cached
// plan must not change result type" until their connections close.
type stmtCache struct {
	db *sqlx.DB
	// stmts maps a query text before Rebind to its *sqlx.Stmt, or to
	// pendingStmt while a caller prepares it.
	stmts sync.Map

	// mu guards size and closed, and every store into stmts.
	mu     sync.Mutex
	size   int
	closed bool

	// preparing counts the prepares under way. close cancels ctx, the
	// context of those started in the background, and waits for all.
	preparing sync.WaitGroup
	ctx       context.Context
	cancel    context.CancelFunc
}

// pendingStmt marks a query whose statement is being prepared.
type pendingStmt struct{}

func newStmtCache(db *sqlx.DB) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, ctx: ctx, cancel: cancel}
}

// lookup returns the prepared statement of query, and whether query has an
// entry, ready or pending.
func (c *stmtCache) lookup(query string) (*sqlx.Stmt, bool) {
	v, ok := c.stmts.Load(query)
	if !ok {
		return nil, false
	}
	stmt, _ := v.(*sqlx.Stmt)
	return stmt, true
}

// prepare returns the statement of query, preparing it on a pooled
// connection when it is new. It returns nil without error when query is
// not to be cached or another caller is preparing it, and the caller then
// runs query unprepared.
func (c *stmtCache) prepare(ctx context.Context, query string, args int) (*sqlx.Stmt, error) {
	if stmt, ok := c.lookup(query); ok || args > maxCachedStatementArgs {
		return stmt, nil
	}
	if !c.reserve(query) {
		return nil, nil
	}
	return c.fill(ctx, query)
}

// prepareInBackground starts preparing query when it is new, for a caller
// inside a transaction. Preparing there would take a second connection
// from the pool while the transaction holds one, and with every pooled
// connection held by such a transaction none would ever come free.
func (c *stmtCache) prepareInBackground(query string, args int) {
	if _, ok := c.lookup(query); ok || args > maxCachedStatementArgs {
		return
	}
	if !c.reserve(query) {
		return
	}
	go c.fill(c.ctx, query)
}

// reserve stores pendingStmt for query and reports whether the caller is
// to prepare it with fill. It reports false when the cache is full or
// closed, or when query already has an entry.
func (c *stmtCache) reserve(query string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.size >= maxCachedStatements {
		return false
	}
	if _, loaded := c.stmts.LoadOrStore(query, pendingStmt{}); loaded {
		return false
	}
	c.size++
	c.preparing.Add(1)
	return true
}

// fill prepares the query reserved by reserve and stores the statement. A
// failed prepare releases the reservation, so a later run tries again.
func (c *stmtCache) fill(ctx context.Context, query string) (*sqlx.Stmt, error) {
	defer c.preparing.Done()
	stmt, err := c.db.PreparexContext(ctx, c.db.Rebind(query))

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.closed {
		c.stmts.Delete(query)
		c.size--
		if stmt != nil {
			stmt.Close()
			stmt = nil
		}
	} else {
		c.stmts.Store(query, stmt)
	}
	return stmt, err
}

// close stops background prepares and closes every statement. Queries that
// run afterwards are not cached.
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.preparing.Wait()

	var errs []error
	c.stmts.Range(func(query, v any) bool {
		if stmt, ok := v.(*sqlx.Stmt); ok {
			errs = append(errs, stmt.Close())
		}
		c.stmts.Delete(query)
		return true
	})
	return errors.Join(errs...)
}
