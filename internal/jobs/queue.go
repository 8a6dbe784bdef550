package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// ErrNoTransaction is returned by InsertTx when the Queries it is given do
// not belong to an open transaction.
var ErrNoTransaction = errors.New("job insert requires an open transaction: call InsertTx inside store.InTx")

// DefaultQueue is the queue a job goes to when neither its args nor its
// InsertOpts name one. It is River's own default queue name.
const DefaultQueue = river.QueueDefault

// DefaultMaxWorkers is the number of jobs of DefaultQueue one instance works
// at once when Config.Queues is empty. It is a starting value, not a
// measured one.
const DefaultMaxWorkers = 10

// DefaultStopTimeout is how long Stop waits for running jobs when
// Config.StopTimeout is zero.
const DefaultStopTimeout = 10 * time.Second

// hardStopGrace is how long Stop keeps waiting after it has cancelled the
// contexts of the jobs still running.
const hardStopGrace = 5 * time.Second

// Config holds what a Queue needs.
type Config struct {
	// Store is the database the jobs live in, next to the domain tables.
	Store *store.Store
	// Log receives the queue's logs and River's. Nil discards them.
	Log *zap.Logger
	// Registry receives the metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// Queues maps each queue name to the maximum number of its jobs this
	// instance works at once. Empty: DefaultQueue with DefaultMaxWorkers.
	Queues map[string]int
	// Workers holds one worker per job kind. Nil: a bundle holding only a
	// no-op worker, because River starts only with at least one worker.
	Workers *river.Workers
	// ListenURL is the PostgreSQL URL of the store's database, used for one
	// extra connection that LISTENs for new jobs. It must select the same
	// schema (search_path) as the store. Empty on PostgreSQL: River polls
	// for new jobs every second instead. Ignored on SQLite.
	ListenURL string
	// JobTimeout is how long one job runs before its context is cancelled.
	// Zero: River's default, 1 minute.
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before River
	// takes it for lost, as after a crash, and retries it. It must be at
	// least JobTimeout. Zero: River's default, 1 hour, or JobTimeout plus
	// 1 hour when JobTimeout is longer than an hour.
	RescueStuckJobsAfter time.Duration
	// StopTimeout is how long Stop waits for running jobs to return before
	// it cancels their contexts. Zero: DefaultStopTimeout.
	StopTimeout time.Duration

	// tune adjusts River's configuration last; tests use it to shorten
	// River's timings.
	tune func(*river.Config)
}

// Queue is the durable job queue of one gateway instance, a River client on
// the store's database.
type Queue struct {
	client       *river.Client[*sql.Tx]
	listenerPool *pgxpool.Pool
	log          *zap.Logger
	metrics      *metrics
	stopTimeout  time.Duration

	// stopEvents ends the event subscription of the running client, and
	// eventsDone is closed once its last event is counted.
	stopEvents func()
	eventsDone chan struct{}
}

// New builds a Queue on cfg.Store and registers its metrics. It does not
// touch the database: call Migrate before Start.
func New(cfg Config) (*Queue, error) {
	if cfg.Store == nil {
		return nil, errors.New("job queue: store is required")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	log := cfg.Log.Named("jobs")
	stopTimeout := cfg.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = DefaultStopTimeout
	}

	workers := cfg.Workers
	if workers == nil {
		workers = river.NewWorkers()
		river.AddWorker(workers, noopWorker{})
	}

	driver, listenerPool, err := newDriver(cfg)
	if err != nil {
		return nil, err
	}

	riverConfig := &river.Config{
		JobTimeout:           cfg.JobTimeout,
		Logger:               slog.New(newZapHandler(log)),
		Queues:               queueConfigs(cfg.Queues),
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		SoftStopTimeout:      stopTimeout,
		Workers:              workers,
	}
	if cfg.tune != nil {
		cfg.tune(riverConfig)
	}
	client, err := river.NewClient(driver, riverConfig)
	if err != nil {
		closePool(listenerPool)
		return nil, fmt.Errorf("job queue: %w", err)
	}

	q := &Queue{
		client:       client,
		listenerPool: listenerPool,
		log:          log,
		stopTimeout:  stopTimeout,
	}
	q.metrics = newMetrics(cfg.Store, client, sortedNames(riverConfig.Queues), log)
	if cfg.Registry != nil {
		if err := q.metrics.register(cfg.Registry); err != nil {
			closePool(listenerPool)
			return nil, fmt.Errorf("job queue: register metrics: %w", err)
		}
	}
	return q, nil
}

// newDriver picks River's driver for the store's dialect. Both work on the
// store's own *sql.DB, so a job inserted with InsertTx shares the domain
// transaction.
func newDriver(cfg Config) (riverdriver.Driver[*sql.Tx], *pgxpool.Pool, error) {
	db := cfg.Store.DB()
	switch cfg.Store.Dialect() {
	case store.SQLite:
		return riversqlite.New(db), nil, nil
	case store.Postgres:
		listenURL := strings.TrimSpace(cfg.ListenURL)
		if listenURL == "" {
			return riverdatabasesql.New(db), nil, nil
		}
		pool, err := newListenerPool(listenURL)
		if err != nil {
			return nil, nil, err
		}
		return riverdatabasesql.NewWithPgxListener(db, pool), pool, nil
	}
	return nil, nil, fmt.Errorf("job queue: unsupported database dialect %q", cfg.Store.Dialect())
}

// newListenerPool returns a pgx pool for River's LISTEN connection. River
// takes the connection out of the pool for good, so one is enough. The pool
// connects on first use.
func newListenerPool(url string) (*pgxpool.Pool, error) {
	poolConfig, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("job queue: invalid listen URL: %w", err)
	}
	poolConfig.MaxConns = 1
	poolConfig.MinConns = 0
	pool, err := pgxpool.NewWithConfig(context.Background(), poolConfig)
	if err != nil {
		return nil, fmt.Errorf("job queue: listener pool: %w", err)
	}
	return pool, nil
}

func closePool(pool *pgxpool.Pool) {
	if pool != nil {
		pool.Close()
	}
}

func queueConfigs(queues map[string]int) map[string]river.QueueConfig {
	if len(queues) == 0 {
		queues = map[string]int{DefaultQueue: DefaultMaxWorkers}
	}
	out := make(map[string]river.QueueConfig, len(queues))
	for name, maxWorkers := range queues {
		out[name] = river.QueueConfig{MaxWorkers: maxWorkers}
	}
	return out
}

func sortedNames(queues map[string]river.QueueConfig) []string {
	names := make([]string, 0, len(queues))
	for name := range queues {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Start starts working jobs in the background. The queue keeps running when
// ctx is cancelled, because the gateway stops it with Stop only once HTTP
// requests have drained. Start and Stop must not run concurrently.
func (q *Queue) Start(ctx context.Context) error {
	events, stopEvents := q.client.Subscribe(observedEvents...)
	q.stopEvents = stopEvents
	q.eventsDone = make(chan struct{})
	go q.countEvents(events, q.eventsDone)

	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		stopEvents()
		<-q.eventsDone
		return fmt.Errorf("start job queue: %w", err)
	}
	q.log.Info("job queue started")
	return nil
}

func (q *Queue) countEvents(events <-chan *river.Event, done chan<- struct{}) {
	defer close(done)
	for event := range events {
		q.metrics.observe(event)
	}
}

// Stop stops fetching jobs and waits up to StopTimeout for running jobs to
// return, then cancels their contexts and waits a few seconds more. A job
// that returns context.Canceled then is made available again without using
// an attempt. A job still running when Stop returns stays "running" in the
// database until River rescues it after RescueStuckJobsAfter. A stopped
// Queue cannot start again.
func (q *Queue) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, q.stopTimeout+hardStopGrace)
	defer cancel()

	err := q.client.Stop(ctx)
	if q.stopEvents != nil {
		q.stopEvents()
		<-q.eventsDone
		q.stopEvents = nil
	}
	closePool(q.listenerPool)
	q.listenerPool = nil

	if err != nil {
		q.log.Error("job queue stop timed out; jobs still running are retried after RescueStuckJobsAfter",
			zap.Duration("timeout", q.stopTimeout+hardStopGrace), zap.Error(err))
		return fmt.Errorf("stop job queue: %w", err)
	}
	q.log.Info("job queue stopped")
	return nil
}

// InsertTx enqueues a job in the open transaction of tx, so the job exists
// if and only if the transaction commits. It is how domain code enqueues:
//
//	err := st.InTx(ctx, func(tx *store.Queries) error {
//		if err := tx.UpdateCall(ctx, &call); err != nil {
//			return err
//		}
//		return queue.InsertTx(ctx, tx, LogCallArgs{CallID: call.ID}, nil)
//	})
//
// It returns ErrNoTransaction outside store.InTx.
func (q *Queue) InsertTx(ctx context.Context, tx *store.Queries, args river.JobArgs, opts *river.InsertOpts) error {
	sqlTx := tx.Tx()
	if sqlTx == nil {
		return ErrNoTransaction
	}
	if _, err := q.client.InsertTx(ctx, sqlTx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return nil
}

// InsertManyTx enqueues jobs in the open transaction of tx, as InsertTx
// does, with fewer statements than one InsertTx per job. It is for bulk
// writes that enqueue a job per row.
func (q *Queue) InsertManyTx(ctx context.Context, tx *store.Queries, params []river.InsertManyParams) error {
	sqlTx := tx.Tx()
	if sqlTx == nil {
		return ErrNoTransaction
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := q.client.InsertManyTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("enqueue %d %s jobs: %w", len(params), params[0].Args.Kind(), err)
	}
	return nil
}

// InsertNowTx is InsertTx for work requested by a person, such as "sync
// now". When a unique job of the same arguments already waits for a retry or
// a scheduled time, InsertNowTx makes that job available at once instead of
// leaving the request to wait behind its backoff. A job that is running or
// available already is left as it is.
func (q *Queue) InsertNowTx(ctx context.Context, tx *store.Queries, args river.JobArgs, opts *river.InsertOpts) error {
	sqlTx := tx.Tx()
	if sqlTx == nil {
		return ErrNoTransaction
	}
	res, err := q.client.InsertTx(ctx, sqlTx, args, opts)
	if err != nil {
		return fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	if !res.UniqueSkippedAsDuplicate || res.Job == nil {
		return nil
	}
	switch res.Job.State {
	case rivertype.JobStateRetryable, rivertype.JobStateScheduled:
		if _, err := q.client.JobRetryTx(ctx, sqlTx, res.Job.ID); err != nil {
			return fmt.Errorf("make waiting %s job %d available now: %w", args.Kind(), res.Job.ID, err)
		}
	}
	return nil
}

// Client returns the River client, for tests and for reading jobs back.
// Enqueue with InsertTx rather than with the client's Insert, which commits
// on its own.
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }
