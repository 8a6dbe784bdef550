package calllog

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-oss/switchboard/store"
)

// Queue is the job queue of drain and sweep jobs.
const Queue = "crm_call_log"

// QueueWorkers is how many jobs of Queue one instance works at once: each
// drain job serves one CRM connection, so this many connections drain in
// parallel on one instance.
const QueueWorkers = 10

// SweepInterval is how often the periodic job enqueues drain jobs for
// connections with due logs.
const SweepInterval = 30 * time.Second

// drainMaxAttempts bounds the retries of one drain job during an outage.
// The sweeper enqueues a new one after River discards it.
const drainMaxAttempts = 100

// maxSweptConnections is how many connections one sweep enqueues.
const maxSweptConnections = 1000

// openJobStates are the states in which a sweep job keeps another from
// being inserted.
var openJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// DrainArgs is a job that writes the due call logs of one CRM connection.
type DrainArgs struct {
	WorkspaceID  string `json:"workspace_id"`
	ConnectionID string `json:"connection_id"`
}

// Kind names the job.
func (DrainArgs) Kind() string { return "crm_call_log_drain" }

// InsertOpts sends drain jobs to Queue. They are not unique: a job
// inserted while another drains the connection must still run, because
// the other may be past its last look at the due logs. The drain lease
// keeps the extra jobs from draining at the same time.
func (DrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: drainMaxAttempts}
}

// drainWorker works DrainArgs jobs.
type drainWorker struct {
	river.WorkerDefaults[DrainArgs]
	svc *Service
}

// Timeout leaves the job time to finish the requests in flight after its
// budget.
func (w *drainWorker) Timeout(*river.Job[DrainArgs]) time.Duration {
	return w.svc.cfg.DrainBudget + time.Minute
}

// NextRetry backs off exponentially with ±20% jitter after an
// unavailable CRM.
func (w *drainWorker) NextRetry(job *river.Job[DrainArgs]) time.Time {
	return w.svc.now().Add(w.svc.backoff(job.Attempt))
}

// Work drains the connection's due logs.
func (w *drainWorker) Work(ctx context.Context, job *river.Job[DrainArgs]) error {
	return w.svc.drain(ctx, job.Args, strconv.FormatInt(job.ID, 10), job.Attempt)
}

// backoff returns the wait before retry number attempt (1 for the first).
func (s *Service) backoff(attempt int) time.Duration {
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(s.baseBackoff(attempt)) * jitter)
}

// maxBackoff is the longest wait backoff(attempt) can return.
func (s *Service) maxBackoff(attempt int) time.Duration {
	return s.baseBackoff(attempt) * 6 / 5
}

func (s *Service) baseBackoff(attempt int) time.Duration {
	wait := s.cfg.RetryBase
	for i := 1; i < attempt && wait < s.cfg.RetryCap; i++ {
		wait *= 2
	}
	return min(wait, s.cfg.RetryCap)
}

// sweepArgs is the periodic job that wakes connections with due logs.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "crm_call_log_sweep" }

func (sweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: openJobStates}}
}

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	svc *Service
}

// Work enqueues a drain job for every connection with a log due now.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	due, err := w.svc.store.ListConnectionsWithDueCallLogs(ctx, store.Millis(w.svc.now()), maxSweptConnections)
	if err != nil || len(due) == 0 {
		return err
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("enqueue call log drains: %w", err)
	}
	params := make([]river.InsertManyParams, len(due))
	for i, c := range due {
		params[i] = river.InsertManyParams{Args: DrainArgs{WorkspaceID: c.WorkspaceID, ConnectionID: c.ConnectionID}}
	}
	return w.svc.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := client.InsertManyTx(ctx, q.Tx(), params); err != nil {
			return fmt.Errorf("enqueue call log drains: %w", err)
		}
		return nil
	})
}

// AddWorkers registers the drain and sweep workers in workers. Register
// before jobs.New, give the queue Queue with QueueWorkers, call SetQueue
// with the built queue, and add PeriodicJob to the client.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, &drainWorker{svc: s})
	river.AddWorker(workers, &sweepWorker{svc: s})
}

// PeriodicJob returns the sweep job, run every SweepInterval on the River
// leader.
func PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "crm_call_log_sweep", RunOnStart: true})
}
