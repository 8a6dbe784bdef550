package calllog

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// scrapeTimeout bounds the query a Prometheus scrape runs.
const scrapeTimeout = 5 * time.Second

// metrics are the call log metrics. The counters count what this
// instance did, and the backlog gauges are read from the database at each
// scrape, so they cover every instance.
type metrics struct {
	queued  prometheus.Counter
	written *prometheus.CounterVec
	failed  *prometheus.CounterVec

	store   *store.Store
	now     func() time.Time
	log     *zap.Logger
	dueDesc *prometheus.Desc
	ageDesc *prometheus.Desc
}

func newMetrics(st *store.Store, now func() time.Time, log *zap.Logger) *metrics {
	return &metrics{
		queued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_crm_call_logs_queued_total",
			Help: "Call logs this instance queued for ended calls, one per call and CRM connection that logs calls.",
		}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_crm_call_logs_written_total",
			Help: "CRM call entries this instance wrote, by CRM kind and operation: created, updated, or found " +
				"(an interrupted create found in the CRM and updated).",
		}, []string{"kind", "op"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_crm_call_logs_failed_total",
			Help: "Call logs this instance failed for good, by CRM kind; they wait for a retry through the API.",
		}, []string{"kind"}),
		store: st, now: now, log: log,
		dueDesc: prometheus.NewDesc("switchboard_crm_call_logs_due",
			"Call logs with a create or update due or waiting for a retry, across every instance.", nil, nil),
		ageDesc: prometheus.NewDesc("switchboard_crm_call_log_queue_age_seconds",
			"Seconds since the oldest due call log was created; 0 when none is due.", nil, nil),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.queued, m.written, m.failed, m} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector for the backlog gauges.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.dueDesc
	ch <- m.ageDesc
}

// Collect reads the backlog. A failed read reports nothing and is logged.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	backlog, err := m.store.CountDueCallLogs(ctx)
	if err != nil {
		m.log.Warn("reading the call log backlog for metrics failed", zap.Error(err))
		return
	}
	age := 0.0
	if backlog.Oldest != nil {
		age = max(m.now().Sub(backlog.Oldest.Time).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(m.dueDesc, prometheus.GaugeValue, float64(backlog.Due))
	ch <- prometheus.MustNewConstMetric(m.ageDesc, prometheus.GaugeValue, age)
}
