package aircall_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/aircall"
)

// webhookToken is the token in every fixture under testdata.
const webhookToken = "45a3e47e2e96a1d4b1a8a4e3c1f6b0d2"

var (
	caller     = telephony.Party{Raw: "+1 415-555-0142", E164: "+14155550142", Kind: "number"}
	londonLine = telephony.Party{Raw: "+44 20 7946 0123", E164: "+442079460123", Kind: "number"}
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

func unix(seconds int64) time.Time {
	return time.Unix(seconds, 0).UTC()
}

func TestParse(t *testing.T) {
	const callID = "1362432817"
	tests := []struct {
		name    string
		fixture string
		want    []telephony.CallEvent
	}{
		{
			name:    "created inbound needs route",
			fixture: "call_created.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.created/1362432817/1773151331",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusRinging, OccurredAt: unix(1773151331), NeedsRoute: true,
			}},
		},
		{
			name:    "ringing on agent",
			fixture: "call_ringing_on_agent.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.ringing_on_agent/1362432817/1773151333",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusRinging, OccurredAt: unix(1773151333), Agent: "maya.patel@example.com",
			}},
		},
		{
			name:    "answered",
			fixture: "call_answered.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.answered/1362432817/1773151339",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusAnswered, OccurredAt: unix(1773151339), Agent: "maya.patel@example.com",
			}},
		},
		{
			name:    "transferred to other user",
			fixture: "call_transferred.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.transferred/1362432817/1773151400",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusAnswered, OccurredAt: unix(1773151400), Agent: "tom.becker@example.com",
			}},
		},
		{
			name:    "hungup completes with talk time",
			fixture: "call_hungup.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.hungup/1362432817/1773151642",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusCompleted, OccurredAt: unix(1773151642), Agent: "maya.patel@example.com",
				DurationSeconds: 303,
			}},
		},
		{
			name:    "ended adds recording",
			fixture: "call_ended.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.ended/1362432817/1773151672",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusCompleted, OccurredAt: unix(1773151672), Agent: "maya.patel@example.com",
				DurationSeconds: 303,
				RecordingURL:    "https://aircall-recordings.s3.amazonaws.com/calls/1362432817/recording.mp3?X-Amz-Expires=600",
			}},
		},
		{
			name:    "ended with missed reason",
			fixture: "call_ended_missed.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.ended/1362432817/1773151402",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusMissed, OccurredAt: unix(1773151402),
			}},
		},
		{
			name:    "voicemail left",
			fixture: "call_voicemail_left.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.voicemail_left/1362432817/1773151420",
				Direction:       telephony.DirectionInbound, From: caller, To: londonLine,
				Status: telephony.StatusVoicemail, OccurredAt: unix(1773151420),
				RecordingURL: "https://aircall-voicemails.s3.amazonaws.com/calls/1362432817/voicemail.mp3?X-Amz-Expires=600",
			}},
		},
		{
			name:    "outbound ended swaps parties",
			fixture: "call_ended_outbound.json",
			want: []telephony.CallEvent{{
				Provider: telephony.ProviderAircall, ProviderCallID: callID,
				ProviderEventID: "call.ended/1362432817/1773155000",
				Direction:       telephony.DirectionOutbound, From: londonLine,
				To:     telephony.Party{Raw: "+44 20 7946 0456", E164: "+442079460456", Kind: "number"},
				Status: telephony.StatusCompleted, OccurredAt: unix(1773155000), Agent: "maya.patel@example.com",
				DurationSeconds: 80,
			}},
		},
		{name: "tagged ignored", fixture: "call_tagged.json"},
		{name: "contact resource ignored", fixture: "contact_created.json"},
	}

	adapter := aircall.New(aircall.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := adapter.Parse(telephony.Request{Body: readFixture(t, tt.fixture)})
			require.NoError(t, err)
			require.Equal(t, tt.want, events)
		})
	}
}

func TestParseMissedWithoutReason(t *testing.T) {
	adapter := aircall.New(aircall.Options{})
	body := editData(t, "call_ended_missed.json", map[string]any{"missed_call_reason": nil})

	events, err := adapter.Parse(telephony.Request{Body: body})

	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, telephony.StatusMissed, events[0].Status)
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{name: "not json", body: `resource=call`},
		{name: "data not an object", body: `{"resource":"call","event":"call.created","data":"1362432817"}`},
		{name: "call without id", body: `{"resource":"call","event":"call.created","data":{"direction":"inbound"}}`},
		{name: "id as text", body: `{"resource":"call","event":"call.created","data":{"id":"abc"}}`},
	}

	adapter := aircall.New(aircall.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adapter.Parse(telephony.Request{Body: []byte(tt.body)})
			require.ErrorIs(t, err, telephony.ErrMalformed)
		})
	}
}

func TestParseOddCallerIDs(t *testing.T) {
	tests := []struct {
		name   string
		digits any
		region string
		want   telephony.Party
	}{
		{name: "anonymous", digits: "anonymous", want: telephony.Party{Raw: "anonymous", Kind: "anonymous"}},
		{name: "null", digits: nil, want: telephony.Party{Raw: "", Kind: "anonymous"}},
		{name: "sip uri", digits: "sip:reception@pbx.example.com", want: telephony.Party{Raw: "sip:reception@pbx.example.com", Kind: "sip"}},
		{name: "no country code", digits: "020 7946 0999", want: telephony.Party{Raw: "020 7946 0999", Kind: "number"}},
		{
			name: "no country code with region", digits: "020 7946 0999", region: "GB",
			want: telephony.Party{Raw: "020 7946 0999", E164: "+442079460999", Kind: "number"},
		},
		{name: "garbage", digits: "###", want: telephony.Party{Raw: "###", Kind: "unknown"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapter := aircall.New(aircall.Options{DefaultRegion: tt.region})
			body := editData(t, "call_created.json", map[string]any{"raw_digits": tt.digits})

			events, err := adapter.Parse(telephony.Request{Body: body})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, tt.want, events[0].From)
		})
	}
}

// editData returns the fixture with fields of the call object replaced.
func editData(t *testing.T, fixture string, fields map[string]any) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, fixture), &doc))

	data := doc["data"].(map[string]any)
	for key, value := range fields {
		data[key] = value
	}

	body, err := json.Marshal(doc)
	require.NoError(t, err)
	return body
}
