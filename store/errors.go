package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when no row matches in the caller's
// workspace.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write breaks a uniqueness rule,
// such as a duplicate external_id within a phonebook.
var ErrConflict = errors.New("conflict")

// notFound maps sql.ErrNoRows to ErrNotFound naming the object, and wraps
// other errors with what was being done.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("get %s: %w", what, err)
}

// IsUnavailable reports whether err means the database cannot be reached
// or is not accepting work right now, as opposed to a problem with the
// statement: a closed pool, a broken connection, a server shutting down or
// refusing connections, or SQLite's file being locked past busy_timeout.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		if len(code) < 2 {
			return false
		}
		class := code[:2]
		// Class 08 is connection exceptions, 53 insufficient resources and
		// 57 operator intervention (shutdown, cannot connect now); 55000
		// covers "database is not currently accepting connections".
		return class == "08" || class == "53" || class == "57" ||
			(pqErr.Code == "55000" && strings.Contains(pqErr.Message, "not currently accepting connections"))
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
	}
	return strings.Contains(err.Error(), "sql: database is closed")
}
