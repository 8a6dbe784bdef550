package store

import (
	"context"
	"fmt"
)

// GetContactsByIDs returns the contacts of workspaceID among ids, keyed by
// id. Ids of other workspaces and of deleted contacts are left out, and
// repeats are read once. It runs one statement per maxStatementParams ids,
// so a page of calls costs one round trip for all its contacts.
func (q *Queries) GetContactsByIDs(ctx context.Context, workspaceID string, ids []string) (map[string]Contact, error) {
	out := make(map[string]Contact, len(ids))
	query := `SELECT ` + contactColumns + ` FROM contacts WHERE workspace_id = ? AND id IN (%s)`
	for _, st := range inStatements(query, []any{workspaceID}, distinct(ids)) {
		contacts, err := q.selectContacts(ctx, "read contacts by id", st.query, st.args...)
		if err != nil {
			return nil, err
		}
		for _, c := range contacts {
			out[c.ID] = c
		}
	}
	return out, nil
}

// GetPhonebooksByIDs returns the phonebooks of workspaceID among ids, keyed
// by id, with one statement per maxStatementParams ids.
func (q *Queries) GetPhonebooksByIDs(ctx context.Context, workspaceID string, ids []string) (map[string]Phonebook, error) {
	out := make(map[string]Phonebook, len(ids))
	query := `SELECT ` + phonebookColumns + ` FROM phonebooks WHERE workspace_id = ? AND id IN (%s)`
	for _, st := range inStatements(query, []any{workspaceID}, distinct(ids)) {
		var phonebooks []Phonebook
		if err := q.selectAll(ctx, &phonebooks, st.query, st.args...); err != nil {
			return nil, fmt.Errorf("read phonebooks by id: %w", err)
		}
		for _, p := range phonebooks {
			out[p.ID] = p
		}
	}
	return out, nil
}

// ListPhonebookContacts returns every contact of the phonebook, in id
// order. It reads the whole phonebook into memory, so it is meant for the
// events of a forced phonebook delete, not for listings.
func (q *Queries) ListPhonebookContacts(ctx context.Context, workspaceID, phonebookID string) ([]Contact, error) {
	return q.selectContacts(ctx, "list contacts of phonebook "+phonebookID,
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND phonebook_id = ? ORDER BY id`,
		workspaceID, phonebookID)
}

// distinct returns ids without repeats or empty strings, in first-seen
// order.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
