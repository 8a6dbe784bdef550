package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// TestWebhookRequestsVerify checks that the generated webhooks carry new
// CallSids, pass the Twilio adapter's signature check and expect the
// route the rules give their caller.
func TestWebhookRequestsVerify(t *testing.T) {
	const contacts = 300
	b := &webhookBench{contacts: contacts, authToken: "bench-token", voiceURL: "http://127.0.0.1:8080/hooks/twilio/tc_1/voice", answers: renderAnswers()}
	adapter := twilio.New(twilio.Options{DefaultRegion: "US"})

	first := b.gatewayRequests(200)
	second := b.gatewayRequests(200)

	seen := map[string]bool{}
	kinds := map[string]int{}
	for _, r := range append(first, second...) {
		req := telephony.Request{
			Method: http.MethodPost, PublicURL: b.voiceURL, Hook: twilio.HookVoice, Body: r.body,
			Header: http.Header{twilio.SignatureHeader: {r.signature}},
		}
		require.NoError(t, adapter.Verify(req, telephony.Credentials{AuthToken: b.authToken}, time.Now()))
		params, err := url.ParseQuery(string(r.body))
		require.NoError(t, err)
		sid := params.Get("CallSid")
		require.False(t, seen[sid], "CallSid %s repeats", sid)
		seen[sid] = true

		kind := expectedKind(t, params.Get("From"), contacts)
		require.Equal(t, string(b.answerFor(kind)), string(r.want), "response expected for %s", params.Get("From"))
		kinds[kind]++
	}
	require.Positive(t, kinds["gold"])
	require.Positive(t, kinds["known"])
	require.Positive(t, kinds["unknown"])
}

// expectedKind returns the kind of caller number is by searching the
// seeded contacts 0..contacts-1 for it.
func expectedKind(t *testing.T, number string, contacts int) string {
	t.Helper()
	for i := range contacts {
		c := seedContact(i)
		for _, n := range c.PhoneNumbers.V {
			if n.E164 != number {
				continue
			}
			if bytes.Contains(c.ExtraData, []byte(`"tier":"gold"`)) {
				return "gold"
			}
			return "known"
		}
	}
	return "unknown"
}

func (b *webhookBench) answerFor(kind string) []byte {
	switch kind {
	case "gold":
		return b.answers.gold
	case "known":
		return b.answers.known
	}
	return b.answers.unknown
}

// TestWebhookStageSmall runs the whole stage on SQLite with small sizes:
// every response is checked by the stage itself, and every call must be
// stored.
func TestWebhookStageSmall(t *testing.T) {
	ctx := context.Background()
	target, cleanup, err := openTarget(ctx, "sqlite", "", 4, false)
	require.NoError(t, err)
	t.Cleanup(cleanup)
	w, err := target.newWorkspace(ctx, "webhook test")
	require.NoError(t, err)
	_, err = seedDirectory(ctx, target, w, 500)
	require.NoError(t, err)
	settings := webhookSettings{rate: 200, duration: 500 * time.Millisecond, warmup: 20, closedLoopCalls: 100, echoRounds: 2}

	results, err := runWebhookBench(ctx, target, w, 500, 4, settings)

	require.NoError(t, err)
	require.Len(t, results, 4)
	wantCounts := []int{100, 100, 200, 100}
	for i, r := range results {
		require.Equal(t, wantCounts[i], r.count, "calls of %q", r.benchmark)
		require.NotNil(t, r.latency, "latency of %q", r.benchmark)
	}
	var stored int
	require.NoError(t, target.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM calls`).Scan(&stored))
	require.Equal(t, 20+100+100, stored)
}
