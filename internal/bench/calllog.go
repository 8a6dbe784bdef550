package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/riverqueue/river"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/fakecallcrm"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// callLogSeedBatch is the number of ended calls seeded per transaction.
const callLogSeedBatch = 1000

// callLogRequestsPerCall is what logging one call of the benchmark costs:
// the contact search and the create. The calls have no agent, so no user
// search is sent.
const callLogRequestsPerCall = 2

// callLogDrainLimit bounds the wait for the backlog to drain, far above
// the time the CRM's rate allows.
func callLogDrainLimit(calls int, rate float64) time.Duration {
	return 10*time.Minute + time.Duration(float64(calls*callLogRequestsPerCall)/rate*3*float64(time.Second))
}

// benchCallLogs seeds calls ended calls whose logs are due, as after a
// CRM outage, and measures how long one HubSpot connection takes to log
// them into a fake HubSpot that answers 429 beyond rate requests per
// second. The connection's own pace is set to the same rate.
func benchCallLogs(ctx context.Context, t *target, calls int, rate float64) ([]result, error) {
	if _, err := jobs.Migrate(ctx, t.store); err != nil {
		return nil, err
	}
	// The fake CRM allows a second's worth of requests at once, as CRMs
	// that count requests per window do; the connection sends bursts of a
	// tenth of that.
	fake := fakecallcrm.New()
	defer fake.Close()
	fake.SetRate(rate, max(int(rate), 1))
	fake.KeepIDsOnly()
	burst := max(int(rate/10), 1)

	key, err := secret.NewKeyring(secret.RandomToken(32))
	if err != nil {
		return nil, err
	}
	conns := crmconn.New(t.store, key, crmconn.Options{})
	w, err := t.newWorkspace(ctx, "bench call logs")
	if err != nil {
		return nil, err
	}
	conn, err := conns.Create(ctx, w.id, crmconn.Input{
		Kind: "hubspot", Name: "Fake HubSpot", BaseURL: fake.URL,
		Auth: &crmconn.AuthConfig{Type: crmconn.AuthToken, Token: "bench-token"},
		Settings: crmconn.Settings{PortalID: "4242", CallLog: &crmconn.CallLogSettings{
			Enabled: true, RequestsPerSecond: rate, Burst: burst, MaxConcurrency: crmconn.MaxCallLogConcurrency,
		}},
	})
	if err != nil {
		return nil, err
	}

	progress(t.name, "calllog: seeding %s ended calls with due logs", groupThousands(calls))
	seedStart := time.Now()
	if err := seedEndedCalls(ctx, t.store, w.id, conn.ID, calls); err != nil {
		return nil, err
	}
	seed := result{benchmark: "calllog seed (setup)", count: calls, elapsed: time.Since(seedStart), unit: "calls/s"}
	seed.rate = float64(calls) / seed.elapsed.Seconds()

	drain, err := drainCallLogs(ctx, t, conns, w.id, conn.ID, calls, rate, fake)
	return []result{seed, drain}, err
}

// seedEndedCalls inserts n completed calls, each with a pending log for
// the connection, without enqueuing jobs: the backlog a CRM outage leaves.
func seedEndedCalls(ctx context.Context, st *store.Store, workspaceID, connectionID string, n int) error {
	start := time.Now().Add(-24 * time.Hour)
	for first := 0; first < n; first += callLogSeedBatch {
		err := st.InTx(ctx, func(q *store.Queries) error {
			for i := first; i < min(first+callLogSeedBatch, n); i++ {
				began := store.Millis(start.Add(time.Duration(i) * time.Second))
				ended := store.Millis(began.Add(90 * time.Second))
				number := fmt.Sprintf("+1415%07d", i)
				call := store.Call{
					WorkspaceID: workspaceID, ConnectionID: "bench-line", Provider: "twilio", ProviderCallID: fmt.Sprintf("bench-%d", i),
					Direction: "inbound", FromRaw: number, FromE164: number, ToRaw: "+14155550100", ToE164: "+14155550100",
					Status: "completed", StartedAt: began, EndedAt: &ended, LastEventAt: ended, DurationSeconds: 85,
				}
				if err := q.InsertCall(ctx, &call); err != nil {
					return err
				}
				if _, err := q.InsertCallLog(ctx, workspaceID, call.ID, connectionID, 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed ended calls: %w", err)
		}
	}
	return nil
}

// drainCallLogs starts a job queue with the call log workers, wakes the
// connection and waits until no log is due, sampling the heap.
func drainCallLogs(ctx context.Context, t *target, conns *crmconn.Service, workspaceID, connectionID string, calls int, rate float64, fake *fakecallcrm.Server) (result, error) {
	svc, err := calllog.New(calllog.Config{Store: t.store, Connections: conns, Log: zap.NewNop()})
	if err != nil {
		return result{}, err
	}
	workers := river.NewWorkers()
	svc.AddWorkers(workers)
	queue, err := jobs.New(jobs.Config{Store: t.store, Workers: workers, Queues: map[string]int{calllog.Queue: calllog.QueueWorkers}})
	if err != nil {
		return result{}, err
	}
	svc.SetQueue(queue)
	if err := queue.Start(ctx); err != nil {
		return result{}, err
	}
	defer queue.Stop(context.WithoutCancel(ctx))

	progress(t.name, "calllog: draining into a CRM that allows %.0f requests per second", rate)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err = t.store.InTx(ctx, func(q *store.Queries) error {
		return queue.InsertTx(ctx, q, calllog.DrainArgs{WorkspaceID: workspaceID, ConnectionID: connectionID}, nil)
	})
	if err != nil {
		return result{}, err
	}

	peakHeap, err := waitDrained(ctx, t, calls, callLogDrainLimit(calls, rate))
	elapsed := time.Since(start)
	if err != nil {
		return result{}, err
	}

	stats := fake.Stats()
	entries := len(fake.Entries())
	minimum := time.Duration(float64(calls*callLogRequestsPerCall) / rate * float64(time.Second))
	r := result{
		benchmark: "calllog drain", count: calls, elapsed: elapsed, rate: float64(calls) / elapsed.Seconds(), unit: "calls/s",
		target: fmt.Sprintf("0 duplicates; ≥ %s at %.0f req/s", formatElapsed(minimum), rate),
		met:    metText(fake.Duplicates() == 0 && entries == calls),
		note: fmt.Sprintf("%s entries, %d duplicates; %s requests, %s answered 429; heap %.0f MiB before, %.0f MiB peak",
			groupThousands(entries), fake.Duplicates(), groupThousands(stats.Requests), groupThousands(stats.RateLimited),
			float64(before.HeapAlloc)/(1<<20), float64(peakHeap)/(1<<20)),
	}
	if entries != calls {
		return r, fmt.Errorf("calllog: the fake CRM holds %d entries for %d calls", entries, calls)
	}
	return r, nil
}

// waitDrained polls until no call log is due and returns the largest heap
// seen meanwhile.
func waitDrained(ctx context.Context, t *target, calls int, limit time.Duration) (uint64, error) {
	deadline := time.Now().Add(limit)
	var peak uint64
	var mem runtime.MemStats
	for lastReport := time.Now(); ; {
		runtime.ReadMemStats(&mem)
		peak = max(peak, mem.HeapAlloc)
		backlog, err := t.store.CountDueCallLogs(ctx)
		if err != nil {
			return peak, err
		}
		if backlog.Due == 0 {
			return peak, nil
		}
		if time.Since(lastReport) > 10*time.Second {
			progress(t.name, "calllog: %s of %s logs still due", groupThousands(backlog.Due), groupThousands(calls))
			lastReport = time.Now()
		}
		if time.Now().After(deadline) {
			return peak, errors.New("calllog: the backlog did not drain in time")
		}
		select {
		case <-ctx.Done():
			return peak, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
