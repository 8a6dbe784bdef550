package crmsync

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// waitLimit bounds every wait for River to run a job. It is far above the
// seconds a run takes, so only a job that never runs reaches it.
const waitLimit = 60 * time.Second

// newQueue returns a job queue on the fixture's store with the sync
// workers, not started, and stopped when the test ends.
func (f *fixture) newQueue(t *testing.T) *jobs.Queue {
	t.Helper()
	_, err := jobs.Migrate(f.ctx, f.st)
	require.NoError(t, err)
	workers := river.NewWorkers()
	AddWorkers(workers, f.engine)
	q, err := jobs.New(jobs.Config{Store: f.st, Log: zaptest.NewLogger(t), Workers: workers, Queues: map[string]int{Queue: QueueWorkers}})
	require.NoError(t, err)
	t.Cleanup(func() { q.Stop(f.ctx) })
	return q
}

// jobKinds returns the kind of every job in the database.
func (f *fixture) jobKinds(t *testing.T, q *jobs.Queue) []string {
	t.Helper()
	res, err := q.Client().JobList(f.ctx, river.NewJobListParams().First(100))
	require.NoError(t, err)
	var kinds []string
	for _, job := range res.Jobs {
		kinds = append(kinds, job.Kind)
	}
	return kinds
}

func TestRequestEnqueuesOneRunPerConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		q := f.newQueue(t)
		svc := NewService(st, q)

		status, err := svc.Request(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		_, err = svc.Request(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)

		require.Equal(t, store.CRMSyncIdle, status.State)
		require.Nil(t, status.LastRun)
		require.Equal(t, []string{"crm_sync"}, f.jobKinds(t, q))
	})
}

func TestRequestStartsWaitingRunNow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		q := f.newQueue(t)
		later := time.Now().Add(time.Hour)
		waiting, err := q.Client().Insert(f.ctx, RunArgs{WorkspaceID: f.ws, ConnectionID: f.conn.ID}, &river.InsertOpts{ScheduledAt: later})
		require.NoError(t, err)
		require.Equal(t, rivertype.JobStateScheduled, waiting.Job.State)

		_, err = NewService(st, q).Request(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)

		res, err := q.Client().JobList(f.ctx, river.NewJobListParams().First(10))
		require.NoError(t, err)
		require.Len(t, res.Jobs, 1, "no second run is enqueued")
		require.Equal(t, waiting.Job.ID, res.Jobs[0].ID)
		require.Equal(t, rivertype.JobStateAvailable, res.Jobs[0].State)
		require.True(t, res.Jobs[0].ScheduledAt.Before(later), "the run no longer waits for its scheduled time")
	})
}

func TestRequestUnknownConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		q := f.newQueue(t)
		other := store.Workspace{Name: "Other"}
		require.NoError(t, st.CreateWorkspace(f.ctx, &other))
		svc := NewService(st, q)

		_, err := svc.Request(f.ctx, other.ID, f.conn.ID)

		require.ErrorIs(t, err, store.ErrNotFound)
		require.Empty(t, f.jobKinds(t, q))
	})
}

func TestRequestWithoutQueue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)

		_, err := NewService(st, nil).Request(f.ctx, f.ws, f.conn.ID)

		require.ErrorIs(t, err, ErrNoQueue)
	})
}

func TestScheduleRunsDueConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 250)
		enabled := true
		_, err := f.conns.Update(f.ctx, f.ws, f.conn.ID, crmconn.Patch{SyncEnabled: &enabled})
		require.NoError(t, err)
		idle, err := f.conns.Create(f.ctx, f.ws, crmconn.Input{
			Kind: "hubspot", Name: "Sync off", BaseURL: f.crm.URL,
			Auth: &crmconn.AuthConfig{Type: crmconn.AuthToken, Token: fakeToken},
		})
		require.NoError(t, err)
		q := f.newQueue(t)
		require.NoError(t, q.Start(f.ctx))

		_, err = q.Client().PeriodicJobs().AddSafely(PeriodicJob())
		require.NoError(t, err)

		require.Eventually(t, func() bool {
			state, err := st.GetSyncState(f.ctx, f.conn.ID)
			return err == nil && state.State == store.CRMSyncIdle && !state.Checkpoint.IsZero()
		}, waitLimit, 20*time.Millisecond)
		f.requireInSync(t)
		require.Equal(t, testNow.Add(5*time.Minute), f.state(t).NextRunAt.Time)
		_, err = st.GetSyncState(f.ctx, idle.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestJobError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		snooze  time.Duration
		cancel  bool
		retried bool
	}{
		{name: "success", err: nil},
		{name: "rate limit", err: fmt.Errorf("listing: %w", &crm.RateLimitedError{RetryAfter: 90 * time.Second}), snooze: 90 * time.Second},
		{name: "rate limit without wait", err: &crm.RateLimitedError{}, snooze: defaultSnooze},
		{name: "rate limit over a day", err: &crm.RateLimitedError{RetryAfter: 72 * time.Hour}, snooze: jobs.MaxSnooze},
		{name: "run failed", err: fmt.Errorf("%w: %w", ErrRunFailed, crm.ErrUnauthorized), cancel: true},
		{name: "connection deleted", err: fmt.Errorf("CRM connection crm_1: %w", store.ErrNotFound), cancel: true},
		{name: "run interrupted", err: fmt.Errorf("%w: %w: HTTP 502", ErrRunInterrupted, crm.ErrUnavailable), cancel: true},
		{name: "database error", err: errors.New("write contacts: database is locked"), retried: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jobError(tt.err)

			var snooze *river.JobSnoozeError
			var cancel *river.JobCancelError
			switch {
			case tt.snooze > 0:
				require.ErrorAs(t, err, &snooze)
				require.Equal(t, tt.snooze, snooze.Duration)
			case tt.cancel:
				require.ErrorAs(t, err, &cancel)
				require.ErrorIs(t, err, tt.err)
			case tt.retried:
				require.Same(t, tt.err, err)
				require.False(t, errors.As(err, &cancel))
			default:
				require.NoError(t, err)
			}
		})
	}
}
