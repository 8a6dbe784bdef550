package twilio

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const (
	inboundCallSid = "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c8e"
	childCallSid   = "CA9e8d7c6b5a49382716f5e4d3c2b1a0f9"
	recordingsURL  = "https://api.twilio.com/2010-04-01/Accounts/AC3f1d8a2b9c4e5f60718293a4b5c6d7e8/Recordings/"
)

var (
	callerParty = telephony.Party{Raw: "+14155550123", E164: "+14155550123", Kind: "number"}
	numberParty = telephony.Party{Raw: "+14155550100", E164: "+14155550100", Kind: "number"}
)

func fixtureRequest(t *testing.T, hook, fixture string) telephony.Request {
	t.Helper()
	return telephony.Request{
		Method:    http.MethodPost,
		PublicURL: "https://switchboard.example.com/hooks/twilio/4f1c2a9e/" + hook,
		Body:      readFixture(t, fixture),
		Hook:      hook,
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		name    string
		hook    string
		fixture string
		want    telephony.CallEvent
	}{
		{
			name:    "voice webhook needs a route",
			hook:    HookVoice,
			fixture: "voice_inbound.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				Direction: telephony.DirectionInbound, From: callerParty, To: numberParty,
				Status: telephony.StatusRinging, NeedsRoute: true,
			},
		},
		{
			name:    "voice webhook from a client is outbound",
			hook:    HookVoice,
			fixture: "voice_client.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: "CA7b9d1f3a5c7e9b0d2f4a6c8e0a2c4e6f",
				Direction: telephony.DirectionOutbound,
				From:      telephony.Party{Raw: "client:alice", Kind: "client"},
				To:        telephony.Party{Raw: "+442079460123", E164: "+442079460123", Kind: "number"},
				Status:    telephony.StatusRinging, Agent: "alice", NeedsRoute: true,
			},
		},
		{
			name:    "completed status callback",
			hook:    HookStatus,
			fixture: "status_completed.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				ProviderEventID: inboundCallSid + "/status/3",
				Direction:       telephony.DirectionInbound, From: callerParty, To: numberParty,
				Status:          telephony.StatusCompleted,
				OccurredAt:      time.Date(2025, time.November, 4, 15, 4, 5, 0, time.UTC),
				DurationSeconds: 47,
				RecordingURL:    recordingsURL + "RE4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b",
			},
		},
		{
			name:    "outbound call not answered",
			hook:    HookStatus,
			fixture: "status_no_answer.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: "CA1e3a5c7e9b0d2f4a6c8e0a2c4e6f8b1d",
				ProviderEventID: "CA1e3a5c7e9b0d2f4a6c8e0a2c4e6f8b1d/status/2",
				Direction:       telephony.DirectionOutbound,
				From:            numberParty,
				To:              telephony.Party{Raw: "+14155550177", E164: "+14155550177", Kind: "number"},
				Status:          telephony.StatusMissed,
				OccurredAt:      time.Date(2025, time.November, 4, 15, 10, 30, 0, time.UTC),
			},
		},
		{
			name:    "dial not answered",
			hook:    HookDial,
			fixture: "dial_no_answer.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				ProviderEventID: inboundCallSid + "/dial",
				Direction:       telephony.DirectionInbound, From: callerParty, To: numberParty,
				Status: telephony.StatusMissed,
			},
		},
		{
			name:    "dial answered and ended",
			hook:    HookDial,
			fixture: "dial_completed.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				ProviderEventID: inboundCallSid + "/dial",
				Direction:       telephony.DirectionInbound, From: callerParty, To: numberParty,
				Status: telephony.StatusCompleted, TalkSeconds: 95,
			},
		},
		{
			name:    "voicemail recorded",
			hook:    HookVoicemail,
			fixture: "voicemail.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				ProviderEventID: inboundCallSid + "/voicemail",
				Direction:       telephony.DirectionInbound, From: callerParty, To: numberParty,
				Status: telephony.StatusVoicemail, DurationSeconds: 23,
				RecordingURL: recordingsURL + "RE8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b",
			},
		},
		{
			name:    "child leg ringing",
			hook:    HookStatus,
			fixture: "child_ringing.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: childCallSid,
				ProviderEventID: childCallSid + "/status/1", ParentCallID: inboundCallSid,
				Status:     telephony.StatusRinging,
				OccurredAt: time.Date(2025, time.November, 4, 15, 2, 21, 0, time.UTC),
				Agent:      "alice",
			},
		},
		{
			name:    "child leg answered",
			hook:    HookStatus,
			fixture: "child_in_progress.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: childCallSid,
				ProviderEventID: childCallSid + "/status/2", ParentCallID: inboundCallSid,
				Status:     telephony.StatusAnswered,
				OccurredAt: time.Date(2025, time.November, 4, 15, 2, 30, 0, time.UTC),
				Agent:      "alice",
			},
		},
		{
			name:    "child leg completed",
			hook:    HookStatus,
			fixture: "child_completed.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: childCallSid,
				ProviderEventID: childCallSid + "/status/3", ParentCallID: inboundCallSid,
				OccurredAt: time.Date(2025, time.November, 4, 15, 4, 5, 0, time.UTC),
				Agent:      "alice",
			},
		},
		{
			name:    "child leg to SIP not answered",
			hook:    HookStatus,
			fixture: "child_no_answer.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: childCallSid,
				ProviderEventID: childCallSid + "/status/2", ParentCallID: inboundCallSid,
				OccurredAt: time.Date(2025, time.November, 4, 15, 2, 41, 0, time.UTC),
				Agent:      "sip:alice@example.sip.twilio.com",
			},
		},
		{
			name:    "recording completed",
			hook:    HookRecording,
			fixture: "recording_completed.form",
			want: telephony.CallEvent{
				Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
				ProviderEventID: inboundCallSid + "/recording/RE1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a",
				RecordingURL:    recordingsURL + "RE1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := New(Options{}).Parse(fixtureRequest(t, tt.hook, tt.fixture))

			require.NoError(t, err)
			require.Equal(t, []telephony.CallEvent{tt.want}, events)
		})
	}
}

func TestParseUsesGatewayForm(t *testing.T) {
	req := fixtureRequest(t, HookVoice, "voice_inbound.form")
	form, err := url.ParseQuery(string(req.Body))
	require.NoError(t, err)
	req.Form = form
	req.Body = nil

	events, err := New(Options{}).Parse(req)

	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, inboundCallSid, events[0].ProviderCallID)
	require.Equal(t, callerParty, events[0].From)
}

func statusParams(name, value string) url.Values {
	return url.Values{
		"CallSid":   {inboundCallSid},
		"From":      {"+14155550123"},
		"To":        {"+14155550100"},
		"Direction": {"inbound"},
		name:        {value},
	}
}

func TestParseStatusValues(t *testing.T) {
	tests := []struct {
		value string
		want  telephony.Status
	}{
		{value: "queued", want: telephony.StatusRinging},
		{value: "initiated", want: telephony.StatusRinging},
		{value: "ringing", want: telephony.StatusRinging},
		{value: "in-progress", want: telephony.StatusAnswered},
		{value: "completed", want: telephony.StatusCompleted},
		{value: "busy", want: telephony.StatusBusy},
		{value: "no-answer", want: telephony.StatusMissed},
		{value: "canceled", want: telephony.StatusCancelled},
		{value: "failed", want: telephony.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			req := telephony.Request{Hook: HookStatus, Form: statusParams("CallStatus", tt.value)}

			events, err := New(Options{}).Parse(req)

			require.NoError(t, err)
			require.Equal(t, tt.want, events[0].Status)
		})
	}
}

func TestParseDialStatusValues(t *testing.T) {
	tests := []struct {
		value string
		want  telephony.Status
	}{
		{value: "completed", want: telephony.StatusCompleted},
		{value: "answered", want: telephony.StatusCompleted},
		{value: "busy", want: telephony.StatusBusy},
		{value: "no-answer", want: telephony.StatusMissed},
		{value: "canceled", want: telephony.StatusCancelled},
		{value: "failed", want: telephony.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			req := telephony.Request{Hook: HookDial, Form: statusParams("DialCallStatus", tt.value)}

			events, err := New(Options{}).Parse(req)

			require.NoError(t, err)
			require.Equal(t, tt.want, events[0].Status)
		})
	}
}

func TestParseOddCallerIDs(t *testing.T) {
	tests := []struct {
		name      string
		from      string
		region    string
		want      telephony.Party
		direction telephony.Direction
		agent     string
	}{
		{name: "client", from: "client:alice", want: telephony.Party{Raw: "client:alice", Kind: "client"}, direction: telephony.DirectionOutbound, agent: "alice"},
		{name: "empty client", from: "client:", want: telephony.Party{Raw: "client:", Kind: "unknown"}, direction: telephony.DirectionInbound},
		{name: "anonymous", from: "anonymous", want: telephony.Party{Raw: "anonymous", Kind: "anonymous"}, direction: telephony.DirectionInbound},
		{name: "keypad ANONYMOUS", from: "+266696687", want: telephony.Party{Raw: "+266696687", Kind: "anonymous"}, direction: telephony.DirectionInbound},
		{name: "restricted", from: "Restricted", want: telephony.Party{Raw: "Restricted", Kind: "anonymous"}, direction: telephony.DirectionInbound},
		{name: "missing", from: "", want: telephony.Party{Kind: "anonymous"}, direction: telephony.DirectionInbound},
		{name: "SIP user", from: "sip:alice@example.sip.twilio.com", want: telephony.Party{Raw: "sip:alice@example.sip.twilio.com", Kind: "sip"}, direction: telephony.DirectionInbound},
		{name: "SIP number", from: "sip:+14155550123@trunk.example.com;transport=tls", want: telephony.Party{Raw: "sip:+14155550123@trunk.example.com;transport=tls", E164: "+14155550123", Kind: "sip"}, direction: telephony.DirectionInbound},
		{name: "national without region", from: "4155550123", want: telephony.Party{Raw: "4155550123", Kind: "number"}, direction: telephony.DirectionInbound},
		{name: "national with region", from: "4155550123", region: "US", want: telephony.Party{Raw: "4155550123", E164: "+14155550123", Kind: "number"}, direction: telephony.DirectionInbound},
		{name: "UK number", from: "+442079460123", want: telephony.Party{Raw: "+442079460123", E164: "+442079460123", Kind: "number"}, direction: telephony.DirectionInbound},
		{name: "garbage", from: "<script>", want: telephony.Party{Raw: "<script>", Kind: "unknown"}, direction: telephony.DirectionInbound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := statusParams("CallStatus", "ringing")
			params.Set("From", tt.from)

			events, err := New(Options{DefaultRegion: tt.region}).Parse(telephony.Request{Hook: HookVoice, Form: params})

			require.NoError(t, err)
			require.Equal(t, tt.want, events[0].From)
			require.Equal(t, tt.direction, events[0].Direction)
			require.Equal(t, tt.agent, events[0].Agent)
		})
	}
}

func TestParseInboundToClientSetsAgent(t *testing.T) {
	params := statusParams("CallStatus", "ringing")
	params.Set("To", "client:bob")

	events, err := New(Options{}).Parse(telephony.Request{Hook: HookVoice, Form: params})

	require.NoError(t, err)
	require.Equal(t, telephony.DirectionInbound, events[0].Direction)
	require.Equal(t, "bob", events[0].Agent)
}

func TestParseVoicemailWithoutRecording(t *testing.T) {
	params := statusParams("Digits", "hangup")

	events, err := New(Options{}).Parse(telephony.Request{Hook: HookVoicemail, Form: params})

	require.NoError(t, err)
	require.Equal(t, telephony.StatusMissed, events[0].Status)
	require.Empty(t, events[0].RecordingURL)
}

func TestParseChildLegToNumberSetsNoAgent(t *testing.T) {
	params := statusParams("CallStatus", "in-progress")
	params.Set("CallSid", childCallSid)
	params.Set("ParentCallSid", inboundCallSid)
	params.Set("Direction", "outbound-dial")
	params.Set("To", "+442079460123")

	events, err := New(Options{}).Parse(telephony.Request{Hook: HookStatus, Form: params})

	require.NoError(t, err)
	require.Equal(t, inboundCallSid, events[0].ParentCallID)
	require.Empty(t, events[0].Agent)
	require.Empty(t, events[0].Direction)
}

func TestParseChildLegFinalStatusesSetNone(t *testing.T) {
	for _, value := range []string{"completed", "busy", "no-answer", "canceled", "failed"} {
		t.Run(value, func(t *testing.T) {
			params := statusParams("CallStatus", value)
			params.Set("ParentCallSid", inboundCallSid)
			params.Set("CallDuration", "12")

			events, err := New(Options{}).Parse(telephony.Request{Hook: HookStatus, Form: params})

			require.NoError(t, err)
			require.Empty(t, events[0].Status)
			require.Zero(t, events[0].DurationSeconds)
		})
	}
}

func TestParseRecordingWithoutFile(t *testing.T) {
	for _, status := range []string{"absent", "failed", "in-progress"} {
		t.Run(status, func(t *testing.T) {
			req := fixtureRequest(t, HookRecording, "recording_absent.form")
			form, err := url.ParseQuery(string(req.Body))
			require.NoError(t, err)
			form.Set("RecordingStatus", status)
			req.Form = form

			events, err := New(Options{}).Parse(req)

			require.NoError(t, err)
			require.Empty(t, events)
		})
	}
}

// A recording status callback posted to the status or voicemail hook must
// neither be rejected nor turn the call into a voicemail.
func TestParseRecordingOnOtherHooks(t *testing.T) {
	for _, hook := range []string{HookStatus, HookVoicemail} {
		t.Run(hook, func(t *testing.T) {
			events, err := New(Options{}).Parse(fixtureRequest(t, hook, "recording_completed.form"))

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Empty(t, events[0].Status)
			require.Equal(t, recordingsURL+"RE1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a", events[0].RecordingURL)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		req  telephony.Request
	}{
		{name: "missing CallSid", req: telephony.Request{Hook: HookVoice, Form: url.Values{"From": {"+14155550123"}}}},
		{name: "unknown hook", req: telephony.Request{Hook: "sms", Form: statusParams("CallStatus", "ringing")}},
		{name: "unknown CallStatus", req: telephony.Request{Hook: HookStatus, Form: statusParams("CallStatus", "parked")}},
		{name: "missing CallStatus", req: telephony.Request{Hook: HookStatus, Form: statusParams("Digits", "1")}},
		{name: "unknown DialCallStatus", req: telephony.Request{Hook: HookDial, Form: statusParams("DialCallStatus", "bridged")}},
		{name: "missing RecordingStatus", req: telephony.Request{Hook: HookRecording, Form: url.Values{"CallSid": {inboundCallSid}, "RecordingSid": {"RE1"}}}},
		{name: "completed recording without URL", req: telephony.Request{Hook: HookRecording, Form: url.Values{"CallSid": {inboundCallSid}, "RecordingSid": {"RE1"}, "RecordingStatus": {"completed"}}}},
		{name: "completed recording without sid", req: telephony.Request{Hook: HookRecording, Form: url.Values{"CallSid": {inboundCallSid}, "RecordingUrl": {recordingsURL + "RE1"}, "RecordingStatus": {"completed"}}}},
		{name: "invalid form body", req: telephony.Request{Hook: HookVoice, Method: http.MethodPost, Body: []byte("CallSid=%zz")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := New(Options{}).Parse(tt.req)

			require.ErrorIs(t, err, telephony.ErrMalformed)
			require.Nil(t, events)
		})
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  time.Time
	}{
		{name: "RFC 2822 offset", value: "Tue, 04 Nov 2025 15:04:05 +0000", want: time.Date(2025, 11, 4, 15, 4, 5, 0, time.UTC)},
		{name: "non-UTC offset", value: "Tue, 04 Nov 2025 16:04:05 +0100", want: time.Date(2025, 11, 4, 15, 4, 5, 0, time.UTC)},
		{name: "zone name", value: "Tue, 04 Nov 2025 15:04:05 GMT", want: time.Date(2025, 11, 4, 15, 4, 5, 0, time.UTC)},
		{name: "invalid", value: "2025-11-04", want: time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, tt.want.Equal(timestamp(tt.value)), "got %s", timestamp(tt.value))
		})
	}
}
