package store

import (
	"context"
	"fmt"
	"slices"
)

// UpsertStatus is the outcome of an upsert for one contact.
type UpsertStatus string

// Upsert outcomes.
const (
	UpsertCreated   UpsertStatus = "created"
	UpsertUpdated   UpsertStatus = "updated"
	UpsertUnchanged UpsertStatus = "unchanged"
)

// UpsertResult is the outcome for one item of UpsertContacts.
type UpsertResult struct {
	ID     string
	Status UpsertStatus
}

// UpsertContacts upserts the items in one transaction. See
// Queries.UpsertContacts.
func (s *Store) UpsertContacts(ctx context.Context, workspaceID, phonebookID string, items []Contact) (results []UpsertResult, err error) {
	err = s.InTx(ctx, func(q *Queries) error {
		results, err = q.UpsertContacts(ctx, workspaceID, phonebookID, items)
		return err
	})
	return results, err
}

// UpsertContacts writes items into the phonebook keyed by external_id, with
// PUT semantics: an existing contact gets every writable field of its item.
// Each item needs a distinct non-empty ExternalID; its ID, WorkspaceID,
// PhonebookID and timestamps are ignored. An item equal to the stored
// contact in names, company, emails, numbers and extra data is left as it
// is, updated_at included. The results are in input order. Existing
// contacts are read with a few IN queries and all writes are multi-row
// statements, so 1,000 items take a handful of round trips. Call it inside
// InTx, or use Store.UpsertContacts.
func (q *Queries) UpsertContacts(ctx context.Context, workspaceID, phonebookID string, items []Contact) ([]UpsertResult, error) {
	for i, c := range items {
		if c.ExternalID == nil || *c.ExternalID == "" {
			return nil, fmt.Errorf("upsert contacts: item %d has no external_id", i)
		}
	}

	plan, err := q.planUpserts(ctx, workspaceID, phonebookID, items)
	if err != nil {
		return nil, err
	}
	if err := q.mergeContactRows(ctx, plan); err != nil {
		return nil, err
	}
	if err := q.writeLookups(ctx, workspaceID, plan.written(), plan.updatedIDs()); err != nil {
		return nil, err
	}

	results := make([]UpsertResult, len(plan))
	for i, p := range plan {
		results[i] = UpsertResult{ID: p.row.ID, Status: p.status}
	}
	return results, nil
}

// plannedContact is one item of an upsert after comparison with the stored
// contact: row is what to write, with the id the contact keeps.
type plannedContact struct {
	row    contactRow
	status UpsertStatus
}

type upsertPlan []plannedContact

// planUpserts encodes items, reads the stored contacts with the same
// external ids, locking them on PostgreSQL, and decides each item's status.
// All created and updated rows share one timestamp, except that an updated
// row's updated_at always moves forward (see nextUpdatedAt).
func (q *Queries) planUpserts(ctx context.Context, workspaceID, phonebookID string, items []Contact) (upsertPlan, error) {
	if err := q.checkPhonebook(ctx, workspaceID, phonebookID); err != nil {
		return nil, err
	}

	plan := make(upsertPlan, len(items))
	firstIndex := map[string]int{}
	for i := range items {
		c := items[i]
		c.WorkspaceID, c.PhonebookID = workspaceID, phonebookID
		row, err := encodeContact(&c)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if row.ExternalID != nil {
			if j, seen := firstIndex[*row.ExternalID]; seen {
				return nil, fmt.Errorf("items %d and %d have the same external_id %q: each external_id may appear once per call", j, i, *row.ExternalID)
			}
			firstIndex[*row.ExternalID] = i
		}
		plan[i] = plannedContact{row: row}
	}

	existing, err := q.lockByExternalIDs(ctx, workspaceID, phonebookID, keysOf(firstIndex))
	if err != nil {
		return nil, err
	}
	at := now()
	for i := range plan {
		plan[i].decide(existing, at)
	}
	return plan, nil
}

// decide sets the status, id and timestamps of p against the stored
// contacts by external_id.
func (p *plannedContact) decide(existing map[string]contactRow, at UnixMilli) {
	var stored contactRow
	found := false
	if p.row.ExternalID != nil {
		stored, found = existing[*p.row.ExternalID]
	}

	switch {
	case !found:
		p.status = UpsertCreated
		p.row.ID = NewID(PrefixContact)
		p.row.CreatedAt, p.row.UpdatedAt = at, at
	case p.row.sameContent(stored):
		p.status = UpsertUnchanged
		p.row.ID = stored.ID
		p.row.CreatedAt, p.row.UpdatedAt = stored.CreatedAt, stored.UpdatedAt
	default:
		p.status = UpsertUpdated
		p.row.ID = stored.ID
		p.row.CreatedAt = stored.CreatedAt
		p.row.UpdatedAt = nextUpdatedAt(stored.UpdatedAt, at)
	}
}

// lockByExternalIDs returns the phonebook's contacts with the given
// external ids by external_id. On PostgreSQL it locks them until the
// transaction ends, in external_id order so that two imports into the same
// phonebook take their locks in the same order.
func (q *Queries) lockByExternalIDs(ctx context.Context, workspaceID, phonebookID string, externalIDs []string) (map[string]contactRow, error) {
	slices.Sort(externalIDs)
	existing := make(map[string]contactRow, len(externalIDs))
	query := `SELECT ` + contactColumns + ` FROM contacts WHERE workspace_id = ? AND phonebook_id = ? AND external_id IN (%s)
		ORDER BY external_id` + q.dialect.lockForUpdate()

	for _, st := range inStatements(query, []any{workspaceID, phonebookID}, externalIDs) {
		var rows []contactRow
		if err := q.selectAll(ctx, &rows, st.query, st.args...); err != nil {
			return nil, fmt.Errorf("read contacts by external_id: %w", err)
		}
		for _, r := range rows {
			existing[*r.ExternalID] = r
		}
	}
	return existing, nil
}

// written returns the rows to write: the created and updated ones.
func (p upsertPlan) written() []contactRow {
	var rows []contactRow
	for _, c := range p {
		if c.status != UpsertUnchanged {
			rows = append(rows, c.row)
		}
	}
	return rows
}

// updatedIDs returns the ids of the updated contacts.
func (p upsertPlan) updatedIDs() []string {
	var ids []string
	for _, c := range p {
		if c.status == UpsertUpdated {
			ids = append(ids, c.row.ID)
		}
	}
	return ids
}

// mergeValues returns the contactWriteColumns values of the written rows.
// A created row is inserted under its new id. An updated row is inserted
// under a fresh id that is never stored, because its external_id collides
// and ON CONFLICT turns the insert into an update of the stored row. The
// fresh id keeps the primary key out of that conflict, whichever
// constraint the database checks first.
func (p upsertPlan) mergeValues() [][]any {
	var values [][]any
	for _, c := range p {
		switch c.status {
		case UpsertCreated:
			values = append(values, c.row.writeArgs(c.row.ID))
		case UpsertUpdated:
			values = append(values, c.row.writeArgs(NewID(PrefixContact)))
		}
	}
	return values
}

// mergeConflictClause updates a stored contact whose (phonebook_id,
// external_id) an inserted row repeats, and returns the id of every row
// written, so checkMerged can tell a concurrent writer's row from ours.
const mergeConflictClause = ` ON CONFLICT (phonebook_id, external_id) DO UPDATE SET
	first_name = excluded.first_name, last_name = excluded.last_name, display_name = excluded.display_name,
	company = excluded.company, emails = excluded.emails, phone_numbers = excluded.phone_numbers,
	extra_data = excluded.extra_data, search_text = excluded.search_text, updated_at = excluded.updated_at
	RETURNING id`

// mergeContactRows writes the created and updated rows of plan with
// multi-row INSERT … ON CONFLICT statements.
func (q *Queries) mergeContactRows(ctx context.Context, plan upsertPlan) error {
	var merged []string
	for _, st := range valuesStatements(`INSERT INTO contacts (`+contactWriteColumns+`)`, mergeConflictClause, plan.mergeValues()) {
		var ids []string
		if err := q.selectAll(ctx, &ids, st.query, st.args...); err != nil {
			return fmt.Errorf("write contacts: %w", err)
		}
		merged = append(merged, ids...)
	}
	return plan.checkMerged(merged)
}

// checkMerged compares the ids the merge returned with the planned ones. A
// different id means another transaction inserted one of the new
// external_ids after planUpserts read them (possible on PostgreSQL only),
// and the merge updated that contact instead of creating ours.
func (p upsertPlan) checkMerged(merged []string) error {
	want := map[string]bool{}
	for _, c := range p {
		if c.status != UpsertUnchanged {
			want[c.row.ID] = true
		}
	}
	for _, id := range merged {
		if !want[id] {
			return fmt.Errorf("contact %s was written by another request during this one: retry: %w", id, ErrConflict)
		}
	}
	if len(merged) != len(want) {
		return fmt.Errorf("write contacts: %d rows written, %d expected", len(merged), len(want))
	}
	return nil
}

func keysOf(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
