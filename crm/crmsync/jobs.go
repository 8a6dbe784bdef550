package crmsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/store"
)

// Queue is the job queue of sync runs and of the scheduler.
const Queue = "crm_sync"

// QueueWorkers is how many jobs of Queue one instance works at once: a few
// connections sync in parallel, and each run is one job.
const QueueWorkers = 3

// ScheduleInterval is how often the periodic job looks for connections
// whose next run is due, so a run starts up to this long after
// next_run_at.
const ScheduleInterval = time.Minute

// RunTimeout bounds one job of a run. A run that takes longer stops at
// its last stored page and its next attempt resumes there. It stays below
// River's default RescueStuckJobsAfter (1 hour), so a slow run is not
// taken for the run of a crashed process.
const RunTimeout = 30 * time.Minute

// maxAttempts is how often a run job is tried before River discards it;
// the scheduler enqueues a new one at next_run_at after that.
const maxAttempts = 5

// maxDueConnections is how many due connections one scheduler job
// enqueues; the rest wait for the next tick.
const maxDueConnections = 1000

// defaultSnooze is the wait after a 429 that names no Retry-After.
const defaultSnooze = 30 * time.Second

// openJobStates are the states in which a job keeps another one of the
// same arguments from being inserted. A completed, cancelled or discarded
// job does not, so the next run can be enqueued as soon as one ends.
var openJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// RunArgs is a job that runs the sync of one connection.
type RunArgs struct {
	WorkspaceID  string `json:"workspace_id"`
	ConnectionID string `json:"connection_id"`
}

// Kind names the job.
func (RunArgs) Kind() string { return "crm_sync" }

// InsertOpts makes run jobs unique per connection while one is open.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       Queue,
		MaxAttempts: maxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: openJobStates},
	}
}

// RunWorker works RunArgs jobs with an Engine.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	engine *Engine
}

// Timeout returns RunTimeout.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return RunTimeout }

// Work runs the sync once and turns its error into River's outcome. A
// rate limit snoozes the job. A run that failed or was interrupted, and a
// deleted connection, cancel it, because the scheduler starts the next
// run at next_run_at. Any other error, such as a database error while
// recording the run, retries it with backoff.
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	_, err := w.engine.RunOnce(ctx, job.Args.WorkspaceID, job.Args.ConnectionID)
	return jobError(err)
}

func jobError(err error) error {
	if err == nil {
		return nil
	}
	var limited *crm.RateLimitedError
	switch {
	case errors.Is(err, ErrRunFailed), errors.Is(err, ErrRunInterrupted), errors.Is(err, store.ErrNotFound):
		return river.JobCancel(err)
	case errors.As(err, &limited):
		wait := limited.RetryAfter
		if wait <= 0 {
			wait = defaultSnooze
		}
		return river.JobSnooze(min(wait, jobs.MaxSnooze))
	}
	return err
}

// scheduleArgs is the periodic job that enqueues the due runs.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "crm_sync_schedule" }

func (scheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: openJobStates}}
}

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	store *store.Store
	now   func() time.Time
}

// Work enqueues a run for every connection with sync enabled whose next
// run is due. Connections with a run job open are skipped by uniqueness.
func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	due, err := w.store.ListDueCRMSyncs(ctx, store.Millis(w.now()), maxDueConnections)
	if err != nil || len(due) == 0 {
		return err
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("enqueue due CRM syncs: %w", err)
	}

	params := make([]river.InsertManyParams, len(due))
	for i, ref := range due {
		params[i] = river.InsertManyParams{Args: RunArgs{WorkspaceID: ref.WorkspaceID, ConnectionID: ref.ID}}
	}
	return w.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := client.InsertManyTx(ctx, q.Tx(), params); err != nil {
			return fmt.Errorf("enqueue due CRM syncs: %w", err)
		}
		return nil
	})
}

// AddWorkers registers the run and scheduler workers in workers. Register
// before jobs.New, give the queue Queue with QueueWorkers, and add
// PeriodicJob to the client afterwards.
func AddWorkers(workers *river.Workers, engine *Engine) {
	river.AddWorker(workers, &RunWorker{engine: engine})
	river.AddWorker(workers, &scheduleWorker{store: engine.store, now: engine.now})
}

// PeriodicJob returns the periodic job that enqueues due runs every
// ScheduleInterval. River runs periodic jobs on its elected leader only,
// so one instance schedules for all.
func PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ScheduleInterval),
		func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
		&river.PeriodicJobOpts{ID: "crm_sync_schedule", RunOnStart: true})
}
