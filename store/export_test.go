package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// MaxCachedStatements is maxCachedStatements, for tests of the statement
// cache in package store_test.
const MaxCachedStatements = maxCachedStatements

// GetForTest runs query through the get helper every store method uses.
func (q *Queries) GetForTest(ctx context.Context, dest any, query string, args ...any) error {
	return q.get(ctx, dest, query, args...)
}

// SelectForTest runs query through the selectAll helper.
func (q *Queries) SelectForTest(ctx context.Context, dest any, query string, args ...any) error {
	return q.selectAll(ctx, dest, query, args...)
}

// ExecForTest runs query through the exec helper.
func (q *Queries) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := q.exec(ctx, query, args...)
	return err
}

// CachedStatement returns the prepared statement the cache holds for
// query, nil when it holds none, after the prepares under way finish.
func (s *Store) CachedStatement(query string) *sqlx.Stmt {
	s.stmts.preparing.Wait()
	stmt, _ := s.stmts.lookup(query)
	return stmt
}

// CachedStatementCount returns the number of prepared statements the cache
// holds, after the prepares under way finish.
func (s *Store) CachedStatementCount() int {
	s.stmts.preparing.Wait()
	n := 0
	s.stmts.stmts.Range(func(_, v any) bool {
		if _, ok := v.(*sqlx.Stmt); ok {
			n++
		}
		return true
	})
	return n
}
