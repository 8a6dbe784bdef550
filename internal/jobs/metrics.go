package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// scrapeTimeout bounds the two queries a Prometheus scrape runs.
const scrapeTimeout = 5 * time.Second

// observedEvents are the River events counted in
// switchboard_jobs_worked_total.
var observedEvents = []river.EventKind{
	river.EventKindJobCompleted,
	river.EventKindJobFailed,
	river.EventKindJobSnoozed,
	river.EventKindJobCancelled,
	river.EventKindJobInterrupted,
}

// metrics are the queue's Prometheus metrics. The counter counts what this
// instance worked, from River's events. The gauges are read from the
// database at each scrape, so they cover the jobs of every instance.
type metrics struct {
	worked *prometheus.CounterVec

	db       *sql.DB
	client   *river.Client[*sql.Tx]
	queues   []string
	log      *zap.Logger
	jobsDesc *prometheus.Desc
	ageDesc  *prometheus.Desc
}

func newMetrics(st *store.Store, client *river.Client[*sql.Tx], queues []string, log *zap.Logger) *metrics {
	return &metrics{
		worked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_jobs_worked_total",
			Help: "Jobs this instance worked, by queue, kind and outcome: completed, retryable (failed, retried later), " +
				"discarded (failed its last attempt), snoozed, cancelled or interrupted (stopped by shutdown, available again).",
		}, []string{"queue", "kind", "outcome"}),
		db:     st.DB(),
		client: client,
		queues: queues,
		log:    log,
		jobsDesc: prometheus.NewDesc("switchboard_jobs",
			"Jobs in the database not yet finished, by queue and state: available (ready to run), "+
				"scheduled (waiting for their time), retryable (waiting for a retry) or running.",
			[]string{"queue", "state"}, nil),
		ageDesc: prometheus.NewDesc("switchboard_jobs_oldest_available_age_seconds",
			"Seconds the oldest available job of each queue this instance works has waited since it became runnable; 0 when none waits.",
			[]string{"queue"}, nil),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	if err := r.Register(m.worked); err != nil {
		return err
	}
	return r.Register(m)
}

// observe counts one River event.
func (m *metrics) observe(event *river.Event) {
	if event.Job == nil {
		return
	}
	outcome := ""
	switch event.Kind {
	case river.EventKindJobCompleted:
		outcome = "completed"
	case river.EventKindJobFailed:
		// River sets the state to retryable, or discarded after the last
		// attempt.
		outcome = string(event.Job.State)
	case river.EventKindJobSnoozed:
		outcome = "snoozed"
	case river.EventKindJobCancelled:
		outcome = "cancelled"
	case river.EventKindJobInterrupted:
		outcome = "interrupted"
	default:
		return
	}
	m.worked.WithLabelValues(event.Job.Queue, event.Job.Kind, outcome).Inc()
}

// Describe implements prometheus.Collector for the two gauges.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.jobsDesc
	ch <- m.ageDesc
}

// Collect implements prometheus.Collector. A failed query is logged and its
// gauges are left out of this scrape rather than failing the whole scrape.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()

	counts, err := countUnfinishedJobs(ctx, m.db)
	if err != nil {
		m.log.Warn("counting jobs for metrics failed", zap.Error(err))
	} else {
		m.collectCounts(ch, counts)
	}

	now := time.Now()
	for _, queue := range m.queues {
		age, err := m.oldestAvailableAge(ctx, queue, now)
		if err != nil {
			m.log.Warn("reading the oldest available job for metrics failed", zap.String("queue", queue), zap.Error(err))
			continue
		}
		ch <- prometheus.MustNewConstMetric(m.ageDesc, prometheus.GaugeValue, age.Seconds(), queue)
	}
}

// collectCounts sends one gauge per queue and state: every state of the
// queues this instance works, at 0 when empty, and the counted states of
// any other queue.
func (m *metrics) collectCounts(ch chan<- prometheus.Metric, counts []jobCount) {
	type key struct{ queue, state string }
	values := map[key]int64{}
	for _, queue := range m.queues {
		for _, state := range unfinishedStates {
			values[key{queue, state}] = 0
		}
	}
	for _, c := range counts {
		values[key{c.queue, c.state}] = c.count
	}
	for k, v := range values {
		ch <- prometheus.MustNewConstMetric(m.jobsDesc, prometheus.GaugeValue, float64(v), k.queue, k.state)
	}
}

func (m *metrics) oldestAvailableAge(ctx context.Context, queue string, now time.Time) (time.Duration, error) {
	params := river.NewJobListParams().
		Queues(queue).
		States(rivertype.JobStateAvailable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).
		First(1)
	res, err := m.client.JobList(ctx, params)
	if err != nil {
		return 0, err
	}
	if len(res.Jobs) == 0 {
		return 0, nil
	}
	return max(now.Sub(res.Jobs[0].ScheduledAt), 0), nil
}

// unfinishedStates are the job states switchboard_jobs reports.
var unfinishedStates = []string{"available", "scheduled", "retryable", "running"}

type jobCount struct {
	queue string
	state string
	count int64
}

// countUnfinishedJobs counts River's jobs by queue and state.
//
// NOTE: this is the one SQL statement outside package store. It reads
// river_job, a table River owns and migrates, because River's client offers
// no count. The statement runs unchanged on both databases.
func countUnfinishedJobs(ctx context.Context, db *sql.DB) ([]jobCount, error) {
	rows, err := db.QueryContext(ctx, `SELECT queue, state, COUNT(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running')
		GROUP BY queue, state
		ORDER BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()

	var counts []jobCount
	for rows.Next() {
		var c jobCount
		if err := rows.Scan(&c.queue, &c.state, &c.count); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		counts = append(counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return counts, nil
}
