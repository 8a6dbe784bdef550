package generic_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
)

var (
	caller   = telephony.Party{Raw: "+14155550142", E164: "+14155550142", Kind: "number"}
	mainLine = telephony.Party{Raw: "+442079460123", E164: "+442079460123", Kind: "number"}
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

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
		want    telephony.CallEvent
	}{
		{
			name:    "inbound ringing needs route",
			fixture: "ringing_inbound.json",
			want: telephony.CallEvent{
				Provider: telephony.ProviderGeneric, ProviderCallID: "1773151331.42",
				ProviderEventID: "evt_01JNZ6Q4V2R8K3M5T7W9X1Y3Z5", Direction: telephony.DirectionInbound,
				From: caller, To: mainLine, Status: telephony.StatusRinging,
				OccurredAt: at("2026-03-10T14:02:11Z"), NeedsRoute: true,
			},
		},
		{
			name:    "outbound ringing from sip",
			fixture: "ringing_outbound.json",
			want: telephony.CallEvent{
				Provider: telephony.ProviderGeneric, ProviderCallID: "1773155000.51",
				ProviderEventID: "evt_01JNZ7H8K0M2P4R6T8V0X2Z4B6", Direction: telephony.DirectionOutbound,
				From:   telephony.Party{Raw: "sip:202@pbx.example.com", Kind: "sip"},
				To:     telephony.Party{Raw: "+14155550177", E164: "+14155550177", Kind: "number"},
				Status: telephony.StatusRinging, OccurredAt: at("2026-03-10T15:03:20Z"), Agent: "202",
			},
		},
		{
			name:    "answered",
			fixture: "answered.json",
			want: telephony.CallEvent{
				Provider: telephony.ProviderGeneric, ProviderCallID: "1773151331.42",
				ProviderEventID: "evt_01JNZ6Q9B4D6F8H0J2K4M6N8P0", Direction: telephony.DirectionInbound,
				From: caller, To: mainLine, Status: telephony.StatusAnswered,
				OccurredAt: at("2026-03-10T14:02:19Z"), Agent: "201",
			},
		},
		{
			name:    "completed with duration and recording",
			fixture: "completed.json",
			want: telephony.CallEvent{
				Provider: telephony.ProviderGeneric, ProviderCallID: "1773151331.42",
				ProviderEventID: "evt_01JNZ6ZC1E3G5J7L9N1Q3S5U7W", Direction: telephony.DirectionInbound,
				From: caller, To: mainLine, Status: telephony.StatusCompleted,
				OccurredAt: at("2026-03-10T15:07:45+01:00"), Agent: "201", DurationSeconds: 326,
				RecordingURL: "https://pbx.example.com/recordings/1773151331.42.wav",
			},
		},
		{
			name:    "missed from anonymous",
			fixture: "missed.json",
			want: telephony.CallEvent{
				Provider: telephony.ProviderGeneric, ProviderCallID: "1773151402.43",
				ProviderEventID: "evt_01JNZ7A2C4E6G8J0L2N4Q6S8U0", Direction: telephony.DirectionInbound,
				From: telephony.Party{Raw: "anonymous", Kind: "anonymous"}, To: mainLine,
				Status: telephony.StatusMissed, OccurredAt: at("2026-03-10T14:03:22.5Z"),
			},
		},
	}

	adapter := generic.New(generic.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := adapter.Parse(telephony.Request{Body: readFixture(t, tt.fixture)})
			require.NoError(t, err)
			require.Equal(t, []telephony.CallEvent{tt.want}, events)
		})
	}
}

func TestParseEveryStatus(t *testing.T) {
	adapter := generic.New(generic.Options{})
	for _, status := range []string{"ringing", "answered", "completed", "missed", "busy", "failed", "cancelled", "voicemail"} {
		t.Run(status, func(t *testing.T) {
			body := `{"event_id":"evt_1","call_id":"c1","event":"` + status + `","direction":"outbound","occurred_at":"2026-03-10T14:02:11Z"}`

			events, err := adapter.Parse(telephony.Request{Body: []byte(body)})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, telephony.Status(status), events[0].Status)
			require.False(t, events[0].NeedsRoute)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	const valid = `"event_id":"evt_1","call_id":"c1","event":"ringing","direction":"inbound","occurred_at":"2026-03-10T14:02:11Z"`
	tests := []struct {
		name    string
		body    string
		message string
	}{
		{name: "unknown field", body: `{` + valid + `,"caller_name":"Dana Lee"}`, message: `unknown field "caller_name"`},
		{name: "misspelled field", body: `{` + valid + `,"duration":12}`, message: `unknown field "duration"`},
		{name: "two objects", body: `{` + valid + `} {}`, message: "exactly one JSON object"},
		{name: "not json", body: `event=ringing`, message: "invalid character"},
		{name: "array", body: `[{` + valid + `}]`, message: "cannot unmarshal array"},
		{name: "missing ids", body: `{"event":"ringing","direction":"inbound","occurred_at":"2026-03-10T14:02:11Z"}`, message: "event_id is missing; call_id is missing"},
		{name: "unknown event", body: `{"event_id":"e","call_id":"c","event":"ringin","direction":"inbound","occurred_at":"2026-03-10T14:02:11Z"}`, message: `event "ringin" is not one of ringing, answered, completed`},
		{name: "bad direction", body: `{"event_id":"e","call_id":"c","event":"ringing","direction":"incoming","occurred_at":"2026-03-10T14:02:11Z"}`, message: `direction "incoming" is not inbound or outbound`},
		{name: "missing occurred_at", body: `{"event_id":"e","call_id":"c","event":"ringing","direction":"inbound"}`, message: "occurred_at is missing"},
		{name: "occurred_at without zone", body: `{"event_id":"e","call_id":"c","event":"ringing","direction":"inbound","occurred_at":"2026-03-10 14:02:11"}`, message: "parsing time"},
		{name: "negative duration", body: `{` + valid + `,"duration_seconds":-4}`, message: "duration_seconds -4 is negative"},
		{name: "relative recording url", body: `{` + valid + `,"recording_url":"/recordings/1.wav"}`, message: `recording_url "/recordings/1.wav" is not an absolute http or https URL`},
		{name: "empty body", body: ``, message: "EOF"},
	}

	adapter := generic.New(generic.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adapter.Parse(telephony.Request{Body: []byte(tt.body)})
			require.ErrorIs(t, err, telephony.ErrMalformed)
			require.ErrorContains(t, err, tt.message)
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
		{name: "anonymous", from: "Anonymous", want: telephony.Party{Raw: "Anonymous", Kind: "anonymous"}},
		{name: "omitted", from: "", want: telephony.Party{}},
		{name: "sip uri with number", from: "sip:+14155550142@pbx.example.com", want: telephony.Party{Raw: "sip:+14155550142@pbx.example.com", E164: "+14155550142", Kind: "sip"}},
		{name: "no country code", from: "030 1234567", want: telephony.Party{Raw: "030 1234567", Kind: "number"}},
		{name: "no country code with region", from: "030 1234567", region: "DE", want: telephony.Party{Raw: "030 1234567", E164: "+49301234567", Kind: "number"}},
		{name: "words", from: "Reception", want: telephony.Party{Raw: "Reception", Kind: "unknown"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapter := generic.New(generic.Options{DefaultRegion: tt.region})
			body := `{"event_id":"e","call_id":"c","event":"ringing","direction":"inbound","from":"` + tt.from + `","occurred_at":"2026-03-10T14:02:11Z"}`

			events, err := adapter.Parse(telephony.Request{Body: []byte(body)})

			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, tt.want, events[0].From)
		})
	}
}

func TestAnswer(t *testing.T) {
	route := &telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 20, CallerName: "Acme Ltd"}
	tests := []struct {
		name  string
		event telephony.CallEvent
		route *telephony.Route
		want  string
	}{
		{
			name:  "ringing with route",
			event: telephony.CallEvent{Status: telephony.StatusRinging, NeedsRoute: true},
			route: route,
			want:  `{"action":"route","route":{"kind":"number","target":"+14155550188","timeout_seconds":20,"caller_name":"Acme Ltd"}}`,
		},
		{
			name:  "voicemail route omits empty fields",
			event: telephony.CallEvent{Status: telephony.StatusRinging, NeedsRoute: true},
			route: &telephony.Route{Kind: telephony.TargetVoicemail},
			want:  `{"action":"route","route":{"kind":"voicemail"}}`,
		},
		{
			name:  "ringing without route",
			event: telephony.CallEvent{Status: telephony.StatusRinging, NeedsRoute: true},
			want:  `{"action":"none"}`,
		},
		{
			name:  "answered ignores route",
			event: telephony.CallEvent{Status: telephony.StatusAnswered},
			route: route,
			want:  `{"action":"none"}`,
		},
	}

	adapter := generic.New(generic.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := adapter.Answer(tt.event, tt.route)

			require.Equal(t, 200, answer.Status)
			require.Equal(t, "application/json", answer.ContentType)
			require.JSONEq(t, tt.want, string(answer.Body))
		})
	}
}
