package store

import (
	"context"
	"fmt"
)

// Phonebook is a directory of contacts from one source, such as one CRM
// connection or one CSV file.
type Phonebook struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	Name        string `db:"name"`
	Description string `db:"description"`
	// Source names where the contacts come from ("hubspot", "csv", "api").
	Source    string    `db:"source"`
	CreatedAt UnixMilli `db:"created_at"`
	UpdatedAt UnixMilli `db:"updated_at"`
}

const phonebookColumns = `id, workspace_id, name, description, source, created_at, updated_at`

// CreatePhonebook inserts p, filling its id and timestamps.
func (q *Queries) CreatePhonebook(ctx context.Context, p *Phonebook) error {
	p.ID = NewID(PrefixPhonebook)
	p.CreatedAt = now()
	p.UpdatedAt = p.CreatedAt

	_, err := q.exec(ctx, `INSERT INTO phonebooks (`+phonebookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.WorkspaceID, p.Name, p.Description, p.Source, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert phonebook: %w", err)
	}
	return nil
}

// GetPhonebook returns the phonebook id of workspaceID.
func (q *Queries) GetPhonebook(ctx context.Context, workspaceID, id string) (Phonebook, error) {
	var p Phonebook
	err := q.get(ctx, &p, `SELECT `+phonebookColumns+` FROM phonebooks WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return Phonebook{}, notFound(err, "phonebook "+id)
	}
	return p, nil
}

// ListPhonebooks returns up to limit phonebooks of workspaceID ordered by
// (created_at, id), starting after the key after when it is not nil.
// hasMore reports whether more phonebooks follow.
func (q *Queries) ListPhonebooks(ctx context.Context, workspaceID string, after *Keyset, limit int) (items []Phonebook, hasMore bool, err error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("list phonebooks: limit is %d, it must be at least 1", limit)
	}

	query := `SELECT ` + phonebookColumns + ` FROM phonebooks WHERE workspace_id = ?`
	args := []any{workspaceID}
	if after != nil {
		cond, keyArgs := after.condition("created_at", "id", false)
		query += ` AND ` + cond
		args = append(args, keyArgs...)
	}
	query += ` ORDER BY created_at, id LIMIT ?`
	args = append(args, limit+1)

	items = []Phonebook{}
	if err := q.selectAll(ctx, &items, query, args...); err != nil {
		return nil, false, fmt.Errorf("list phonebooks: %w", err)
	}
	items, hasMore = splitPage(items, limit)
	return items, hasMore, nil
}

// UpdatePhonebook stores p's name, description and source, and fills its
// updated_at and created_at.
func (q *Queries) UpdatePhonebook(ctx context.Context, p *Phonebook) error {
	p.UpdatedAt = now()
	err := q.get(ctx, &p.CreatedAt,
		`UPDATE phonebooks SET name = ?, description = ?, source = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ? RETURNING created_at`,
		p.Name, p.Description, p.Source, p.UpdatedAt, p.WorkspaceID, p.ID)
	if err != nil {
		return notFound(err, "phonebook "+p.ID)
	}
	return nil
}

// CountContacts returns how many contacts the phonebook holds.
func (q *Queries) CountContacts(ctx context.Context, workspaceID, phonebookID string) (int, error) {
	var n int
	err := q.get(ctx, &n, `SELECT COUNT(*) FROM contacts WHERE workspace_id = ? AND phonebook_id = ?`, workspaceID, phonebookID)
	if err != nil {
		return 0, fmt.Errorf("count contacts of phonebook %s: %w", phonebookID, err)
	}
	return n, nil
}

// DeletePhonebook deletes the phonebook in one transaction. See
// Queries.DeletePhonebook.
func (s *Store) DeletePhonebook(ctx context.Context, workspaceID, id string, force bool) error {
	return s.InTx(ctx, func(q *Queries) error {
		return q.DeletePhonebook(ctx, workspaceID, id, force)
	})
}

// DeletePhonebook deletes the phonebook. A phonebook that still has
// contacts is kept and the error wraps ErrConflict, unless force is true.
// With force, every contact gets a tombstone and is deleted with it. Call
// it inside InTx, or use Store.DeletePhonebook: it locks the phonebook row
// first, so no contact can be added between the count and the delete.
func (q *Queries) DeletePhonebook(ctx context.Context, workspaceID, id string, force bool) error {
	if err := q.lockPhonebook(ctx, workspaceID, id); err != nil {
		return err
	}

	n, err := q.CountContacts(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	if n > 0 && !force {
		return fmt.Errorf("phonebook %s still has %d contacts: pass force=true to delete it with its contacts: %w", id, n, ErrConflict)
	}

	deletedAt := now()
	if _, err := q.exec(ctx, `INSERT INTO contact_tombstones (contact_id, workspace_id, phonebook_id, external_id, deleted_at)
		SELECT id, workspace_id, phonebook_id, external_id, ? FROM contacts WHERE workspace_id = ? AND phonebook_id = ?`,
		deletedAt, workspaceID, id); err != nil {
		return fmt.Errorf("write tombstones of phonebook %s: %w", id, err)
	}
	if _, err := q.exec(ctx, `DELETE FROM contacts WHERE workspace_id = ? AND phonebook_id = ?`, workspaceID, id); err != nil {
		return fmt.Errorf("delete contacts of phonebook %s: %w", id, err)
	}
	if _, err := q.exec(ctx, `DELETE FROM phonebooks WHERE workspace_id = ? AND id = ?`, workspaceID, id); err != nil {
		return fmt.Errorf("delete phonebook %s: %w", id, err)
	}
	return nil
}

// LockPhonebook is lockPhonebook for callers that read the phonebook's
// contacts before DeletePhonebook in the same transaction.
func (q *Queries) LockPhonebook(ctx context.Context, workspaceID, id string) error {
	return q.lockPhonebook(ctx, workspaceID, id)
}

// lockPhonebook checks the phonebook belongs to workspaceID and, on
// PostgreSQL, locks its row until the transaction ends. The lock makes
// concurrent contact inserts into it wait, because their foreign key check
// takes a share lock on the same row.
func (q *Queries) lockPhonebook(ctx context.Context, workspaceID, id string) error {
	var found string
	err := q.get(ctx, &found, `SELECT id FROM phonebooks WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), workspaceID, id)
	if err != nil {
		return notFound(err, "phonebook "+id)
	}
	return nil
}

// checkPhonebook returns an error wrapping ErrNotFound unless the phonebook
// belongs to workspaceID.
func (q *Queries) checkPhonebook(ctx context.Context, workspaceID, id string) error {
	var found string
	err := q.get(ctx, &found, `SELECT id FROM phonebooks WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return notFound(err, "phonebook "+id)
	}
	return nil
}
