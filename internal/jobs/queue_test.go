package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
)

func TestInsertTxRunsOnlyCommittedJobs(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		runs := &runLog{}
		q := h.newQueue(t, h.store, queueOptions{workers: workersDoing(recordingWork(runs))})
		errRollback := errors.New("roll back")

		err := h.store.InTx(h.ctx, func(tx *store.Queries) error {
			ws := store.Workspace{Name: "Rolled back", DefaultRegion: "US"}
			require.NoError(t, tx.CreateWorkspace(h.ctx, &ws))
			require.NoError(t, q.InsertTx(h.ctx, tx, testArgs{Label: "rolled-back"}, nil))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		err = h.store.InTx(h.ctx, func(tx *store.Queries) error {
			ws := store.Workspace{Name: "Committed", DefaultRegion: "US"}
			require.NoError(t, tx.CreateWorkspace(h.ctx, &ws))
			return q.InsertTx(h.ctx, tx, testArgs{Label: "committed"}, nil)
		})
		require.NoError(t, err)

		h.start(t, q)
		job := h.waitForState(t, q, "committed", rivertype.JobStateCompleted)
		require.NoError(t, q.Stop(h.ctx))

		require.Equal(t, 1, job.Attempt)
		require.Equal(t, []string{"committed"}, runs.list())
		require.Len(t, h.allJobs(t, q), 1, "the rolled-back job left no row")
		workspaces, err := h.store.CountWorkspaces(h.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, workspaces, "the job and the domain row commit or roll back together")
	})
}

func TestInsertTxRequiresTransaction(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		q := h.newQueue(t, h.store, queueOptions{})

		err := q.InsertTx(h.ctx, h.store.Queries, noopArgs{}, nil)

		require.ErrorIs(t, err, ErrNoTransaction)
		require.Empty(t, h.allJobs(t, q))
	})
}

func TestInsertTxUnknownKindFails(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		q := h.newQueue(t, h.store, queueOptions{})

		err := h.store.InTx(h.ctx, func(tx *store.Queries) error {
			return q.InsertTx(h.ctx, tx, testArgs{Label: "no worker"}, nil)
		})

		require.ErrorContains(t, err, "enqueue test_job job")
		require.Empty(t, h.allJobs(t, q))
	})
}

func TestFailingJobRetriedUntilSuccess(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		retried := &attemptLog{}
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(func(_ context.Context, job *river.Job[testArgs]) error {
				if job.Attempt < 3 {
					return fmt.Errorf("CRM unavailable on attempt %d", job.Attempt)
				}
				return nil
			}),
			tune: func(c *river.Config) { c.RetryPolicy = immediateRetry{attempts: retried} },
		})
		h.insert(t, q, testArgs{Label: "flaky"}, nil)

		h.start(t, q)
		job := h.waitForState(t, q, "flaky", rivertype.JobStateCompleted)

		require.Equal(t, 3, job.Attempt)
		require.Len(t, job.Errors, 2)
		require.Equal(t, "CRM unavailable on attempt 1", job.Errors[0].Error)
		require.Equal(t, "CRM unavailable on attempt 2", job.Errors[1].Error)
		retried.mu.Lock()
		defer retried.mu.Unlock()
		require.Equal(t, []int{1, 2}, retried.attempts, "the retry policy schedules each failed attempt")
	})
}

func TestFailingJobDiscardedAfterMaxAttempts(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(func(context.Context, *river.Job[testArgs]) error { return errTest }),
		})
		h.insert(t, q, testArgs{Label: "hopeless"}, &river.InsertOpts{MaxAttempts: 2})

		h.start(t, q)
		job := h.waitForState(t, q, "hopeless", rivertype.JobStateDiscarded)

		require.Equal(t, 2, job.Attempt)
		require.Len(t, job.Errors, 2)
	})
}

// TestDefaultRetryPolicyBacksOff checks the production configuration keeps
// River's retry policy: after a first failure the retry is scheduled
// 1^4 = 1 second after the attempt, give or take River's 10% jitter.
func TestDefaultRetryPolicyBacksOff(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		q, err := New(Config{
			Store:     h.store,
			Workers:   workersDoing(func(context.Context, *river.Job[testArgs]) error { return errTest }),
			ListenURL: h.opts.DatabaseURL,
		})
		require.NoError(t, err)
		t.Cleanup(func() { q.Stop(context.Background()) })
		h.insert(t, q, testArgs{Label: "fails once"}, nil)

		h.start(t, q)
		var job *rivertype.JobRow
		require.Eventually(t, func() bool {
			job = h.jobByLabel(t, q, "fails once")
			return len(job.Errors) == 1
		}, waitLimit, 20*time.Millisecond)
		require.NoError(t, q.Stop(h.ctx))

		delay := job.ScheduledAt.Sub(job.Errors[0].At)
		require.GreaterOrEqual(t, delay, 850*time.Millisecond, "retry scheduled %s after the attempt", delay)
		require.LessOrEqual(t, delay, 1150*time.Millisecond, "retry scheduled %s after the attempt", delay)
	})
}

func TestSnoozedJobKeepsItsAttempt(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		var runs atomic.Int32
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(func(context.Context, *river.Job[testArgs]) error {
				if runs.Add(1) == 1 {
					return river.JobSnooze(10 * time.Millisecond)
				}
				return nil
			}),
		})
		h.insert(t, q, testArgs{Label: "snoozed"}, nil)

		h.start(t, q)
		job := h.waitForState(t, q, "snoozed", rivertype.JobStateCompleted)

		require.Equal(t, int32(2), runs.Load())
		require.Equal(t, 1, job.Attempt, "a snooze gives its attempt back")
		require.Empty(t, job.Errors)
		require.Equal(t, 1, snoozeCount(t, job))
	})
}

func TestTooManyRequestsSnoozesJob(t *testing.T) {
	var requests atomic.Int32
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(crm.Close)
	h := setup(t, store.SQLite)
	q := h.newQueue(t, h.store, queueOptions{
		workers: workersDoing(func(ctx context.Context, _ *river.Job[testArgs]) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, crm.URL+"/calls", nil)
			if err != nil {
				return err
			}
			resp, err := crm.Client().Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if snooze := SnoozeForRetryAfter(resp, time.Now()); snooze != nil {
				return snooze
			}
			if resp.StatusCode >= 300 {
				return fmt.Errorf("CRM answered %s", resp.Status)
			}
			return nil
		}),
	})
	h.insert(t, q, testArgs{Label: "log call"}, nil)

	h.start(t, q)
	job := h.waitForState(t, q, "log call", rivertype.JobStateCompleted)

	require.Equal(t, int32(2), requests.Load())
	require.Equal(t, 1, job.Attempt)
	require.Empty(t, job.Errors)
	require.Equal(t, 1, snoozeCount(t, job))
}

func TestQueueRunsOldestFirst(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		runs := &runLog{}
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(recordingWork(runs)),
			queues:  map[string]int{"serial": 1},
		})
		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		inserts := []struct {
			label    string
			offset   time.Duration
			priority int
		}{
			{"c", 3 * time.Second, 2},
			{"a", 1 * time.Second, 2},
			{"same-time-first", 5 * time.Second, 2},
			{"same-time-second", 5 * time.Second, 2},
			{"d", 4 * time.Second, 2},
			{"urgent", 6 * time.Second, 1},
			{"b", 2 * time.Second, 2},
		}
		// Jobs inserted with ScheduledAt start as scheduled, even in the
		// past; River's scheduler makes all seven available in one pass.
		require.NoError(t, h.store.InTx(h.ctx, func(tx *store.Queries) error {
			for _, in := range inserts {
				opts := &river.InsertOpts{Queue: "serial", ScheduledAt: base.Add(in.offset), Priority: in.priority}
				if err := q.InsertTx(h.ctx, tx, testArgs{Label: in.label}, opts); err != nil {
					return err
				}
			}
			return nil
		}))

		h.start(t, q)
		h.waitForState(t, q, "d", rivertype.JobStateCompleted)
		require.Eventually(t, func() bool { return len(runs.list()) == len(inserts) }, waitLimit, 20*time.Millisecond)

		want := []string{"urgent", "a", "b", "c", "d", "same-time-first", "same-time-second"}
		require.Equal(t, want, runs.list(), "priority first, then scheduled time, then insertion order")
	})
}

func TestTwoInstancesRunEachJobOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		const jobCount = 40
		runs := &runLog{}
		first := h.newQueue(t, h.store, queueOptions{workers: workersDoing(recordingWork(runs)), queues: map[string]int{DefaultQueue: 4}})
		second := h.newQueue(t, h.open(t), queueOptions{workers: workersDoing(recordingWork(runs)), queues: map[string]int{DefaultQueue: 4}})
		require.NoError(t, h.store.InTx(h.ctx, func(tx *store.Queries) error {
			for i := range jobCount {
				if err := first.InsertTx(h.ctx, tx, testArgs{Label: fmt.Sprintf("job-%02d", i)}, nil); err != nil {
					return err
				}
			}
			return nil
		}))

		h.start(t, first)
		h.start(t, second)
		require.Eventually(t, func() bool { return len(runs.list()) >= jobCount }, waitLimit, 20*time.Millisecond)
		require.NoError(t, first.Stop(h.ctx))
		require.NoError(t, second.Stop(h.ctx))

		require.ElementsMatch(t, labels(jobCount), runs.list(), "each job ran exactly once")
		for _, job := range h.allJobs(t, first) {
			require.Equal(t, rivertype.JobStateCompleted, job.State, "job %d", job.ID)
			require.Equal(t, 1, job.Attempt, "job %d was fetched once", job.ID)
		}
	})
}

// snoozeCount returns how often River snoozed job, from its metadata.
func snoozeCount(t *testing.T, job *rivertype.JobRow) int {
	t.Helper()
	var metadata struct {
		Snoozes int `json:"snoozes"`
	}
	require.NoError(t, json.Unmarshal(job.Metadata, &metadata))
	return metadata.Snoozes
}

func labels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("job-%02d", i)
	}
	return out
}

// TestNotificationWakesIdleQueue checks that inserts are announced. The
// queue polls only once an hour, so the second job, inserted after the
// first has run, can start only because of the insert notification. That is
// LISTEN/NOTIFY in the test schema on PostgreSQL and River's
// river_notification table on SQLite.
func TestNotificationWakesIdleQueue(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		runs := &runLog{}
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(recordingWork(runs)),
			tune:    func(c *river.Config) { c.FetchPollInterval = time.Hour },
		})
		h.start(t, q)

		h.insert(t, q, testArgs{Label: "first"}, nil)
		h.waitForState(t, q, "first", rivertype.JobStateCompleted)
		h.insert(t, q, testArgs{Label: "second"}, nil)
		h.waitForState(t, q, "second", rivertype.JobStateCompleted)

		require.Equal(t, []string{"first", "second"}, runs.list())
	})
}

func TestStopInterruptsRunningJobWithoutUsingAttempt(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		started := make(chan struct{})
		q, err := New(Config{
			Store:       h.store,
			ListenURL:   h.opts.DatabaseURL,
			StopTimeout: 100 * time.Millisecond,
			Workers: workersDoing(func(ctx context.Context, _ *river.Job[testArgs]) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}),
		})
		require.NoError(t, err)
		h.insert(t, q, testArgs{Label: "long"}, nil)
		h.start(t, q)
		<-started

		require.NoError(t, q.Stop(h.ctx))

		job := h.jobByLabel(t, q, "long")
		require.Equal(t, rivertype.JobStateAvailable, job.State)
		require.Equal(t, 0, job.Attempt, "the interrupted attempt is given back")
	})
}

func TestStopTimesOutOnJobIgnoringCancel(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		started := make(chan struct{})
		release := make(chan struct{})
		q, err := New(Config{
			Store:       h.store,
			ListenURL:   h.opts.DatabaseURL,
			StopTimeout: 100 * time.Millisecond,
			Workers: workersDoing(func(context.Context, *river.Job[testArgs]) error {
				close(started)
				<-release
				return nil
			}),
		})
		require.NoError(t, err)
		t.Cleanup(func() {
			close(release)
			q.Client().Stop(context.Background())
		})
		h.insert(t, q, testArgs{Label: "stuck"}, nil)
		h.start(t, q)
		<-started
		ctx, cancel := context.WithTimeout(h.ctx, 300*time.Millisecond)
		defer cancel()

		err = q.Stop(ctx)

		require.ErrorIs(t, err, context.DeadlineExceeded)
		job := h.jobByLabel(t, q, "stuck")
		require.Equal(t, rivertype.JobStateRunning, job.State, "left for the rescuer")
	})
}

func TestStopBeforeStart(t *testing.T) {
	h := setup(t, store.SQLite)
	q := h.newQueue(t, h.store, queueOptions{})

	require.NoError(t, q.Stop(h.ctx))
}

func TestNewRejectsInvalidQueue(t *testing.T) {
	h := setup(t, store.SQLite)
	tests := []struct {
		name   string
		queues map[string]int
		want   string
	}{
		{"zero workers", map[string]int{"crm": 0}, `invalid number of workers for queue "crm": 0`},
		{"invalid name", map[string]int{"crm sync": 1}, "crm sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Store: h.store, Queues: tt.queues})
			require.ErrorContains(t, err, tt.want)
		})
	}
}
