package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// webhookRequest is one signed Twilio voice webhook and the response it
// must get.
type webhookRequest struct {
	body      []byte
	signature string
	want      []byte
}

// gatewayRequests returns count voice webhooks for the gateway, each with
// a new CallSid, from random callers of the seeded directory: about 10%
// from numbers that no contact has. The callers are the same on every run.
func (b *webhookBench) gatewayRequests(count int) []webhookRequest {
	rng := rand.New(rand.NewPCG(uint64(b.nextCall), 0xca11))
	reqs := make([]webhookRequest, count)
	for j := range reqs {
		number, want := b.caller(rng)
		reqs[j] = b.signed(b.voiceURL, b.nextCall+j, number, want)
	}
	b.nextCall += count
	return reqs
}

// caller picks a caller's number in E.164, as Twilio sends From, and the
// response its call must get. Contact i has number 2i, and a second number
// 2i+1 when i is even, so 2i+1 of an odd i is a number no contact has.
func (b *webhookBench) caller(rng *rand.Rand) (string, []byte) {
	i := rng.IntN(b.contacts)
	if rng.IntN(10) == 0 {
		i |= 1
		k := numbersPerContact*i + 1
		if i >= b.contacts {
			k = numbersPerContact * b.contacts
		}
		return e164(k), b.answers.unknown
	}

	k := numbersPerContact * i
	if hasSecondNumber(i) && rng.IntN(2) == 0 {
		k++
	}
	if bytes.Contains(seedContact(i).ExtraData, []byte(`"tier":"gold"`)) {
		return e164(k), b.answers.gold
	}
	return e164(k), b.answers.known
}

// echoRequests returns count webhooks for the bare handler, repeated
// rounds times. It ignores CallSid and signature, but they are made as for
// the gateway so the client does the same work.
func (b *webhookBench) echoRequests(count, rounds int) []webhookRequest {
	rng := rand.New(rand.NewPCG(0, 0xec40))
	reqs := make([]webhookRequest, 0, count*rounds)
	for j := range count {
		number, _ := b.caller(rng)
		reqs = append(reqs, b.signed(b.echoURL, j, number, echoAnswer))
	}
	for range rounds - 1 {
		reqs = append(reqs, reqs[:count]...)
	}
	return reqs
}

// signed returns call number seq from number as Twilio posts it to
// hookURL: the parameters of Twilio's voice webhook, including the
// caller's and callee's location fields, signed with the auth token.
func (b *webhookBench) signed(hookURL string, seq int, number string, want []byte) webhookRequest {
	params := url.Values{
		"AccountSid": {"AC" + fmt.Sprintf("%032x", 1)}, "ApiVersion": {"2010-04-01"},
		"CallSid": {fmt.Sprintf("CA%032x", seq)}, "CallStatus": {"ringing"}, "Direction": {"inbound"},
		"From": {number}, "Caller": {number}, "To": {"+12125550100"}, "Called": {"+12125550100"},
		"FromCity": {"NEWARK"}, "FromState": {"NJ"}, "FromZip": {"07102"}, "FromCountry": {"US"},
		"CallerCity": {"NEWARK"}, "CallerState": {"NJ"}, "CallerZip": {"07102"}, "CallerCountry": {"US"},
		"ToCity": {"NEW YORK"}, "ToState": {"NY"}, "ToZip": {"10001"}, "ToCountry": {"US"},
		"CalledCity": {"NEW YORK"}, "CalledState": {"NY"}, "CalledZip": {"10001"}, "CalledCountry": {"US"},
	}
	return webhookRequest{
		body:      []byte(params.Encode()),
		signature: twilio.Signature(b.authToken, hookURL, params),
		want:      want,
	}
}

// errResponse is returned for a webhook response that is neither the
// expected route nor the default route.
var errResponse = errors.New("unexpected webhook response")

// send posts r to hookURL and checks the response. fallback is true when
// the response is the connection's default route instead of the expected
// one, which the gateway sends when routing fails or runs out of time.
func (b *webhookBench) send(ctx context.Context, hookURL string, r webhookRequest) (fallback bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(r.body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, r.signature)

	resp, err := b.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return false, fmt.Errorf("read the response: %w", err)
	case resp.StatusCode == http.StatusOK && bytes.Equal(body, r.want):
		return false, nil
	case resp.StatusCode == http.StatusOK && bytes.Equal(body, b.answers.fallback):
		return true, nil
	}
	return false, fmt.Errorf("%w: status %d, body %.300q, expected %q", errResponse, resp.StatusCode, body, r.want)
}

// loadStats are the measurements of one run.
type loadStats struct {
	count   int
	elapsed time.Duration // from the first send to the last answer
	latency latencyStats
	// fallbackAnswers counts answers with the default route. fallbacks and
	// unstored are the gateway's own counts, from its metrics: calls sent
	// to the default route because routing failed, and routed calls whose
	// record could not be stored.
	fallbackAnswers int
	fallbacks       int
	unstored        int
}

func (s loadStats) rate() float64 { return float64(s.count) / s.elapsed.Seconds() }

// result returns s as a row of the report.
func (s loadStats) result(benchmark, note, target, met string) result {
	if s.fallbackAnswers > 0 || s.fallbacks > 0 || s.unstored > 0 {
		note += fmt.Sprintf("; %d default-route answers, %d routing fallbacks, %d calls not stored", s.fallbackAnswers, s.fallbacks, s.unstored)
	}
	stats := s.latency
	return result{
		benchmark: benchmark, note: note, count: s.count, elapsed: s.elapsed,
		rate: s.rate(), unit: "calls/s", latency: &stats, target: target, met: met,
	}
}

// openLoop sends request j of reqs at start + j/rate, whether or not the
// answers before it have come back, over webhookOpenLoopWorkers
// connections. The latency of a request runs from its scheduled time, so
// time spent waiting for a free worker or a late scheduler counts.
func (b *webhookBench) openLoop(ctx context.Context, hookURL string, reqs []webhookRequest, rate int) (loadStats, error) {
	interval := time.Second / time.Duration(rate)
	start := time.Now().Add(10 * time.Millisecond)
	scheduled := func(j int) time.Time { return start.Add(time.Duration(j) * interval) }

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int, len(reqs))
	go func() {
		defer close(jobs)
		for j := range reqs {
			if wait := time.Until(scheduled(j)); wait > 0 {
				time.Sleep(wait)
			}
			if ctx.Err() != nil {
				return
			}
			jobs <- j
		}
	}()

	take := func() (int, bool) {
		j, ok := <-jobs
		return j, ok
	}
	return b.collect(ctx, cancel, hookURL, reqs, webhookOpenLoopWorkers, start, scheduled, take)
}

// closedLoop sends reqs over clients connections, each sending its next
// request as soon as the answer to its last one is read. The latency of a
// request runs from sending it to reading the answer.
func (b *webhookBench) closedLoop(ctx context.Context, hookURL string, reqs []webhookRequest, clients int) (loadStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	take := func() (int, bool) {
		j := int(next.Add(1)) - 1
		return j, j < len(reqs)
	}
	return b.collect(ctx, cancel, hookURL, reqs, clients, time.Now(), nil, take)
}

// collect runs workers that take request indexes from take until it
// reports none is left, send them and record latencies. A request's
// latency starts at scheduled(j), or when it is sent when scheduled is
// nil. The first error stops the run, and cancel stops the caller's
// request source.
func (b *webhookBench) collect(ctx context.Context, cancel func(), hookURL string, reqs []webhookRequest, workers int, start time.Time,
	scheduled func(int) time.Time, take func() (int, bool)) (loadStats, error) {
	latencies := make([]time.Duration, len(reqs))
	var fallbacks atomic.Int64
	var firstErr error
	var once sync.Once

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j, ok := take(); ok && ctx.Err() == nil; j, ok = take() {
				began := time.Now()
				if scheduled != nil {
					began = scheduled(j)
				}
				fallback, err := b.send(ctx, hookURL, reqs[j])
				latencies[j] = time.Since(began)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("webhook %d of %d to %s: %w", j+1, len(reqs), hookURL, err); cancel() })
					return
				}
				if fallback {
					fallbacks.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return loadStats{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return loadStats{}, err
	}

	return loadStats{
		count:           len(reqs),
		elapsed:         time.Since(start),
		latency:         summarize(latencies),
		fallbackAnswers: int(fallbacks.Load()),
	}, nil
}

// failureCounts reads the gateway's routing fallback and record failure
// counters.
func (b *webhookBench) failureCounts() loadStats {
	families, err := b.registry.Gather()
	if err != nil {
		progress(b.t.name, "webhook: read the gateway's metrics: %v", err)
		return loadStats{}
	}
	var counts loadStats
	for _, f := range families {
		var total float64
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
		switch f.GetName() {
		case "switchboard_routing_fallbacks_total":
			counts.fallbacks = int(total)
		case "switchboard_call_record_failures_total":
			counts.unstored = int(total)
		}
	}
	return counts
}

// checkStored checks that the store holds one call per webhook sent to
// the gateway, because a routing webhook is answered even when its call
// could not be stored.
func (b *webhookBench) checkStored(ctx context.Context) error {
	var stored int
	if err := b.t.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM calls`).Scan(&stored); err != nil {
		return fmt.Errorf("count the stored calls: %w", err)
	}
	progress(b.t.name, "webhook: the store holds %d calls for %d webhooks sent", stored, b.nextCall)
	if stored != b.nextCall {
		return fmt.Errorf("the store holds %d calls, but the gateway returned routes for %d webhooks of new calls", stored, b.nextCall)
	}
	return nil
}
