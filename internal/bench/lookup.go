package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-oss/switchboard/store"
)

// seedDirectory writes contacts 0..n-1 of the generated directory into
// the workspace's phonebook with store.ImportContacts, in chunks of
// store.ImportChunkSize. The next chunk is generated while the current one
// is written, so generating adds little to the measured time, although it
// takes CPU beside the database.
func seedDirectory(ctx context.Context, t *target, w workspace, n int) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the generator when a write fails
	chunks := make(chan []store.Contact, 1)
	go func() {
		defer close(chunks)
		for from := 0; from < n; from += store.ImportChunkSize {
			select {
			case chunks <- seedChunk(from, min(from+store.ImportChunkSize, n)):
			case <-ctx.Done():
				return
			}
		}
	}()

	progress(t.name, "seed: writing %d contacts in chunks of %d", n, store.ImportChunkSize)
	start := time.Now()
	written, nextLog := 0, 100_000
	windowStart := start
	for chunk := range chunks {
		counts, err := t.store.ImportContacts(ctx, w.id, w.phonebookID, chunk)
		if err != nil {
			return result{}, fmt.Errorf("seed contacts %d..%d: %w", written, written+len(chunk), err)
		}
		if counts.Created != len(chunk) {
			return result{}, fmt.Errorf("seed contacts %d..%d: created %d of %d", written, written+len(chunk), counts.Created, len(chunk))
		}
		written += len(chunk)
		if written >= nextLog || written == n {
			window := written - (nextLog - 100_000)
			progress(t.name, "seed: %d/%d contacts, %.0f contacts/s overall, %.0f contacts/s over the last %d",
				written, n, float64(written)/time.Since(start).Seconds(), float64(window)/time.Since(windowStart).Seconds(), window)
			nextLog += 100_000
			windowStart = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return result{}, err
	}

	elapsed := time.Since(start)
	return result{
		benchmark: "seed (store.ImportContacts, no HTTP)",
		count:     n,
		elapsed:   elapsed,
		rate:      float64(n) / elapsed.Seconds(),
		unit:      "contacts/s",
	}, nil
}

// lookupRequest is one GET /v1/contacts/lookup request and the external
// id it must find, empty for an unknown number.
type lookupRequest struct {
	path       string
	externalID string
}

// lookupRequests returns count requests for random numbers of a directory
// of n contacts, about 10% of them for numbers that no contact has. Half
// of the numbers are sent in E.164 and half in the US national form, which
// the gateway reads with the workspace's default region. The sequence is the
// same on every run.
func lookupRequests(n, count int, seed uint64) []lookupRequest {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	reqs := make([]lookupRequest, count)
	for j := range reqs {
		i := rng.IntN(n)
		k := numbersPerContact * i
		want := externalID(i)
		switch {
		case rng.IntN(10) == 0:
			// Odd contacts have no second number, so their reserved one is
			// unknown; n == 1 has none, so that case uses the next free one.
			i |= 1
			k, want = numbersPerContact*i+1, ""
			if i >= n {
				k = numbersPerContact * n
			}
		case hasSecondNumber(i) && rng.IntN(2) == 0:
			k++
		}

		number := e164(k)
		if j%2 == 1 {
			number = nationalForm(k)
		}
		reqs[j] = lookupRequest{path: "/v1/contacts/lookup?phone=" + url.QueryEscape(number), externalID: want}
	}
	return reqs
}

// benchLookups sends warmup requests, then count requests over concurrency
// connections, and returns the latency of each counted request as the
// client measured it: from sending the request to reading the whole body.
func benchLookups(ctx context.Context, t *target, w workspace, n, count, concurrency int) (result, error) {
	warmup := min(max(count/10, 100), 2000)
	progress(t.name, "lookup: warm-up with %d requests", warmup)
	if _, _, err := runLookups(ctx, t, w, lookupRequests(n, warmup, 1), concurrency); err != nil {
		return result{}, err
	}

	progress(t.name, "lookup: %d requests over %d concurrent clients", count, concurrency)
	latencies, elapsed, err := runLookups(ctx, t, w, lookupRequests(n, count, 2), concurrency)
	if err != nil {
		return result{}, err
	}
	stats := summarize(latencies)
	progress(t.name, "lookup: %.0f requests/s, p99 %s", float64(count)/elapsed.Seconds(), formatLatency(stats.p99))

	return result{
		benchmark: fmt.Sprintf("phone lookup, %d %s", concurrency, plural(concurrency, "client", "clients")),
		count:     count,
		elapsed:   elapsed,
		rate:      float64(count) / elapsed.Seconds(),
		unit:      "requests/s",
		latency:   &stats,
		target:    "p99 < 2 ms",
		met:       metText(stats.p99 < 2*time.Millisecond),
	}, nil
}

// runLookups sends reqs over concurrency workers and checks every response:
// a known number must return its contact, an unknown one an empty list.
func runLookups(ctx context.Context, t *target, w workspace, reqs []lookupRequest, concurrency int) ([]time.Duration, time.Duration, error) {
	latencies := make([]time.Duration, len(reqs))
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for {
				j := int(next.Add(1)) - 1
				if j >= len(reqs) || ctx.Err() != nil {
					return
				}
				begin := time.Now()
				body, err := t.do(ctx, w, "GET", reqs[j].path, "", nil)
				latencies[j] = time.Since(begin)
				if err == nil {
					err = checkLookup(body, reqs[j])
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	return latencies, elapsed, firstErr
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var emptyData = []byte(`"data":[]`)

func checkLookup(body []byte, req lookupRequest) error {
	if req.externalID == "" {
		if !bytes.Contains(body, emptyData) {
			return fmt.Errorf("lookup %s: expected no contact, got %.300s", req.path, body)
		}
		return nil
	}
	if !bytes.Contains(body, []byte(`"external_id":"`+req.externalID+`"`)) {
		return fmt.Errorf("lookup %s: expected the contact with external_id %s, got %.300s", req.path, req.externalID, body)
	}
	return nil
}
