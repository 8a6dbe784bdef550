package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
)

func TestMetricsCountWorkedJobs(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		registry := prometheus.NewRegistry()
		q, err := New(Config{
			Store:     h.store,
			Registry:  registry,
			ListenURL: h.opts.DatabaseURL,
			Workers: workersDoing(func(_ context.Context, job *river.Job[testArgs]) error {
				if job.Args.Label == "fails" {
					return errTest
				}
				return nil
			}),
			tune: func(c *river.Config) { c.TestOnly = true },
		})
		require.NoError(t, err)
		h.insert(t, q, testArgs{Label: "works"}, nil)
		h.insert(t, q, testArgs{Label: "fails"}, &river.InsertOpts{MaxAttempts: 1})
		h.insert(t, q, testArgs{Label: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})

		require.NoError(t, q.Start(h.ctx))
		h.waitForState(t, q, "works", rivertype.JobStateCompleted)
		h.waitForState(t, q, "fails", rivertype.JobStateDiscarded)
		require.NoError(t, q.Stop(h.ctx))
		families := gather(t, registry)

		worked := "switchboard_jobs_worked_total"
		require.Equal(t, 1.0, metricValue(t, families, worked, map[string]string{"queue": "default", "kind": "test_job", "outcome": "completed"}))
		require.Equal(t, 1.0, metricValue(t, families, worked, map[string]string{"queue": "default", "kind": "test_job", "outcome": "discarded"}))
		require.Equal(t, 1.0, metricValue(t, families, "switchboard_jobs", map[string]string{"queue": "default", "state": "scheduled"}))
		require.Equal(t, 0.0, metricValue(t, families, "switchboard_jobs", map[string]string{"queue": "default", "state": "available"}))
		require.Equal(t, 0.0, metricValue(t, families, "switchboard_jobs_oldest_available_age_seconds", map[string]string{"queue": "default"}))
	})
}

// TestMetricsOldestAvailableAge reads the gauges of an instance configured
// for the crm queue but not started, while another instance, working only
// its own queue, makes the due jobs available: nothing works them, so they
// age.
func TestMetricsOldestAvailableAge(t *testing.T) {
	eachDialect(t, func(t *testing.T, h harness) {
		registry := prometheus.NewRegistry()
		q, err := New(Config{
			Store:    h.store,
			Registry: registry,
			Queues:   map[string]int{"crm": 1},
			Workers:  workersDoing(recordingWork(&runLog{})),
		})
		require.NoError(t, err)
		other := h.newQueue(t, h.open(t), queueOptions{
			workers: workersDoing(recordingWork(&runLog{})),
			queues:  map[string]int{"other": 1},
		})
		// A job inserted with ScheduledAt starts as scheduled, even in the
		// past; the leader's scheduler makes it available.
		h.insert(t, q, testArgs{Label: "hour old"}, &river.InsertOpts{Queue: "crm", ScheduledAt: time.Now().Add(-time.Hour)})
		h.insert(t, q, testArgs{Label: "minute old"}, &river.InsertOpts{Queue: "crm", ScheduledAt: time.Now().Add(-time.Minute)})
		h.insert(t, q, testArgs{Label: "tomorrow"}, &river.InsertOpts{Queue: "crm", ScheduledAt: time.Now().Add(24 * time.Hour)})

		h.start(t, other)
		h.waitForState(t, q, "hour old", rivertype.JobStateAvailable)
		h.waitForState(t, q, "minute old", rivertype.JobStateAvailable)
		families := gather(t, registry)

		age := metricValue(t, families, "switchboard_jobs_oldest_available_age_seconds", map[string]string{"queue": "crm"})
		require.GreaterOrEqual(t, age, time.Hour.Seconds())
		require.Equal(t, 2.0, metricValue(t, families, "switchboard_jobs", map[string]string{"queue": "crm", "state": "available"}))
		require.Equal(t, 1.0, metricValue(t, families, "switchboard_jobs", map[string]string{"queue": "crm", "state": "scheduled"}))
		require.Equal(t, 0.0, metricValue(t, families, "switchboard_jobs", map[string]string{"queue": "crm", "state": "running"}))
	})
}

func gather(t *testing.T, registry *prometheus.Registry) []*dto.MetricFamily {
	t.Helper()
	families, err := registry.Gather()
	require.NoError(t, err)
	return families
}

// metricValue returns the value of the counter or gauge name whose labels
// are exactly labels, and fails the test when there is none.
func metricValue(t *testing.T, families []*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			if !labelsEqual(m.GetLabel(), labels) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	require.FailNow(t, "metric not found", "%s%v", name, labels)
	return 0
}

func labelsEqual(pairs []*dto.LabelPair, want map[string]string) bool {
	if len(pairs) != len(want) {
		return false
	}
	for _, pair := range pairs {
		if want[pair.GetName()] != pair.GetValue() {
			return false
		}
	}
	return true
}
