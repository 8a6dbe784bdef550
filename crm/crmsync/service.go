package crmsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/store"
)

// ErrNoQueue is returned by Service.Request when the service has no job
// queue to enqueue the run in.
var ErrNoQueue = errors.New("the job queue that runs CRM syncs is not configured")

// MaxRunsLimit is the largest number of runs Service.Runs returns.
const MaxRunsLimit = 100

// Service reads the sync state and history of CRM connections and
// enqueues runs on demand, for the API.
type Service struct {
	store *store.Store
	queue *jobs.Queue
}

// NewService returns the service over st. A nil queue serves the state
// and history, and Request returns ErrNoQueue.
func NewService(st *store.Store, queue *jobs.Queue) *Service {
	return &Service{store: st, queue: queue}
}

// Status is the sync state of one connection and its latest run.
type Status struct {
	ConnectionID        string
	SyncEnabled         bool
	SyncIntervalSeconds int
	PhonebookID         string
	// State is store.CRMSyncIdle, CRMSyncRunning or CRMSyncFailed.
	State string
	// Checkpoint is the change time up to which every record was read;
	// zero before the first complete run.
	Checkpoint time.Time
	// NextRunAt is when the scheduler enqueues the next run; nil means at
	// its next tick when sync is enabled.
	NextRunAt *time.Time
	LastError string
	// LastRun is the latest run, finished or not; nil before the first.
	LastRun *Run
}

// Status returns the sync state of the connection id of workspaceID.
func (s *Service) Status(ctx context.Context, workspaceID, id string) (Status, error) {
	conn, err := s.store.GetCRMConnection(ctx, workspaceID, id)
	if err != nil {
		return Status{}, err
	}

	status := Status{
		ConnectionID: conn.ID, SyncEnabled: conn.SyncEnabled, SyncIntervalSeconds: conn.SyncIntervalSeconds,
		State: store.CRMSyncIdle,
	}
	if conn.PhonebookID != nil {
		status.PhonebookID = *conn.PhonebookID
	}
	state, err := s.store.GetSyncState(ctx, id)
	switch {
	case err == nil:
		status.State, status.Checkpoint, status.LastError = state.State, state.Checkpoint.Time, state.LastError
		if state.NextRunAt != nil {
			next := state.NextRunAt.Time
			status.NextRunAt = &next
		}
	case !errors.Is(err, store.ErrNotFound):
		return Status{}, err
	}

	runs, err := s.store.ListSyncRuns(ctx, id, 1)
	if err != nil {
		return Status{}, err
	}
	if len(runs) > 0 {
		last := runOf(runs[0])
		status.LastRun = &last
	}
	return status, nil
}

// Request enqueues a run of the connection id of workspaceID now and
// returns its status. When a run of it is already queued or running, no
// second one is enqueued, and a run that waits for a retry starts now.
func (s *Service) Request(ctx context.Context, workspaceID, id string) (Status, error) {
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.GetCRMConnection(ctx, workspaceID, id); err != nil {
			return err
		}
		if s.queue == nil {
			return ErrNoQueue
		}
		return s.queue.InsertNowTx(ctx, q, RunArgs{WorkspaceID: workspaceID, ConnectionID: id}, nil)
	})
	if err != nil {
		return Status{}, err
	}
	return s.Status(ctx, workspaceID, id)
}

// Runs returns up to limit runs of the connection id of workspaceID, the
// latest first. limit must be 1 to MaxRunsLimit.
func (s *Service) Runs(ctx context.Context, workspaceID, id string, limit int) ([]Run, error) {
	if limit < 1 || limit > MaxRunsLimit {
		return nil, fmt.Errorf("list sync runs: limit is %d, it must be 1 to %d", limit, MaxRunsLimit)
	}
	if _, err := s.store.GetCRMConnection(ctx, workspaceID, id); err != nil {
		return nil, err
	}

	rows, err := s.store.ListSyncRuns(ctx, id, limit)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, len(rows))
	for i, row := range rows {
		runs[i] = runOf(row)
	}
	return runs, nil
}

// runOf converts a stored run; Unchanged stays 0 (see Run).
func runOf(row store.CRMSyncRun) Run {
	run := Run{
		ID: row.ID, ConnectionID: row.ConnectionID, WorkspaceID: row.WorkspaceID, Mode: row.Mode, State: row.State,
		StartedAt: row.StartedAt.Time, Created: row.Created, Updated: row.Updated, Deleted: row.Deleted,
		Failed: row.Failed, Errors: splitErrors(row.Error),
	}
	if row.FinishedAt != nil {
		finished := row.FinishedAt.Time
		run.FinishedAt = &finished
	}
	return run
}
