package vonage

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const (
	callerLeg    = "5d2b7c1e8f3a4b6d9e0c1a2b3c4d5e6f"
	conversation = "CON-0c9e2f4a-6b8d-4e1f-a3c5-7e9b0d2f4a6c"
	webhookBase  = "https://switchboard.example.com/hooks/vonage/7c3e9a1b/"
)

var (
	ukCaller = telephony.Party{Raw: "442079460123", E164: "+442079460123", Kind: "number"}
	ukNumber = telephony.Party{Raw: "442079460100", E164: "+442079460100", Kind: "number"}
)

func postRequest(t *testing.T, hook, fixture string) telephony.Request {
	t.Helper()
	return telephony.Request{Method: http.MethodPost, PublicURL: webhookBase + hook, Body: readFixture(t, fixture), Hook: hook}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		name string
		req  func(t *testing.T) telephony.Request
		want telephony.CallEvent
	}{
		{
			name: "answer webhook POST",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookAnswer, "answer_post.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: ukCaller, To: ukNumber, Status: telephony.StatusRinging, NeedsRoute: true,
			},
		},
		{
			name: "answer webhook GET",
			req: func(t *testing.T) telephony.Request {
				query := string(readFixture(t, "answer_get.query"))
				return telephony.Request{Method: http.MethodGet, PublicURL: webhookBase + "answer?" + query, Hook: HookAnswer}
			},
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: ukCaller, To: ukNumber, Status: telephony.StatusRinging, NeedsRoute: true,
			},
		},
		{
			name: "answer webhook GET with gateway form",
			req: func(t *testing.T) telephony.Request {
				form, err := url.ParseQuery(string(readFixture(t, "answer_get.query")))
				require.NoError(t, err)
				return telephony.Request{Method: http.MethodGet, PublicURL: webhookBase + "answer", Form: form, Hook: HookAnswer}
			},
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: ukCaller, To: ukNumber, Status: telephony.StatusRinging, NeedsRoute: true,
			},
		},
		{
			name: "answer webhook from an app user",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookAnswer, "answer_app_user.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: "7e1f3a5c7e9b4d2f8a6c0e2b4d6f8a0c", ParentCallID: "CON-2e4a6c8e-0b2d-4f6a-8c0e-2b4d6f8a0c2e",
				Direction: telephony.DirectionOutbound,
				From:      telephony.Party{Raw: "alice", Kind: "client"},
				To:        telephony.Party{Raw: "14155550177", E164: "+14155550177", Kind: "number"},
				Status:    telephony.StatusRinging, Agent: "alice", NeedsRoute: true,
			},
		},
		{
			name: "started",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookEvent, "event_started.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: ukCaller, To: ukNumber, Status: telephony.StatusRinging,
				OccurredAt: time.Date(2025, time.November, 4, 15, 4, 5, 123_000_000, time.UTC),
			},
		},
		{
			name: "completed with duration as string",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookEvent, "event_completed.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: ukCaller, To: ukNumber, Status: telephony.StatusCompleted, DurationSeconds: 47,
				OccurredAt: time.Date(2025, time.November, 4, 15, 5, 52, 412_000_000, time.UTC),
			},
		},
		{
			name: "agent leg timed out",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookEvent, "event_timeout.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: "9a8b7c6d5e4f40312a1b0c9d8e7f6a5b", ParentCallID: conversation,
				Direction: telephony.DirectionOutbound, From: ukNumber,
				To:         telephony.Party{Raw: "14155550188", E164: "+14155550188", Kind: "number"},
				Status:     telephony.StatusMissed,
				OccurredAt: time.Date(2025, time.November, 4, 15, 4, 35, 0, time.UTC),
			},
		},
		{
			name: "machine uses call_uuid",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookEvent, "event_machine.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: "3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e2b", ParentCallID: "CON-6a8c0e2b-4d6f-4a8c-8e2b-4d6f8a0c2e4b",
				Direction: telephony.DirectionInbound, From: ukNumber,
				To:         telephony.Party{Raw: "14155550177", E164: "+14155550177", Kind: "number"},
				Status:     telephony.StatusVoicemail,
				OccurredAt: time.Date(2025, time.November, 4, 16, 0, 12, 0, time.UTC),
			},
		},
		{
			name: "record event is a voicemail",
			req:  func(t *testing.T) telephony.Request { return postRequest(t, HookEvent, "event_record.json") },
			want: telephony.CallEvent{
				Provider: telephony.ProviderVonage, ProviderCallID: conversation, ParentCallID: conversation, Direction: telephony.DirectionInbound,
				From: telephony.Party{Kind: "anonymous"}, To: telephony.Party{Kind: "anonymous"},
				Status:       telephony.StatusVoicemail,
				RecordingURL: "https://api.nexmo.com/v1/files/b2d4f6a8-c0e2-4b4d-8f6a-8c0e2b4d6f8a",
				OccurredAt:   time.Date(2025, time.November, 4, 15, 6, 25, 4_000_000, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := New(Options{}).Parse(tt.req(t))

			require.NoError(t, err)
			require.Equal(t, []telephony.CallEvent{tt.want}, events)
		})
	}
}

// TestParseLegsShareParent checks that the caller's leg, an agent leg and
// a recording of one call name the same parent, so they make one record.
func TestParseLegsShareParent(t *testing.T) {
	adapter := New(Options{})
	var parents []string
	for _, req := range []telephony.Request{
		postRequest(t, HookAnswer, "answer_post.json"),
		postRequest(t, HookEvent, "event_timeout.json"),
		postRequest(t, HookEvent, "event_record.json"),
	} {
		events, err := adapter.Parse(req)
		require.NoError(t, err)
		require.Len(t, events, 1)
		parents = append(parents, events[0].ParentCallID)
	}

	require.Equal(t, []string{conversation, conversation, conversation}, parents)
}

func TestParseEventsWithoutCallState(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		body    string
	}{
		{name: "input", fixture: "event_input.json"},
		{name: "transfer", fixture: "event_transfer.json"},
		{name: "disconnected", body: `{"uuid":"` + callerLeg + `","status":"disconnected","timestamp":"2025-11-04T15:04:40.000Z"}`},
		{name: "unknown status", body: `{"uuid":"` + callerLeg + `","status":"payment","timestamp":"2025-11-04T15:04:40.000Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.fixture != "" {
				body = readFixture(t, tt.fixture)
			}
			req := telephony.Request{Method: http.MethodPost, Body: body, Hook: HookEvent}

			events, err := New(Options{}).Parse(req)

			require.NoError(t, err)
			require.Empty(t, events)
		})
	}
}

func TestParseEventStatuses(t *testing.T) {
	tests := []struct {
		status string
		want   telephony.Status
	}{
		{status: "started", want: telephony.StatusRinging},
		{status: "ringing", want: telephony.StatusRinging},
		{status: "answered", want: telephony.StatusAnswered},
		{status: "human", want: telephony.StatusAnswered},
		{status: "machine", want: telephony.StatusVoicemail},
		{status: "busy", want: telephony.StatusBusy},
		{status: "cancelled", want: telephony.StatusCancelled},
		{status: "unanswered", want: telephony.StatusMissed},
		{status: "timeout", want: telephony.StatusMissed},
		{status: "rejected", want: telephony.StatusFailed},
		{status: "failed", want: telephony.StatusFailed},
		{status: "completed", want: telephony.StatusCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			body := []byte(`{"uuid":"` + callerLeg + `","from":"442079460123","to":"442079460100","direction":"inbound","status":"` + tt.status + `"}`)

			events, err := New(Options{}).Parse(telephony.Request{Method: http.MethodPost, Body: body, Hook: HookEvent})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, tt.want, events[0].Status)
		})
	}
}

func TestParseOddCallerIDs(t *testing.T) {
	tests := []struct {
		name   string
		from   string
		region string
		want   telephony.Party
	}{
		{name: "UK without plus", from: "442079460123", want: telephony.Party{Raw: "442079460123", E164: "+442079460123", Kind: "number"}},
		{name: "US without plus", from: "14155550123", region: "GB", want: telephony.Party{Raw: "14155550123", E164: "+14155550123", Kind: "number"}},
		{name: "with plus", from: "+14155550123", want: telephony.Party{Raw: "+14155550123", E164: "+14155550123", Kind: "number"}},
		{name: "national with region", from: "020 7946 0123", region: "GB", want: telephony.Party{Raw: "020 7946 0123", E164: "+442079460123", Kind: "number"}},
		{name: "short code", from: "12345", want: telephony.Party{Raw: "12345", Kind: "number"}},
		{name: "withheld", from: "Unknown", want: telephony.Party{Raw: "Unknown", Kind: "anonymous"}},
		{name: "missing", from: "", want: telephony.Party{Kind: "anonymous"}},
		{name: "keypad ANONYMOUS", from: "266696687", want: telephony.Party{Raw: "266696687", Kind: "anonymous"}},
		{name: "SIP URI", from: "sip:alice@pbx.example.com", want: telephony.Party{Raw: "sip:alice@pbx.example.com", Kind: "sip"}},
		{name: "too long", from: "4420794601234567890", want: telephony.Party{Raw: "4420794601234567890", Kind: "number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(`{"uuid":"` + callerLeg + `","to":"442079460100","from":"` + tt.from + `"}`)

			events, err := New(Options{DefaultRegion: tt.region}).Parse(telephony.Request{Method: http.MethodPost, Body: body, Hook: HookAnswer})

			require.NoError(t, err)
			require.Equal(t, tt.want, events[0].From)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		req  telephony.Request
	}{
		{name: "invalid JSON", req: telephony.Request{Method: http.MethodPost, Body: []byte(`{"uuid":`), Hook: HookEvent}},
		{name: "duration not a number", req: telephony.Request{Method: http.MethodPost, Body: []byte(`{"uuid":"x","status":"completed","duration":"forty"}`), Hook: HookEvent}},
		{name: "no call identifier", req: telephony.Request{Method: http.MethodPost, Body: []byte(`{"from":"442079460123","status":"ringing"}`), Hook: HookEvent}},
		{name: "answer without uuid", req: telephony.Request{Method: http.MethodGet, PublicURL: webhookBase + "answer?from=442079460123", Hook: HookAnswer}},
		{name: "unknown hook", req: postRequest(t, "fallback", "answer_post.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := New(Options{}).Parse(tt.req)

			require.ErrorIs(t, err, telephony.ErrMalformed)
			require.Nil(t, events)
		})
	}
}
