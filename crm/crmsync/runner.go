package crmsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/store"
)

// runner is one call of RunOnce: the stored state and run as last
// committed, and the position in the CRM's listing.
type runner struct {
	e           *Engine
	conn        crmconn.Connection
	phonebookID string
	state       store.CRMSyncState
	run         store.CRMSyncRun
	progress    progress
	// errors are the record failures kept with the run.
	errors []string
	// fatal is the error that stopped the run, once end has it.
	fatal string
}

// start loads the connection and its sync state, and resumes the
// interrupted run or starts a new one. The phonebook is created later, by
// the first page the run stores, so a run that reads nothing leaves no
// empty phonebook behind.
func (e *Engine) start(ctx context.Context, workspaceID, id string) (*runner, error) {
	conn, err := e.conns.Get(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	state, err := e.loadState(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	r := &runner{e: e, conn: conn, state: state, phonebookID: conn.PhonebookID}

	noPhonebook := conn.PhonebookID == ""
	resumed, err := r.resume(ctx, noPhonebook)
	if err != nil || resumed {
		return r, err
	}
	return r, r.begin(ctx, noPhonebook)
}

// loadState returns the stored sync state of the connection, or an idle
// state without checkpoint when it was never synced.
func (e *Engine) loadState(ctx context.Context, workspaceID, id string) (store.CRMSyncState, error) {
	state, err := e.store.GetSyncState(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.CRMSyncState{ConnectionID: id, WorkspaceID: workspaceID, State: store.CRMSyncIdle}, nil
	}
	return state, err
}

// ensurePhonebook creates the connection's phonebook when it has none, as
// before its first stored page or after the phonebook was deleted.
func (r *runner) ensurePhonebook(ctx context.Context) error {
	if r.phonebookID != "" {
		return nil
	}

	pb := store.Phonebook{
		WorkspaceID: r.conn.WorkspaceID,
		Name:        r.conn.Name,
		Description: fmt.Sprintf("Contacts synced from the CRM connection %q.", r.conn.Name),
		Source:      string(r.conn.Kind),
	}
	err := r.e.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.CreatePhonebook(ctx, &pb); err != nil {
			return err
		}
		return q.SetCRMConnectionPhonebook(ctx, r.conn.WorkspaceID, r.conn.ID, pb.ID)
	})
	if err != nil {
		return fmt.Errorf("create the phonebook of CRM connection %s: %w", r.conn.ID, err)
	}
	r.phonebookID = pb.ID
	r.conn.PhonebookID = pb.ID
	r.e.log.Info("CRM sync created its phonebook", r.fields(zap.String("phonebook_id", pb.ID))...)
	return nil
}

// resume continues the interrupted run: the one still running after a
// rate limit, or the one that failed on an error that waiting may cure,
// whose position crm_sync_state keeps. A run whose phonebook was deleted
// after it stored a page is closed as failed instead, because its
// position means nothing in a new phonebook.
func (r *runner) resume(ctx context.Context, noPhonebook bool) (bool, error) {
	if r.state.RunID == "" {
		return false, nil
	}
	run, err := r.e.store.GetSyncRun(ctx, r.conn.ID, r.state.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	interrupted := run.State == store.CRMSyncFailed && r.state.Cursor != ""
	if run.State != store.CRMSyncRunning && !interrupted {
		return false, nil
	}

	p := decodeProgress(r.state.Cursor)
	errs := splitErrors(run.Error)
	if interrupted && len(errs) > 0 {
		errs = errs[1:] // the interruption, which interrupt stored first
	}
	if noPhonebook && p != (progress{}) {
		run.State = store.CRMSyncFailed
		run.Error = joinErrors("the phonebook was deleted during the run; a full run starts in a new phonebook", errs)
		return false, r.e.store.FinishSyncRun(ctx, &run)
	}
	if interrupted {
		run.State, run.FinishedAt, run.Error = store.CRMSyncRunning, nil, joinErrors("", errs)
		if err := r.e.store.ReopenSyncRun(ctx, &run); err != nil {
			return false, err
		}
	}
	r.run = run
	r.errors = errs
	r.progress = p
	r.e.log.Info("CRM sync run resumed", r.fields()...)
	return true, nil
}

// begin starts a run: full when there is no checkpoint or the phonebook is
// missing or empty, incremental otherwise.
func (r *runner) begin(ctx context.Context, noPhonebook bool) error {
	full := noPhonebook || r.state.Checkpoint.IsZero()
	if !full {
		n, err := r.e.store.CountContacts(ctx, r.conn.WorkspaceID, r.phonebookID)
		if err != nil {
			return err
		}
		full = n == 0
	}

	state := r.state
	run := store.CRMSyncRun{ConnectionID: r.conn.ID, WorkspaceID: r.conn.WorkspaceID, Mode: ModeIncremental}
	if full {
		run.Mode = ModeFull
		state.Checkpoint = store.UnixMilli{}
	}
	err := r.e.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.InsertSyncRun(ctx, &run); err != nil {
			return err
		}
		state.RunID, state.Cursor, state.State, state.LastError = run.ID, encodeProgress(progress{}), store.CRMSyncRunning, ""
		return q.SaveSyncState(ctx, &state)
	})
	if err != nil {
		return err
	}

	r.state, r.run, r.progress, r.errors = state, run, progress{}, nil
	r.e.log.Info("CRM sync run started", r.fields(zap.String("mode", run.Mode))...)
	return nil
}

// interval is the time between two scheduled runs of the connection.
func (r *runner) interval() time.Duration {
	seconds := r.conn.SyncIntervalSeconds
	if seconds <= 0 {
		seconds = store.DefaultCRMSyncIntervalSeconds
	}
	return time.Duration(seconds) * time.Second
}

// nextRunAt returns the time after wait from now.
func (r *runner) nextRunAt(wait time.Duration) *store.UnixMilli {
	at := store.Millis(r.e.now().Add(wait))
	return &at
}

// fail ends the run for good: it keeps the checkpoint, drops the position,
// so the next run starts again from the checkpoint, and stores the reason
// as the run's first error and as last_error.
func (r *runner) fail(ctx context.Context, cause error) error {
	r.fatal = lastError(cause)
	run, state := r.run, r.state
	run.State = store.CRMSyncFailed
	run.Error = joinErrors(r.fatal, r.errors)
	state.RunID, state.Cursor, state.State = "", "", store.CRMSyncFailed
	state.LastError, state.NextRunAt = r.fatal, r.nextRunAt(r.interval())

	err := r.e.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.FinishSyncRun(ctx, &run); err != nil {
			return err
		}
		return q.SaveSyncState(ctx, &state)
	})
	if err != nil {
		return fmt.Errorf("record the failure of sync run %s: %w", r.run.ID, err)
	}
	r.run, r.state = run, state
	r.e.log.Warn("CRM sync run failed", r.fields(zap.Error(cause))...)
	return nil
}

// snooze leaves the run running after a rate limit, so the next RunOnce
// resumes it from the last stored page, and sets when to try again.
func (r *runner) snooze(ctx context.Context, cause error, wait time.Duration) error {
	r.fatal = lastError(cause)
	state := r.state
	state.State, state.LastError, state.NextRunAt = store.CRMSyncRunning, r.fatal, r.nextRunAt(wait)
	if err := r.e.store.SaveSyncState(ctx, &state); err != nil {
		return fmt.Errorf("record the rate limit of sync run %s: %w", r.run.ID, err)
	}
	r.state = state
	r.e.log.Warn("CRM sync run rate-limited; it resumes at the last stored page",
		r.fields(zap.Duration("retry_in", wait), zap.Error(cause))...)
	return nil
}

// interrupt ends the run as failed with cause after an error that waiting
// may cure, such as an unreachable CRM. Unlike fail, it keeps the run id
// and the position in crm_sync_state, so the run the scheduler starts at
// next_run_at reopens this run and resumes at its last stored page.
func (r *runner) interrupt(ctx context.Context, cause error, wait time.Duration) error {
	r.fatal = lastError(cause)
	run, state := r.run, r.state
	run.State = store.CRMSyncFailed
	run.Error = joinErrors(r.fatal, r.errors)
	state.State, state.LastError, state.NextRunAt = store.CRMSyncFailed, r.fatal, r.nextRunAt(wait)

	err := r.e.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.FinishSyncRun(ctx, &run); err != nil {
			return err
		}
		return q.SaveSyncState(ctx, &state)
	})
	if err != nil {
		return fmt.Errorf("record the interruption of sync run %s: %w", r.run.ID, err)
	}
	r.run, r.state = run, state
	r.e.log.Warn("CRM sync run interrupted; it resumes at the last stored page",
		r.fields(zap.Duration("retry_in", wait), zap.Error(cause))...)
	return nil
}

// result returns the run with its counts so far.
func (r *runner) result() Run {
	run := Run{
		ID: r.run.ID, ConnectionID: r.conn.ID, WorkspaceID: r.conn.WorkspaceID, Mode: r.run.Mode, State: r.run.State,
		StartedAt: r.run.StartedAt.Time, Created: r.run.Created, Updated: r.run.Updated, Unchanged: r.progress.Unchanged,
		Deleted: r.run.Deleted, Failed: r.run.Failed, Errors: splitErrors(r.run.Error),
	}
	if r.run.FinishedAt != nil {
		finished := r.run.FinishedAt.Time
		run.FinishedAt = &finished
	}
	return run
}

func (r *runner) logDone() {
	r.e.log.Info("CRM sync run finished", r.fields(
		zap.Int("created", r.run.Created), zap.Int("updated", r.run.Updated), zap.Int("unchanged", r.progress.Unchanged),
		zap.Int("deleted", r.run.Deleted), zap.Int("failed", r.run.Failed))...)
}

// fields are the log fields of every line about the run.
func (r *runner) fields(extra ...zap.Field) []zap.Field {
	return append([]zap.Field{
		zap.String("workspace_id", r.conn.WorkspaceID), zap.String("crm_connection_id", r.conn.ID), zap.String("run_id", r.run.ID),
	}, extra...)
}

// joinErrors returns the errors of a run as crm_sync_runs.error stores
// them: one per line, the error that stopped the run first.
func joinErrors(fatal string, records []string) string {
	lines := make([]string, 0, len(records)+1)
	if fatal != "" {
		lines = append(lines, oneLine(fatal))
	}
	for _, e := range records {
		lines = append(lines, oneLine(e))
	}
	return strings.Join(lines, "\n")
}

// splitErrors reverses joinErrors.
func splitErrors(text string) []string {
	if text == "" {
		return []string{}
	}
	return strings.Split(text, "\n")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
