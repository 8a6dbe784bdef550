package vonage

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

var answerEvent = telephony.CallEvent{
	Provider: telephony.ProviderVonage, ProviderCallID: callerLeg, Direction: telephony.DirectionInbound,
	From: ukCaller, To: ukNumber, Status: telephony.StatusRinging, NeedsRoute: true,
}

func TestAnswerRoutes(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		ev    telephony.CallEvent
		route telephony.Route
		want  string
	}{
		{
			name:  "number from the called number",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 25},
			want:  `[{"action":"connect","from":"442079460100","timeout":25,"endpoint":[{"type":"phone","number":"14155550188"}]}]`,
		},
		{
			name: "number for an app user's call",
			ev: telephony.CallEvent{
				Direction: telephony.DirectionOutbound, From: telephony.Party{Raw: "alice", Kind: "client"},
				To: telephony.Party{Raw: "14155550177", E164: "+14155550177", Kind: "number"}, NeedsRoute: true,
			},
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550177"},
			want:  `[{"action":"connect","randomFromNumber":true,"endpoint":[{"type":"phone","number":"14155550177"}]}]`,
		},
		{
			name:  "SIP URI",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:alice@pbx.example.com;transport=tls", TimeoutSeconds: 20},
			want:  `[{"action":"connect","timeout":20,"endpoint":[{"type":"sip","uri":"sip:alice@pbx.example.com;transport=tls"}]}]`,
		},
		{
			name:  "app user",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice", CallerName: "Jane Doe"},
			want:  `[{"action":"connect","endpoint":[{"type":"app","user":"alice"}]}]`,
		},
		{
			name:  "extension as app user by default",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `[{"action":"connect","endpoint":[{"type":"app","user":"201"}]}]`,
		},
		{
			name:  "extension as SIP",
			opts:  Options{ExtensionAs: ExtensionAsSIP, SIPDomain: "pbx.example.com"},
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201", TimeoutSeconds: 15},
			want:  `[{"action":"connect","timeout":15,"endpoint":[{"type":"sip","uri":"sip:201@pbx.example.com"}]}]`,
		},
		{
			name:  "queue",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetQueue, Target: "support"},
			want:  `[{"action":"conversation","name":"support","startOnEnter":false}]`,
		},
		{
			name:  "queue with hold music",
			opts:  Options{HoldMusicURL: "https://switchboard.example.com/static/hold.mp3"},
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetQueue, Target: "support"},
			want:  `[{"action":"conversation","name":"support","startOnEnter":false,"musicOnHoldUrl":["https://switchboard.example.com/static/hold.mp3"]}]`,
		},
		{
			name:  "voicemail",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want: `[{"action":"talk","text":"Please leave a message after the tone."},` +
				`{"action":"record","endOnSilence":3,"endOnKey":"#","timeOut":120,"beepStart":true}]`,
		},
		{
			name:  "voicemail with options",
			opts:  Options{VoicemailGreeting: "Bitte sprechen Sie nach dem Ton.", TalkLanguage: "de-DE", VoicemailMaxSeconds: 60},
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetVoicemail, Target: "sales"},
			want: `[{"action":"talk","text":"Bitte sprechen Sie nach dem Ton.","language":"de-DE"},` +
				`{"action":"record","endOnSilence":3,"endOnKey":"#","timeOut":60,"beepStart":true}]`,
		},
		{
			name:  "hangup",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetHangup},
			want:  `[]`,
		},
		{
			name:  "queue name is escaped",
			ev:    answerEvent,
			route: telephony.Route{Kind: telephony.TargetQueue, Target: `"},{"action":"connect`},
			want:  `[{"action":"conversation","name":"\"},{\"action\":\"connect","startOnEnter":false}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(tt.opts).Answer(tt.ev, &tt.route)

			require.Equal(t, http.StatusOK, answer.Status)
			require.Equal(t, "application/json", answer.ContentType)
			require.Equal(t, tt.want, string(answer.Body))
		})
	}
}

func TestAnswerWithoutRoute(t *testing.T) {
	tests := []struct {
		name        string
		ev          telephony.CallEvent
		route       *telephony.Route
		wantStatus  int
		wantBody    string
		contentType string
	}{
		{
			name:       "event webhook",
			ev:         telephony.CallEvent{Status: telephony.StatusCompleted},
			route:      &telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"},
			wantStatus: http.StatusNoContent,
		},
		{
			name:        "answer webhook without route",
			ev:          answerEvent,
			wantStatus:  http.StatusOK,
			wantBody:    `[]`,
			contentType: "application/json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(Options{}).Answer(tt.ev, tt.route)

			require.Equal(t, tt.wantStatus, answer.Status)
			require.Equal(t, tt.contentType, answer.ContentType)
			require.Equal(t, tt.wantBody, string(answer.Body))
		})
	}
}

func TestAnswerInvalidRoute(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		route telephony.Route
		want  string
	}{
		{name: "unknown kind", route: telephony.Route{Kind: "fax", Target: "x"}, want: `invalid route: unknown target kind "fax"`},
		{name: "SIP without target", route: telephony.Route{Kind: telephony.TargetSIP}, want: "invalid route: a sip route needs a target"},
		{name: "queue without name", route: telephony.Route{Kind: telephony.TargetQueue}, want: "invalid route: a queue route needs a queue name"},
		{
			name:  "SIP extension without domain",
			opts:  Options{ExtensionAs: ExtensionAsSIP},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  "invalid configuration: extensions ring over SIP but no SIP domain is set",
		},
		{
			name:  "unknown ExtensionAs",
			opts:  Options{ExtensionAs: "client"},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `invalid configuration: ExtensionAs is "client", use "app" or "sip"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(tt.opts).Answer(answerEvent, &tt.route)

			require.Equal(t, http.StatusInternalServerError, answer.Status)
			require.Equal(t, tt.want, string(answer.Body))
		})
	}
}
