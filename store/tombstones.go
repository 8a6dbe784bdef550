package store

import (
	"context"
	"fmt"
)

// Tombstone records a deleted contact, so sync clients can delete their
// copies. Contact ids are never reused, so ContactID stays unique.
type Tombstone struct {
	ContactID   string    `db:"contact_id"`
	PhonebookID string    `db:"phonebook_id"`
	ExternalID  *string   `db:"external_id"`
	DeletedAt   UnixMilli `db:"deleted_at"`
}

// ListTombstones returns up to limit tombstones of workspaceID deleted at
// or after since, ordered by (deleted_at, contact_id) and starting after
// the key after when it is not nil. The bool reports whether more follow.
func (q *Queries) ListTombstones(ctx context.Context, workspaceID string, since UnixMilli, after *Keyset, limit int) ([]Tombstone, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("list tombstones: limit is %d, it must be at least 1", limit)
	}

	query := `SELECT contact_id, phonebook_id, external_id, deleted_at FROM contact_tombstones
		WHERE workspace_id = ? AND deleted_at >= ?`
	args := []any{workspaceID, since}
	if after != nil {
		cond, keyArgs := after.condition("deleted_at", "contact_id", false)
		query += ` AND ` + cond
		args = append(args, keyArgs...)
	}
	query += ` ORDER BY deleted_at, contact_id LIMIT ?`
	args = append(args, limit+1)

	tombstones := []Tombstone{}
	if err := q.selectAll(ctx, &tombstones, query, args...); err != nil {
		return nil, false, fmt.Errorf("list tombstones: %w", err)
	}
	tombstones, hasMore := splitPage(tombstones, limit)
	return tombstones, hasMore, nil
}
