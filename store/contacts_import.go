package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
)

// ImportChunkSize is how many rows a caller should pass to one
// ImportContacts call: large enough that the per-call statements are a
// small share of the work, small enough that a chunk's rows, statements
// and transaction stay a few megabytes.
const ImportChunkSize = 5000

// ImportCounts is the number of imported rows that created, updated or
// left unchanged a contact.
type ImportCounts struct {
	Created   int
	Updated   int
	Unchanged int
}

// ImportContacts imports one chunk of rows in one transaction. See
// Queries.ImportContacts.
func (s *Store) ImportContacts(ctx context.Context, workspaceID, phonebookID string, items []Contact) (counts ImportCounts, err error) {
	err = s.InTx(ctx, func(q *Queries) error {
		counts, err = q.ImportContacts(ctx, workspaceID, phonebookID, items)
		return err
	})
	return counts, err
}

// ImportContacts writes one chunk of imported rows into the phonebook with
// the semantics of UpsertContacts, except that items without ExternalID
// are inserted as new contacts. External ids must be distinct within the
// chunk; across chunks a later row updates the contact of an earlier one.
// Pass chunks of about ImportChunkSize rows: each chunk is held in memory
// and written in one transaction. On PostgreSQL it must run inside a
// transaction (Store.ImportContacts opens one) because COPY requires it.
func (q *Queries) ImportContacts(ctx context.Context, workspaceID, phonebookID string, items []Contact) (ImportCounts, error) {
	counts, _, err := q.ImportContactResults(ctx, workspaceID, phonebookID, items)
	return counts, err
}

// ImportContactResults is ImportContacts that also returns the outcome of
// each item, in input order, for callers that record events about the
// contacts written.
func (q *Queries) ImportContactResults(ctx context.Context, workspaceID, phonebookID string, items []Contact) (ImportCounts, []UpsertResult, error) {
	plan, err := q.planUpserts(ctx, workspaceID, phonebookID, items)
	if err != nil {
		return ImportCounts{}, nil, err
	}
	if err := q.bulkWriteContacts(ctx, workspaceID, plan); err != nil {
		return ImportCounts{}, nil, err
	}

	results := make([]UpsertResult, len(plan))
	for i, item := range plan {
		results[i] = UpsertResult{ID: item.row.ID, Status: item.status}
	}
	return plan.counts(), results, nil
}

// bulkWriteContacts writes the created and updated rows of plan with their
// lookup rows. It is the one place where import differs per database:
// PostgreSQL streams the rows with COPY, SQLite runs multi-row statements,
// cheap there because the database is in-process.
func (q *Queries) bulkWriteContacts(ctx context.Context, workspaceID string, plan upsertPlan) error {
	if q.dialect.bulkLoadsWithCopy() {
		return q.copyContactRows(ctx, workspaceID, plan)
	}
	if err := q.mergeContactRows(ctx, plan); err != nil {
		return err
	}
	return q.writeLookups(ctx, workspaceID, plan.written(), plan.updatedIDs())
}

// copyContactRows streams the written rows of plan with COPY into a
// temporary staging table, dropped at commit, merges them into contacts
// with INSERT … SELECT … ON CONFLICT, and streams the new lookup rows with
// COPY straight into their tables.
func (q *Queries) copyContactRows(ctx context.Context, workspaceID string, plan upsertPlan) error {
	tx := q.Tx()
	if tx == nil {
		return fmt.Errorf("import contacts: COPY needs a transaction: call Queries.ImportContacts inside InTx, or use Store.ImportContacts")
	}
	values := plan.mergeValues()
	if len(values) == 0 {
		return nil
	}

	if _, err := q.exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS contact_import_staging (LIKE contacts) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("create import staging table: %w", err)
	}
	// A second chunk in the same transaction finds the first one's rows.
	if _, err := q.exec(ctx, `TRUNCATE contact_import_staging`); err != nil {
		return fmt.Errorf("empty import staging table: %w", err)
	}
	if err := copyRows(ctx, tx, "contact_import_staging", contactWriteColumns, values); err != nil {
		return err
	}

	var merged []string
	if err := q.selectAll(ctx, &merged, `INSERT INTO contacts (`+contactWriteColumns+`)
		SELECT `+contactWriteColumns+` FROM contact_import_staging`+mergeConflictClause); err != nil {
		return fmt.Errorf("merge imported contacts: %w", err)
	}
	if err := plan.checkMerged(merged); err != nil {
		return err
	}

	return q.copyLookups(ctx, tx, workspaceID, plan)
}

// copyLookups replaces the lookup rows of the written contacts of plan.
func (q *Queries) copyLookups(ctx context.Context, tx *sql.Tx, workspaceID string, plan upsertPlan) error {
	if updated := plan.updatedIDs(); len(updated) > 0 {
		for _, table := range []string{"contact_phones", "contact_emails"} {
			if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE workspace_id = ? AND contact_id = ANY(?)`,
				workspaceID, pq.Array(updated)); err != nil {
				return fmt.Errorf("delete old %s rows: %w", table, err)
			}
		}
	}

	phones, emails := lookupValues(plan.written())
	if err := copyRows(ctx, tx, "contact_phones", "contact_id, workspace_id, phonebook_id, e164", phones); err != nil {
		return err
	}
	return copyRows(ctx, tx, "contact_emails", "contact_id, workspace_id, phonebook_id, email", emails)
}

// copyRows streams rows into table with COPY FROM STDIN (PostgreSQL only).
// table and columns are constants of the callers.
func copyRows(ctx context.Context, tx *sql.Tx, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `COPY `+table+` (`+columns+`) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("start COPY into %s: %w", table, err)
	}
	defer stmt.Close()

	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("COPY into %s: %w", table, err)
		}
	}
	// The call without arguments ends the stream and returns errors of
	// rows sent before.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("COPY into %s: %w", table, err)
	}
	return nil
}

// counts returns how many items of p have each status.
func (p upsertPlan) counts() ImportCounts {
	var c ImportCounts
	for _, item := range p {
		switch item.status {
		case UpsertCreated:
			c.Created++
		case UpsertUpdated:
			c.Updated++
		case UpsertUnchanged:
			c.Unchanged++
		}
	}
	return c
}

// AnalyzeContacts refreshes the query planner's statistics of the contact
// tables. PostgreSQL without fresh statistics lists a large workspace by
// sorting all of it; autovacuum catches up only minutes after a bulk load.
// A failure is ignored: statistics only speed queries up.
func (s *Store) AnalyzeContacts(ctx context.Context) {
	statement := `PRAGMA optimize`
	if s.dialect == Postgres {
		statement = `ANALYZE contacts, contact_phones, contact_emails`
	}
	_, _ = s.db.ExecContext(ctx, statement)
}
