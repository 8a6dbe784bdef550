package store

import (
	"database/sql"
	"errors"
	"fmt"
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
