package lookup

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of a lookup, the values of the metrics' result label.
const (
	resultHit              = "hit"
	resultMiss             = "miss"
	resultCacheHit         = "cache_hit"
	resultNegativeCacheHit = "negative_cache_hit"
	resultError            = "error"
	resultTimeout          = "timeout"
	resultRateLimited      = "rate_limited"
	resultBreakerOpen      = "breaker_open"
)

type metrics struct {
	lookups  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() metrics {
	return metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_crm_lookups_total",
			Help: "Real-time CRM lookups by result: hit, miss, cache_hit, negative_cache_hit, error, timeout, rate_limited or breaker_open.",
		}, []string{"result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_crm_lookup_duration_seconds",
			Help:    "Time a real-time CRM lookup took, in seconds, by result.",
			Buckets: []float64{0.001, 0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5},
		}, []string{"result"}),
	}
}

func (m metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.lookups, m.duration} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m metrics) observe(result string, elapsed time.Duration) {
	m.lookups.WithLabelValues(result).Inc()
	m.duration.WithLabelValues(result).Observe(elapsed.Seconds())
}
