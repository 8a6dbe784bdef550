package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// waitLimit bounds every wait for River to act. It is far above the
// seconds the waits take, so only a job that never runs reaches it.
const waitLimit = 60 * time.Second

// harness is one fresh database with River's tables.
type harness struct {
	ctx   context.Context
	store *store.Store
	// opts opens the same database again, as a second instance would.
	opts store.Options
}

// eachDialect runs fn as a parallel subtest on each database tests use.
func eachDialect(t *testing.T, fn func(t *testing.T, h harness)) {
	t.Helper()
	for _, d := range testdb.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, d))
		})
	}
}

// setup opens a fresh SQLite file or PostgreSQL schema, migrated by the
// store and by Migrate.
func setup(t *testing.T, d store.Dialect) harness {
	t.Helper()
	h := harness{ctx: context.Background(), opts: store.Options{DataDir: t.TempDir()}}
	if d == store.Postgres {
		h.opts.DatabaseURL = testdb.NewSchema(t)
	}
	h.store = h.open(t)
	_, err := h.store.Migrate(h.ctx)
	require.NoError(t, err)
	_, err = Migrate(h.ctx, h.store)
	require.NoError(t, err)
	return h
}

// open returns another handle on the harness database, closed when the
// test ends.
func (h harness) open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(h.ctx, h.opts)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// queueOptions are what a test changes in a Queue.
type queueOptions struct {
	workers *river.Workers
	queues  map[string]int
	// tune runs after the test defaults, which poll every 50 ms and retry
	// failed jobs at once.
	tune func(*river.Config)
}

// newQueue builds a Queue on st with timings shortened for tests, stopped
// when the test ends.
func (h harness) newQueue(t *testing.T, st *store.Store, o queueOptions) *Queue {
	t.Helper()
	q, err := New(Config{
		Store:     st,
		Workers:   o.workers,
		Queues:    o.queues,
		ListenURL: h.opts.DatabaseURL,
		tune: func(c *river.Config) {
			c.TestOnly = true
			c.FetchCooldown = 10 * time.Millisecond
			c.FetchPollInterval = 50 * time.Millisecond
			c.RetryPolicy = immediateRetry{}
			if o.tune != nil {
				o.tune(c)
			}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { q.Stop(context.Background()) })
	return q
}

// start starts q; the cleanup of newQueue stops it.
func (h harness) start(t *testing.T, q *Queue) {
	t.Helper()
	require.NoError(t, q.Start(h.ctx))
}

// insert enqueues args in a transaction of its own.
func (h harness) insert(t *testing.T, q *Queue, args river.JobArgs, opts *river.InsertOpts) {
	t.Helper()
	require.NoError(t, h.store.InTx(h.ctx, func(tx *store.Queries) error {
		return q.InsertTx(h.ctx, tx, args, opts)
	}))
}

// allJobs returns every job in the database, oldest first.
func (h harness) allJobs(t *testing.T, q *Queue) []*rivertype.JobRow {
	t.Helper()
	res, err := q.Client().JobList(h.ctx, river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000))
	require.NoError(t, err)
	return res.Jobs
}

// jobByLabel returns the one job whose args carry label.
func (h harness) jobByLabel(t *testing.T, q *Queue, label string) *rivertype.JobRow {
	t.Helper()
	var found *rivertype.JobRow
	for _, job := range h.allJobs(t, q) {
		if decodeLabel(job) == label {
			require.Nil(t, found, "two jobs carry label %q", label)
			found = job
		}
	}
	require.NotNil(t, found, "no job carries label %q", label)
	return found
}

// waitForState waits until the job labelled label is in state.
func (h harness) waitForState(t *testing.T, q *Queue, label string, state rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var job *rivertype.JobRow
	require.Eventually(t, func() bool {
		job = h.jobByLabel(t, q, label)
		return job.State == state
	}, waitLimit, 20*time.Millisecond, "job %q never reached state %s", label, state)
	return job
}

// testArgs are the arguments of the test job kind. Label identifies a job.
type testArgs struct {
	Label string `json:"label"`
}

func (testArgs) Kind() string { return "test_job" }

func decodeLabel(job *rivertype.JobRow) string {
	var args testArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return ""
	}
	return args.Label
}

// testWorker works test jobs with the function a test gives it.
type testWorker struct {
	river.WorkerDefaults[testArgs]
	work func(ctx context.Context, job *river.Job[testArgs]) error
}

func (w *testWorker) Work(ctx context.Context, job *river.Job[testArgs]) error {
	return w.work(ctx, job)
}

// workersDoing returns a bundle whose one worker runs work.
func workersDoing(work func(ctx context.Context, job *river.Job[testArgs]) error) *river.Workers {
	workers := river.NewWorkers()
	river.AddWorker(workers, &testWorker{work: work})
	return workers
}

// runLog records the label of every job run, in order.
type runLog struct {
	mu     sync.Mutex
	labels []string
}

func (r *runLog) add(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.labels = append(r.labels, label)
}

func (r *runLog) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.labels...)
}

// recordingWork returns a worker function that records each run in log and
// succeeds.
func recordingWork(log *runLog) func(context.Context, *river.Job[testArgs]) error {
	return func(_ context.Context, job *river.Job[testArgs]) error {
		log.add(job.Args.Label)
		return nil
	}
}

// immediateRetry schedules every retry at once, so retry tests take
// milliseconds, and records the attempt numbers it was asked about.
type immediateRetry struct {
	attempts *attemptLog
}

type attemptLog struct {
	mu       sync.Mutex
	attempts []int
}

func (p immediateRetry) NextRetry(job *rivertype.JobRow) time.Time {
	if p.attempts != nil {
		p.attempts.mu.Lock()
		p.attempts.attempts = append(p.attempts.attempts, job.Attempt)
		p.attempts.mu.Unlock()
	}
	return time.Now()
}

var errTest = errors.New("test failure")
