package telnyx_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/callrecord"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
)

// Identifiers used in the fixtures under testdata.
const (
	firstLeg  = "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO_nh0d_mgrm_ToafLs3GXA"
	secondLeg = "v3:Zs7Xk2QyVb8cN1pLr4tHe9WmFgDj3aUo0iYnCq6vRxTzSy5lKwEh"
)

var (
	caller    = telephony.Party{Raw: "+14155550142", E164: "+14155550142", Kind: "number"}
	telnyxDID = telephony.Party{Raw: "+442079460123", E164: "+442079460123", Kind: "number"}
)

func at(value string) time.Time {
	parsed, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		panic(err)
	}
	return parsed.UTC()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    []telephony.CallEvent
	}{
		{
			name:    "incoming call initiated needs route",
			fixture: "call_initiated_incoming.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b01",
				Direction:       telephony.DirectionInbound, From: caller, To: telnyxDID,
				Status: telephony.StatusRinging, OccurredAt: at("2026-03-10T14:02:11.482736Z"), NeedsRoute: true,
			}},
		},
		{
			name:    "outgoing call initiated needs no route",
			fixture: "call_initiated_outgoing.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b02",
				Direction:       telephony.DirectionOutbound, From: telnyxDID,
				To:     telephony.Party{Raw: "+14155550177", E164: "+14155550177", Kind: "number"},
				Status: telephony.StatusRinging, OccurredAt: at("2026-03-10T15:20:00Z"),
			}},
		},
		{
			name:    "call answered",
			fixture: "call_answered.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b03",
				Direction:       telephony.DirectionInbound, From: caller, To: telnyxDID,
				Status: telephony.StatusAnswered, OccurredAt: at("2026-03-10T14:02:19.1Z"),
			}},
		},
		{
			name:    "second leg answered names the agent",
			fixture: "call_answered_second_leg.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b05",
				Status:          telephony.StatusAnswered, OccurredAt: at("2026-03-10T14:02:19Z"),
				Agent: "+14155550188",
			}},
		},
		{
			name:    "call bridged",
			fixture: "call_bridged.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b06",
				From:            caller, To: telnyxDID,
				Status: telephony.StatusAnswered, OccurredAt: at("2026-03-10T14:02:19.2Z"),
			}},
		},
		{
			name:    "hangup normal clearing completes",
			fixture: "call_hangup.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
				Direction:       telephony.DirectionInbound, From: caller, To: telnyxDID,
				Status: telephony.StatusCompleted, OccurredAt: at("2026-03-10T14:07:45.913Z"),
			}},
		},
		{
			name:    "hangup after voicemail route",
			fixture: "call_hangup_voicemail.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f2",
				Direction:       telephony.DirectionInbound, From: caller, To: telnyxDID,
				Status: telephony.StatusVoicemail, OccurredAt: at("2026-03-10T14:04:02Z"),
			}},
		},
		{
			name:    "voicemail recording saved",
			fixture: "call_recording_saved.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderTelnyx, ProviderCallID: firstLeg,
				ProviderEventID: "7f8a6a52-2f0b-4f36-b1a7-4f2e1c0d9e11",
				Status:          telephony.StatusVoicemail,
				OccurredAt:      at("2026-03-10T14:04:05Z"),
				RecordingURL:    "https://s3.amazonaws.com/telephony-recorder-prod/example/2026-03-10/2dc6fc34.mp3?X-Amz-Expires=600",
			}},
		},
		{name: "second leg initiated dropped", fixture: "call_initiated_second_leg.json"},
		{name: "second leg hangup dropped", fixture: "call_hangup_second_leg.json"},
		{name: "unknown event ignored", fixture: "call_dtmf_received.json"},
	}

	adapter := telnyx.New(telnyx.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := adapter.Parse(telephony.Request{Body: readFixture(t, tt.fixture)})
			require.NoError(t, err)
			require.Equal(t, tt.want, events)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{name: "not json", body: `<Response/>`},
		{name: "no event type", body: `{"data":{"id":"1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b","payload":{}}}`},
		{name: "bad occurred_at", body: `{"data":{"event_type":"call.answered","occurred_at":"yesterday","payload":{"call_control_id":"v3:x"}}}`},
		{name: "empty body", body: ``},
	}

	adapter := telnyx.New(telnyx.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adapter.Parse(telephony.Request{Body: []byte(tt.body)})
			require.ErrorIs(t, err, telephony.ErrMalformed)
		})
	}
}

func TestParseRecordingWithoutCallID(t *testing.T) {
	adapter := telnyx.New(telnyx.Options{})

	_, err := adapter.Parse(telephony.Request{Body: readFixture(t, "call_recording_saved_unlinked.json")})

	require.ErrorIs(t, err, telephony.ErrMalformed)
}

// Telnyx saves the voicemail recording after the hangup, and the call
// record must keep the hangup as its end.
func TestVoicemailRecordingKeepsHangupTime(t *testing.T) {
	adapter := telnyx.New(telnyx.Options{})
	var events []telephony.CallEvent
	for _, name := range []string{"call_initiated_incoming.json", "call_hangup_voicemail.json", "call_recording_saved.json"} {
		parsed, err := adapter.Parse(telephony.Request{Body: readFixture(t, name)})
		require.NoError(t, err)
		events = append(events, parsed...)
	}

	var call store.Call
	callrecord.Rebuild(&call, events)

	require.Equal(t, "voicemail", call.Status)
	require.NotNil(t, call.EndedAt)
	require.Equal(t, at("2026-03-10T14:04:02Z"), call.EndedAt.Time)
	require.Equal(t, at("2026-03-10T14:04:05Z"), call.LastEventAt.Time)
	require.NotEmpty(t, call.RecordingURL)
}

func TestParseHangupCauses(t *testing.T) {
	tests := []struct {
		cause     string
		direction string
		want      telephony.Status
	}{
		{cause: "normal_clearing", direction: "incoming", want: telephony.StatusCompleted},
		{cause: "time_limit", direction: "incoming", want: telephony.StatusCompleted},
		{cause: "originator_cancel", direction: "incoming", want: telephony.StatusMissed},
		{cause: "originator_cancel", direction: "outgoing", want: telephony.StatusCancelled},
		{cause: "timeout", direction: "incoming", want: telephony.StatusMissed},
		{cause: "no_answer", direction: "outgoing", want: telephony.StatusMissed},
		{cause: "user_busy", direction: "outgoing", want: telephony.StatusBusy},
		{cause: "call_rejected", direction: "incoming", want: telephony.StatusCancelled},
		{cause: "call_rejected", direction: "outgoing", want: telephony.StatusBusy},
		{cause: "not_found", direction: "outgoing", want: telephony.StatusFailed},
		{cause: "unspecified", direction: "incoming", want: telephony.StatusFailed},
		{cause: "", direction: "incoming", want: telephony.StatusFailed},
	}

	adapter := telnyx.New(telnyx.Options{})
	for _, tt := range tests {
		t.Run(tt.cause+" "+tt.direction, func(t *testing.T) {
			body := editPayload(t, "call_hangup.json", map[string]any{
				"hangup_cause": tt.cause, "direction": tt.direction, "client_state": nil,
			})

			events, err := adapter.Parse(telephony.Request{Body: body})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, tt.want, events[0].Status)
			require.True(t, events[0].Status.Final())
		})
	}
}

func TestParseOddCallerIDs(t *testing.T) {
	tests := []struct {
		name   string
		from   any
		region string
		want   telephony.Party
	}{
		{name: "anonymous", from: "anonymous", want: telephony.Party{Raw: "anonymous", Kind: "anonymous"}},
		{name: "empty", from: "", want: telephony.Party{Raw: "", Kind: "anonymous"}},
		{name: "null", from: nil, want: telephony.Party{Raw: "", Kind: "anonymous"}},
		{
			name: "sip uri", from: "sip:alice@example.sip.telnyx.com",
			want: telephony.Party{Raw: "sip:alice@example.sip.telnyx.com", Kind: "sip"},
		},
		{name: "no country code", from: "4155550142", want: telephony.Party{Raw: "4155550142", Kind: "number"}},
		{
			name: "no country code with region", from: "4155550142", region: "US",
			want: telephony.Party{Raw: "4155550142", E164: "+14155550142", Kind: "number"},
		},
		{name: "letters", from: "Front Desk", want: telephony.Party{Raw: "Front Desk", Kind: "unknown"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapter := telnyx.New(telnyx.Options{DefaultRegion: tt.region})
			body := editPayload(t, "call_initiated_incoming.json", map[string]any{"from": tt.from})

			events, err := adapter.Parse(telephony.Request{Body: body})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, tt.want, events[0].From)
		})
	}
}

// editPayload returns the fixture with fields of data.payload replaced.
func editPayload(t *testing.T, fixture string, fields map[string]any) []byte {
	t.Helper()
	var doc map[string]map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, fixture), &doc))

	payload := doc["data"]["payload"].(map[string]any)
	for key, value := range fields {
		payload[key] = value
	}

	body, err := json.Marshal(doc)
	require.NoError(t, err)
	return body
}
