package store

import (
	"context"
	"fmt"
	"slices"
)

// DeleteContactsByExternalID deletes the contacts of the phonebook whose
// external_id is in externalIDs, each with a tombstone, and returns how
// many it deleted. An external id without a contact is skipped, so a
// deletion read twice deletes once. Call it inside InTx, so the tombstones
// and the deletions commit together.
func (q *Queries) DeleteContactsByExternalID(ctx context.Context, workspaceID, phonebookID string, externalIDs []string) (int, error) {
	ids := slices.Clone(externalIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	deletedAt := now()

	tombstones := inStatements(`INSERT INTO contact_tombstones (contact_id, workspace_id, phonebook_id, external_id, deleted_at)
		SELECT id, workspace_id, phonebook_id, external_id, ? FROM contacts
		WHERE workspace_id = ? AND phonebook_id = ? AND external_id IN (%s)`,
		[]any{deletedAt, workspaceID, phonebookID}, ids)
	for _, st := range tombstones {
		if _, err := q.exec(ctx, st.query, st.args...); err != nil {
			return 0, fmt.Errorf("write tombstones of phonebook %s: %w", phonebookID, err)
		}
	}

	deleted := 0
	deletes := inStatements(`DELETE FROM contacts WHERE workspace_id = ? AND phonebook_id = ? AND external_id IN (%s)`,
		[]any{workspaceID, phonebookID}, ids)
	for _, st := range deletes {
		res, err := q.exec(ctx, st.query, st.args...)
		if err != nil {
			return 0, fmt.Errorf("delete contacts of phonebook %s by external_id: %w", phonebookID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("delete contacts of phonebook %s by external_id: %w", phonebookID, err)
		}
		deleted += int(n)
	}
	return deleted, nil
}
