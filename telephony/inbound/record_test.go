package inbound_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

var genericCreds = telephony.Credentials{SigningSecret: genericSecret}

// genericCall returns the events of one answered inbound call, in the order
// they happened.
func genericCall(callID string) []generic.Event {
	base := generic.Event{CallID: callID, Direction: "inbound", From: "+14155550123", To: "+14155550100"}
	ringing, answered, completed := base, base, base
	ringing.EventID, ringing.Event, ringing.OccurredAt = callID+"-1", "ringing", testNow
	answered.EventID, answered.Event, answered.OccurredAt, answered.Agent = callID+"-2", "answered", testNow.Add(5*time.Second), "alice"
	completed.EventID, completed.Event, completed.OccurredAt = callID+"-3", "completed", testNow.Add(65*time.Second)
	completed.DurationSeconds, completed.RecordingURL = 58, "https://rec.example/1.mp3"
	return []generic.Event{ringing, answered, completed}
}

// comparable returns the fields of call that events and routing set.
func comparable(call store.Call) store.Call {
	call.ID, call.ConnectionID, call.CreatedAt, call.UpdatedAt = "", "", store.UnixMilli{}, store.UnixMilli{}
	return call
}

func TestDuplicatedAndReorderedEventsConverge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		inOrder := h.connection(t, telephony.ProviderGeneric, genericCreds, knownRule)
		shuffled := h.connection(t, telephony.ProviderGeneric, genericCreds, knownRule)
		contact := h.contact(t, "Ann", "+14155550123", `{}`)
		events := genericCall("call-1")

		for _, ev := range events {
			_, err := h.svc.HandleWebhook(h.ctx, genericHook(t, inOrder, ev))
			require.NoError(t, err)
		}
		for _, i := range []int{2, 1, 2, 0, 1, 0} {
			_, err := h.svc.HandleWebhook(h.ctx, genericHook(t, shuffled, events[i]))
			require.NoError(t, err)
		}

		calls := h.calls(t)
		require.Len(t, calls, 2)
		require.Equal(t, comparable(calls[0]), comparable(calls[1]))

		call := calls[1]
		require.Equal(t, "completed", call.Status)
		require.Equal(t, "alice", call.Agent)
		require.Equal(t, store.Millis(testNow), call.StartedAt)
		require.Equal(t, store.Millis(testNow.Add(5*time.Second)), *call.AnsweredAt)
		require.Equal(t, store.Millis(testNow.Add(65*time.Second)), *call.EndedAt)
		require.Equal(t, 58, call.DurationSeconds)
		require.Equal(t, "https://rec.example/1.mp3", call.RecordingURL)
		require.Equal(t, &contact.ID, call.ContactID)
		require.NotNil(t, call.Routing)

		stored, err := h.store.ListCallEvents(h.ctx, h.workspace.ID, call.ID)
		require.NoError(t, err)
		require.Len(t, stored, 3)
	})
}

func TestGenericRoutingAnswer(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderGeneric, genericCreds, knownRule)
	h.contact(t, "Ann", "+14155550123", `{}`)
	events := genericCall("call-1")

	ringing, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, events[0]))
	require.NoError(t, err)
	answered, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, events[1]))
	require.NoError(t, err)

	require.Equal(t, "application/json", ringing.ContentType)
	require.JSONEq(t, `{"action":"route","route":{"kind":"queue","target":"sales"}}`, string(ringing.Body))
	require.JSONEq(t, `{"action":"none"}`, string(answered.Body))
}

// TestConcurrentEventsOfNewCall sends two events of each new call at once:
// every call must end up as one record with both events.
func TestConcurrentEventsOfNewCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderGeneric, genericCreds)
		const calls = 8

		var wg sync.WaitGroup
		errs := make(chan error, 2*calls)
		for i := range calls {
			events := genericCall(fmt.Sprintf("call-%d", i))
			for _, ev := range events[1:] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, ev))
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		stored := h.calls(t)
		require.Len(t, stored, calls)
		for _, call := range stored {
			require.Equal(t, "completed", call.Status, call.ProviderCallID)
			events, err := h.store.ListCallEvents(h.ctx, h.workspace.ID, call.ID)
			require.NoError(t, err)
			require.Len(t, events, 2, call.ProviderCallID)
		}
	})
}

// TestConcurrentEventsOfRoutedCall sends every event of each new call at
// once, the routing event twice, as a provider retrying it would. Every
// call must end up as one routed record with three events.
func TestConcurrentEventsOfRoutedCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		h := setup(t, st)
		conn := h.connection(t, telephony.ProviderGeneric, genericCreds, knownRule)
		contact := h.contact(t, "Ann", "+14155550123", `{}`)
		const calls = 6

		var wg sync.WaitGroup
		errs := make(chan error, 4*calls)
		for i := range calls {
			events := genericCall(fmt.Sprintf("call-%d", i))
			for _, ev := range append(events, events[0]) {
				wg.Go(func() {
					_, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, ev))
					errs <- err
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		stored := h.calls(t)
		require.Len(t, stored, calls)
		for _, call := range stored {
			require.Equal(t, "completed", call.Status, call.ProviderCallID)
			require.Equal(t, &contact.ID, call.ContactID, call.ProviderCallID)
			require.NotNil(t, call.Routing, call.ProviderCallID)
			events, err := h.store.ListCallEvents(h.ctx, h.workspace.ID, call.ID)
			require.NoError(t, err)
			require.Len(t, events, 3, call.ProviderCallID)
		}
	})
}

func TestOutboundCallMatchesCallee(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderGeneric, genericCreds)
	contact := h.contact(t, "Bob", "+14155550177", `{}`)
	ev := generic.Event{
		EventID: "out-1", CallID: "out", Event: "ringing", Direction: "outbound",
		From: "+14155550100", To: "+14155550177", OccurredAt: testNow, Agent: "alice",
	}

	answer, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, ev))

	require.NoError(t, err)
	require.JSONEq(t, `{"action":"none"}`, string(answer.Body))
	call, _ := h.onlyCall(t)
	require.Equal(t, "outbound", call.Direction)
	require.Equal(t, &contact.ID, call.ContactID)
	require.Nil(t, call.Routing)
}

const (
	vonageSecret       = "Zr4qK8vNw2xB6yT0cJ5mH9pL3dF7sA1e"
	vonageConversation = "CON-0c9e2f4a-6b8d-4e1f-a3c5-7e9b0d2f4a6c"
	vonageCallerLeg    = "5d2b7c1e8f3a4b6d9e0c1a2b3c4d5e6f"
)

// vonageHook returns a Vonage webhook with body, signed the way Vonage signs
// webhooks: an HS256 JWT with the body's SHA-256.
func vonageHook(t *testing.T, conn store.TelephonyConnection, name, body string) inbound.Hook {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": testNow.Unix(), "iss": "Vonage", "payload_hash": hex.EncodeToString(sum[:]),
	}).SignedString([]byte(vonageSecret))
	require.NoError(t, err)

	header := http.Header{}
	header.Set("Authorization", "Bearer "+token)
	header.Set("Content-Type", "application/json")
	return inbound.Hook{
		Provider: "vonage", ConnectionID: conn.ID, Name: name, Method: http.MethodPost,
		PublicURL: publicBase + "/hooks/vonage/" + conn.ID + "/" + name, Header: header, Body: []byte(body),
	}
}

// TestVonageLegsMakeOneCall sends the caller's leg, an agent leg that timed
// out and the caller's hang-up: one call, missed.
func TestVonageLegsMakeOneCall(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderVonage, telephony.Credentials{SigningSecret: vonageSecret})
	bodies := []struct{ hook, body string }{
		{"answer", `{"from":"14155550123","to":"14155550100","uuid":"` + vonageCallerLeg + `","conversation_uuid":"` + vonageConversation + `"}`},
		{"event", `{"from":"14155550100","to":"14155550188","uuid":"9a8b7c6d5e4f40312a1b0c9d8e7f6a5b","conversation_uuid":"` + vonageConversation + `","status":"timeout","direction":"outbound","timestamp":"2026-03-10T14:02:41.000Z"}`},
		{"event", `{"from":"14155550123","to":"14155550100","uuid":"` + vonageCallerLeg + `","conversation_uuid":"` + vonageConversation + `","status":"completed","direction":"inbound","duration":"31","timestamp":"2026-03-10T14:02:42.000Z"}`},
	}

	var answers []telephony.Answer
	for _, b := range bodies {
		answer, err := h.svc.HandleWebhook(h.ctx, vonageHook(t, conn, b.hook, b.body))
		require.NoError(t, err)
		answers = append(answers, answer)
	}

	require.JSONEq(t, `[{"action":"connect","from":"14155550100","endpoint":[{"type":"phone","number":"14155550188"}]}]`, string(answers[0].Body))
	require.Equal(t, http.StatusNoContent, answers[1].Status)
	call, events := h.onlyCall(t)
	require.Len(t, events, 3)
	require.Equal(t, vonageConversation, call.ProviderCallID)
	require.Equal(t, "missed", call.Status)
	require.Equal(t, "inbound", call.Direction)
	require.Equal(t, "+14155550123", call.FromE164)
	require.Equal(t, "+14155550100", call.ToE164)
	require.Equal(t, 0, call.DurationSeconds)
}

func TestIgnoredEventStoresNothing(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderVonage, telephony.Credentials{SigningSecret: vonageSecret})
	input := `{"from":"14155550123","to":"14155550100","dtmf":{"digits":"42"},"uuid":"` + vonageCallerLeg + `","conversation_uuid":"` + vonageConversation + `"}`
	_, err := h.svc.HandleWebhook(h.ctx, vonageHook(t, conn, "answer", `{"from":"14155550123","to":"14155550100","uuid":"`+vonageCallerLeg+`","conversation_uuid":"`+vonageConversation+`"}`))
	require.NoError(t, err)
	require.NoError(t, h.store.Close())

	answer, err := h.svc.HandleWebhook(h.ctx, vonageHook(t, conn, "event", input))

	require.NoError(t, err, "an event that changes no call needs no database")
	require.Equal(t, http.StatusNoContent, answer.Status)
}

func TestRoutedPartyBecomesAgent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []routing.Rule
		want  string
	}{
		{name: "number route", want: defaultRoute.Target},
		{name: "queue route", rules: []routing.Rule{{Name: "everyone", When: "true", Route: salesQueue}}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, testdb.Open(t, store.SQLite))
			conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, tc.rules...)
			_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
			require.NoError(t, err)
			completed := twilioVoice("CA1", "+14155550123")
			completed.Set("CallStatus", "completed")
			completed.Set("CallDuration", "30")
			_, err = h.svc.HandleWebhook(h.ctx, twilioHook(conn, "status", completed))
			require.NoError(t, err)

			call, _ := h.onlyCall(t)
			require.Equal(t, "completed", call.Status)
			require.Equal(t, tc.want, call.Agent, "Twilio names no agent, so the routed party is the agent")
		})
	}
}
