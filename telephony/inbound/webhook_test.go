package inbound_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

const (
	twimlVIPQueue = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Enqueue>vip</Enqueue></Response>`
	twimlDefault  = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Dial action="dial"><Number>+14155550188</Number></Dial></Response>`
	twimlEmpty    = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response></Response>`
)

var twilioCreds = telephony.Credentials{AccountID: twilioSID, AuthToken: twilioToken}

// twimlDefaultFor returns the TwiML of defaultRoute on Twilio connection
// connID of a service with a public base URL, whose <Number> requests the
// status callbacks of the child leg. twimlDefault is the same route on a
// service without one.
func twimlDefaultFor(connID string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Dial action="dial">` +
		`<Number statusCallbackEvent="initiated ringing answered completed" statusCallback="` +
		publicBase + "/hooks/twilio/" + connID + `/status">+14155550188</Number></Dial></Response>`
}

func TestTwilioVoiceRoutesByContact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, vipRule, knownRule)
		vip := h.contact(t, "Ann", "+14155550123", `{"tier":"vip"}`)
		hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))

		answer, err := h.svc.HandleWebhook(h.ctx, hook)

		require.NoError(t, err)
		require.Equal(t, 200, answer.Status)
		require.Equal(t, "text/xml", answer.ContentType)
		require.Equal(t, twimlVIPQueue, string(answer.Body))

		call, events := h.onlyCall(t)
		require.Equal(t, "CA1", call.ProviderCallID)
		require.Equal(t, "ringing", call.Status)
		require.Equal(t, "inbound", call.Direction)
		require.Equal(t, "+14155550123", call.FromE164)
		require.Equal(t, &vip.ID, call.ContactID)
		require.Equal(t, &h.phonebook.ID, call.PhonebookID)
		require.Equal(t, []string{vip.ID}, call.MatchedContactIDs.V)
		var decision routing.Decision
		require.NoError(t, json.Unmarshal(call.Routing, &decision))
		require.Equal(t, "vip callers", decision.Rule)
		require.Equal(t, vipQueue, decision.Route)

		require.Len(t, events, 1)
		require.Equal(t, "voice", events[0].Hook)
		require.Equal(t, string(hook.Body), events[0].RawBody)
		require.Equal(t, store.Millis(testNow), events[0].OccurredAt)
	})
}

func TestTwilioUnknownCallerGetsDefaultRoute(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, vipRule, knownRule)

	answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550999")))

	require.NoError(t, err)
	require.Equal(t, twimlDefaultFor(conn.ID), string(answer.Body))
	call, _ := h.onlyCall(t)
	require.Nil(t, call.ContactID)
	require.Empty(t, call.MatchedContactIDs.V)
	require.Equal(t, 0.0, counterValue(t, h.registry, "switchboard_routing_fallbacks_total"), "no rule matching is no failure")
}

func TestTwilioStatusUpdatesCall(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
	_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
	require.NoError(t, err)
	status := twilioVoice("CA1", "+14155550123")
	status.Set("CallStatus", "completed")
	status.Set("CallDuration", "47")
	status.Set("SequenceNumber", "3")
	status.Set("Timestamp", "Tue, 10 Mar 2026 14:03:11 +0000")

	answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "status", status))

	require.NoError(t, err)
	require.Equal(t, twimlEmpty, string(answer.Body))
	call, events := h.onlyCall(t)
	require.Equal(t, "completed", call.Status)
	require.Equal(t, 47, call.DurationSeconds)
	require.Equal(t, "CA1/status/3", events[1].DedupeKey)
	require.NotNil(t, call.Routing, "the routing decision stays")
}

func TestWebhookBadSignatureStoresNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
		hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))
		hook.Body = []byte(twilioVoice("CA2", "+14155550123").Encode())

		_, err := h.svc.HandleWebhook(h.ctx, hook)

		require.ErrorIs(t, err, telephony.ErrBadSignature)
		require.Empty(t, h.calls(t))
	})
}

func TestWebhookRejectsConnection(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
	disabled := h.connection(t, telephony.ProviderTwilio, twilioCreds)
	disabled.Enabled = false
	require.NoError(t, h.store.UpdateTelephonyConnection(h.ctx, &disabled))

	tests := []struct {
		name string
		hook func() inbound.Hook
	}{
		{name: "unknown id", hook: func() inbound.Hook {
			hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))
			hook.ConnectionID = "tc_missing"
			return hook
		}},
		{name: "other provider", hook: func() inbound.Hook {
			hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))
			hook.Provider = "telnyx"
			return hook
		}},
		{name: "disabled", hook: func() inbound.Hook { return twilioHook(disabled, "voice", twilioVoice("CA1", "+14155550123")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.HandleWebhook(h.ctx, tt.hook())

			require.ErrorIs(t, err, store.ErrNotFound)
			require.Empty(t, h.calls(t))
		})
	}
}

func TestWebhookMalformed(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)

	_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", url.Values{"From": {"+14155550123"}}))

	require.ErrorIs(t, err, telephony.ErrMalformed)
	require.Empty(t, h.calls(t))
}

// TestWebhookWithStoreClosed closes the database after one call. The next
// call still gets a route, the default one, because the caller cannot be
// looked up. A status webhook fails, so that Twilio sends it again.
func TestWebhookWithStoreClosed(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, vipRule, knownRule)
	h.contact(t, "Ann", "+14155550123", `{"tier":"vip"}`)
	answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
	require.NoError(t, err)
	require.Equal(t, twimlVIPQueue, string(answer.Body))

	require.NoError(t, h.store.Close())

	t.Run("voice webhook", func(t *testing.T) {
		answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA2", "+14155550123")))

		require.NoError(t, err)
		require.Equal(t, twimlDefaultFor(conn.ID), string(answer.Body))
		require.Equal(t, 1.0, counterValue(t, h.registry, "switchboard_routing_fallbacks_total", "provider", "twilio", "reason", routing.ReasonLookupFailed))
		require.Equal(t, 1.0, counterValue(t, h.registry, "switchboard_call_record_failures_total", "provider", "twilio"))
	})
	t.Run("status webhook", func(t *testing.T) {
		status := twilioVoice("CA2", "+14155550123")
		status.Set("CallStatus", "completed")

		_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "status", status))

		require.ErrorIs(t, err, inbound.ErrStoreUnavailable)
	})
}

func TestWebhookWithStoreClosedAndNoConnectionLoaded(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
	require.NoError(t, h.store.Close())

	_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.ErrorIs(t, err, inbound.ErrConnectionUnavailable)
}

func TestRoutingDurationObserved(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)

	_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.NoError(t, err)
	families, err := h.registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == "switchboard_routing_duration_seconds" {
			require.Equal(t, uint64(1), f.GetMetric()[0].GetHistogram().GetSampleCount())
			return
		}
	}
	t.Fatal("switchboard_routing_duration_seconds was not gathered")
}

// counterValue returns the value of the counter name with the label pairs,
// 0 when it has not been counted yet.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m.GetLabel(), labels) {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](got []L, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		found := false
		for _, l := range got {
			if l.GetName() == want[i] && l.GetValue() == want[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestRulesThatNoLongerCompileTakeDefaultRoute(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	broken := routing.Rule{Name: "broken", When: `contact.no_such_field == "x"`, Route: vipQueue}
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, broken)

	answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.NoError(t, err)
	require.Equal(t, twimlDefaultFor(conn.ID), string(answer.Body))
	require.Equal(t, 1.0, counterValue(t, h.registry, "switchboard_routing_fallbacks_total", "provider", "twilio", "reason", routing.ReasonRuleError))
	call, _ := h.onlyCall(t)
	require.Contains(t, string(call.Routing), "no longer compile")
}

func TestWebhookRejectionsRateLimited(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
		// The harness clock stands still, so every hook arrives in one
		// second. Each remote address is a distinct rejection.
		sent := inbound.MaxRejectionsPerSecond + 5
		for i := range sent {
			hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))
			hook.Body = []byte(twilioVoice("CA2", "+14155550123").Encode())
			hook.RemoteAddr = fmt.Sprintf("192.0.2.%d", i+1)

			_, err := h.svc.HandleWebhook(h.ctx, hook)

			require.ErrorIs(t, err, telephony.ErrBadSignature)
		}

		got, err := st.ListWebhookRejections(h.ctx, h.workspace.ID, conn.ID)
		require.NoError(t, err)
		require.Len(t, got, inbound.MaxRejectionsPerSecond, "the rejections past the limit are dropped")
	})
}

func TestWebhookRejectionRepeatsCounted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderTwilio, twilioCreds)
		for range 3 {
			hook := twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123"))
			hook.Body = []byte(twilioVoice("CA2", "+14155550123").Encode())
			_, err := h.svc.HandleWebhook(h.ctx, hook)
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		}

		got, err := st.ListWebhookRejections(h.ctx, h.workspace.ID, conn.ID)

		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 3, got[0].Occurrences)
	})
}
