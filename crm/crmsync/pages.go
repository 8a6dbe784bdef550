package crmsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
)

// progress is the position of a run in progress, stored as JSON in
// crm_sync_state.cursor: the connector's cursor of the next page, the
// latest change time read so far, and the unchanged count, which
// crm_sync_runs has no column for.
type progress struct {
	Page string `json:"page,omitempty"`
	// SeenUntil is the latest UpdatedAt read, in Unix milliseconds.
	SeenUntil int64 `json:"seen_until,omitempty"`
	Unchanged int   `json:"unchanged,omitempty"`
}

func encodeProgress(p progress) string {
	encoded, _ := json.Marshal(p) // strings and integers only
	return string(encoded)
}

// decodeProgress reads a stored position. One that cannot be read starts
// the listing again from the checkpoint, which rereads pages but loses
// nothing.
func decodeProgress(text string) progress {
	var p progress
	if json.Unmarshal([]byte(text), &p) != nil {
		return progress{}
	}
	return p
}

// page is the work one page of records gives.
type page struct {
	items   []json.RawMessage
	itemIDs []string
	deletes []string
	failed  []string
	// seenUntil is the latest UpdatedAt among the records.
	seenUntil time.Time
}

// sync opens the connector and reads pages from the stored position to
// the end of the listing.
func (r *runner) sync(ctx context.Context) error {
	conn, connector, err := r.e.conns.Open(ctx, r.conn.WorkspaceID, r.conn.ID)
	if err != nil {
		return err
	}
	m := conn.EffectiveMapping()
	if err := mapping.Validate(m, nil); err != nil {
		return fmt.Errorf("%w: the field mapping is invalid: %w", ErrRunFailed, err)
	}
	workspace, err := r.e.store.GetWorkspace(ctx, conn.WorkspaceID)
	if err != nil {
		return err
	}

	since := r.state.Checkpoint.Time
	if r.progress.Page != "" && r.progress.SeenUntil != 0 {
		// An interrupted run lists again from the latest change it stored
		// rather than from the connector's page cursor. Listings are in
		// change order, so nothing before that time is missed, while a
		// cursor that is an offset (HubSpot's search) would skip records
		// that changed during the interruption and moved up the order.
		since = time.UnixMilli(r.progress.SeenUntil)
		r.progress.Page = ""
	}
	for {
		listed, err := connector.ListChanged(ctx, since, r.progress.Page)
		if err != nil {
			return listError(err)
		}
		if listed.Next != "" && listed.Next == r.progress.Page {
			return fmt.Errorf("%w: the %s connector returned the same page cursor twice", ErrRunFailed, conn.Kind)
		}

		work := prepare(m, workspace.DefaultRegion, listed.Records)
		if err := r.apply(ctx, work, listed.Next); err != nil {
			return err
		}
		if listed.Next == "" {
			return nil
		}
	}
}

// listError marks an error of ListChanged terminal unless waiting may
// cure it: a rate limit, an unavailable CRM or a cancelled context.
func listError(err error) error {
	var limited *crm.RateLimitedError
	switch {
	case errors.As(err, &limited), errors.Is(err, crm.ErrUnauthorized):
		return err
	case errors.Is(err, crm.ErrUnavailable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", ErrRunFailed, err)
}

// prepare maps the records of one page. A record listed twice counts
// once, as its last version.
func prepare(m mapping.Mapping, region string, records []crm.Record) page {
	last := make(map[string]int, len(records))
	for i, rec := range records {
		last[rec.ID] = i
	}

	var work page
	for i, rec := range records {
		if last[rec.ID] != i {
			continue
		}
		if rec.UpdatedAt.After(work.seenUntil) {
			work.seenUntil = rec.UpdatedAt
		}
		if rec.Archived {
			work.deletes = append(work.deletes, rec.ID)
			continue
		}
		item, err := mapRecord(m, region, rec)
		if err != nil {
			work.failed = append(work.failed, fmt.Sprintf("record %s: %v", rec.ID, err))
			continue
		}
		work.items = append(work.items, item)
		work.itemIDs = append(work.itemIDs, rec.ID)
	}
	return work
}

// apply writes one page and stores the position of the next one. The
// upserts commit first, then the deletions, the counts and the position in
// one transaction; next == "" completes the run in that transaction.
func (r *runner) apply(ctx context.Context, work page, next string) error {
	if err := r.ensurePhonebook(ctx); err != nil {
		return err
	}
	counts := r.run
	unchanged := r.progress.Unchanged
	errs := append([]string(nil), r.errors...)
	fail := func(reason string) {
		counts.Failed++
		if len(errs) < MaxRunErrors {
			errs = append(errs, oneLine(reason))
		}
	}
	for _, reason := range work.failed {
		fail(reason)
	}

	for start := 0; start < len(work.items); start += directory.MaxBatchSize {
		end := min(start+directory.MaxBatchSize, len(work.items))
		report, err := r.e.directory.UpsertRecords(ctx, r.conn.WorkspaceID, r.phonebookID, work.items[start:end])
		if err != nil {
			return fmt.Errorf("write contacts of sync run %s: %w", r.run.ID, err)
		}
		counts.Created += report.Created
		counts.Updated += report.Updated
		unchanged += report.Unchanged
		for _, result := range report.Results {
			if result.Error != nil {
				fail(batchFailure(work.itemIDs[start+result.Index], result.Error))
			}
		}
	}

	p := progress{Page: next, SeenUntil: r.progress.SeenUntil, Unchanged: unchanged}
	if ms := work.seenUntil.UnixMilli(); !work.seenUntil.IsZero() && ms > p.SeenUntil {
		p.SeenUntil = ms
	}
	counts.Error = joinErrors("", errs)
	return r.commit(ctx, work.deletes, counts, p, errs)
}

// commit stores the deletions of a page with the run's counts and
// position, and completes the run when the position is the end.
func (r *runner) commit(ctx context.Context, deletes []string, run store.CRMSyncRun, p progress, errs []string) error {
	state := r.state
	done := p.Page == ""
	if done {
		run.State = store.CRMSyncSucceeded
		state.RunID, state.Cursor, state.State, state.LastError = "", "", store.CRMSyncIdle, ""
		state.NextRunAt = r.nextRunAt(r.interval())
		if seen := store.Millis(time.UnixMilli(p.SeenUntil)); p.SeenUntil != 0 && seen.After(state.Checkpoint.Time) {
			state.Checkpoint = seen
		}
	} else {
		state.Cursor = encodeProgress(p)
	}

	err := r.e.store.InTx(ctx, func(q *store.Queries) error {
		deleted, err := q.DeleteContactsByExternalID(ctx, r.conn.WorkspaceID, r.phonebookID, deletes)
		if err != nil {
			return err
		}
		run.Deleted += deleted
		if done {
			err = q.FinishSyncRun(ctx, &run)
		} else {
			err = q.SaveSyncRunProgress(ctx, &run)
		}
		if err != nil {
			return err
		}
		return q.SaveSyncState(ctx, &state)
	})
	if err != nil {
		return fmt.Errorf("store the progress of sync run %s: %w", r.run.ID, err)
	}
	r.run, r.state, r.progress, r.errors = run, state, p, errs
	return nil
}

// batchFailure describes a record the directory rejected, naming each
// invalid field.
func batchFailure(recordID string, e *directory.BatchError) string {
	text := "record " + recordID + ": " + e.Title
	for i, field := range e.InvalidParams {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		text += sep + field.Field + " " + field.Reason
	}
	return text
}
