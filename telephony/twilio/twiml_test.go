package twilio

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

var ringing = telephony.CallEvent{
	Provider: telephony.ProviderTwilio, ProviderCallID: inboundCallSid,
	Status: telephony.StatusRinging, NeedsRoute: true,
}

func TestAnswerRoutes(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		route telephony.Route
		want  string
	}{
		{
			name:  "number with timeout",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 25},
			want:  `<Response><Dial action="dial" timeout="25"><Number>+14155550188</Number></Dial></Response>`,
		},
		{
			name:  "number with caller ID",
			opts:  Options{DialCallerID: "+14155550100"},
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+442079460155"},
			want:  `<Response><Dial action="dial" callerId="+14155550100"><Number>+442079460155</Number></Dial></Response>`,
		},
		{
			name:  "client",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice"},
			want:  `<Response><Dial action="dial"><Client>alice</Client></Dial></Response>`,
		},
		{
			name:  "client with caller name",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice", CallerName: "Jane Doe (VIP)"},
			want: `<Response><Dial action="dial"><Client><Identity>alice</Identity>` +
				`<Parameter name="callerName" value="Jane Doe (VIP)"></Parameter></Client></Dial></Response>`,
		},
		{
			name:  "SIP URI",
			route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:alice@pbx.example.com;transport=tls", TimeoutSeconds: 20},
			want:  `<Response><Dial action="dial" timeout="20"><Sip>sip:alice@pbx.example.com;transport=tls</Sip></Dial></Response>`,
		},
		{
			name:  "SIP URI without scheme",
			route: telephony.Route{Kind: telephony.TargetSIP, Target: "alice@pbx.example.com"},
			want:  `<Response><Dial action="dial"><Sip>sip:alice@pbx.example.com</Sip></Dial></Response>`,
		},
		{
			name:  "extension as client by default",
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `<Response><Dial action="dial"><Client>201</Client></Dial></Response>`,
		},
		{
			name:  "extension as SIP",
			opts:  Options{ExtensionAs: ExtensionAsSIP, SIPDomain: "acme.sip.twilio.com"},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201", TimeoutSeconds: 15},
			want:  `<Response><Dial action="dial" timeout="15"><Sip>sip:201@acme.sip.twilio.com</Sip></Dial></Response>`,
		},
		{
			name:  "queue",
			route: telephony.Route{Kind: telephony.TargetQueue, Target: "support"},
			want:  `<Response><Enqueue>support</Enqueue></Response>`,
		},
		{
			name:  "voicemail",
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want:  `<Response><Say>Please leave a message after the tone.</Say><Record action="voicemail" maxLength="120"></Record></Response>`,
		},
		{
			name:  "voicemail with options",
			opts:  Options{VoicemailGreeting: "Bitte sprechen Sie nach dem Ton.", VoicemailMaxSeconds: 60},
			route: telephony.Route{Kind: telephony.TargetVoicemail, Target: "sales"},
			want:  `<Response><Say>Bitte sprechen Sie nach dem Ton.</Say><Record action="voicemail" maxLength="60"></Record></Response>`,
		},
		{
			name:  "hangup",
			route: telephony.Route{Kind: telephony.TargetHangup},
			want:  `<Response><Reject></Reject></Response>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(tt.opts).Answer(ringing, &tt.route)

			require.Equal(t, http.StatusOK, answer.Status)
			require.Equal(t, "text/xml", answer.ContentType)
			require.Equal(t, xmlHeader+tt.want, string(answer.Body))
		})
	}
}

func TestAnswerRequestsLegCallbacks(t *testing.T) {
	const (
		hooks     = "https://sb.example.com/hooks/twilio/tc_1/"
		callbacks = `statusCallbackEvent="initiated ringing answered completed" statusCallback="` + hooks + `status"`
	)
	tests := []struct {
		name  string
		opts  Options
		route telephony.Route
		want  string
	}{
		{
			name:  "number",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"},
			want:  `<Response><Dial action="dial"><Number ` + callbacks + `>+14155550188</Number></Dial></Response>`,
		},
		{
			name:  "client",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice"},
			want:  `<Response><Dial action="dial"><Client ` + callbacks + `>alice</Client></Dial></Response>`,
		},
		{
			name:  "client with caller name",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice", CallerName: "Jane Doe"},
			want: `<Response><Dial action="dial"><Client ` + callbacks + `><Identity>alice</Identity>` +
				`<Parameter name="callerName" value="Jane Doe"></Parameter></Client></Dial></Response>`,
		},
		{
			name:  "extension as client",
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `<Response><Dial action="dial"><Client ` + callbacks + `>201</Client></Dial></Response>`,
		},
		{
			name:  "extension as SIP",
			opts:  Options{ExtensionAs: ExtensionAsSIP, SIPDomain: "acme.sip.twilio.com"},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `<Response><Dial action="dial"><Sip ` + callbacks + `>sip:201@acme.sip.twilio.com</Sip></Dial></Response>`,
		},
		{
			name:  "voicemail has no leg",
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want:  `<Response><Say>Please leave a message after the tone.</Say><Record action="voicemail" maxLength="120"></Record></Response>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.HookBaseURL = hooks

			answer := New(tt.opts).Answer(ringing, &tt.route)

			require.Equal(t, http.StatusOK, answer.Status)
			require.Equal(t, xmlHeader+tt.want, string(answer.Body))
		})
	}
}

func TestAnswerEscapesTargets(t *testing.T) {
	tests := []struct {
		name  string
		route telephony.Route
		want  string
	}{
		{
			name:  "queue name",
			route: telephony.Route{Kind: telephony.TargetQueue, Target: `</Enqueue><Dial>+19005550100</Dial>`},
			want:  `<Response><Enqueue>&lt;/Enqueue&gt;&lt;Dial&gt;+19005550100&lt;/Dial&gt;</Enqueue></Response>`,
		},
		{
			name:  "caller name",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "alice", CallerName: `"O'Brien" & <Sons>`},
			want: `<Response><Dial action="dial"><Client><Identity>alice</Identity>` +
				`<Parameter name="callerName" value="&#34;O&#39;Brien&#34; &amp; &lt;Sons&gt;"></Parameter></Client></Dial></Response>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(Options{}).Answer(ringing, &tt.route)

			require.Equal(t, xmlHeader+tt.want, string(answer.Body))
		})
	}
}

func TestAnswerEmptyResponse(t *testing.T) {
	route := &telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"}
	tests := []struct {
		name  string
		ev    telephony.CallEvent
		route *telephony.Route
	}{
		{name: "status callback", ev: telephony.CallEvent{Status: telephony.StatusCompleted}, route: route},
		{name: "voice webhook without route", ev: ringing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(Options{}).Answer(tt.ev, tt.route)

			require.Equal(t, http.StatusOK, answer.Status)
			require.Equal(t, "text/xml", answer.ContentType)
			require.Equal(t, xmlHeader+`<Response></Response>`, string(answer.Body))
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
		{name: "number without target", route: telephony.Route{Kind: telephony.TargetNumber}, want: "invalid route: a number route needs a target"},
		{name: "queue without name", route: telephony.Route{Kind: telephony.TargetQueue}, want: "invalid route: a queue route needs a queue name"},
		{
			name:  "SIP extension without domain",
			opts:  Options{ExtensionAs: ExtensionAsSIP},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  "invalid configuration: extensions ring over SIP but no SIP domain is set",
		},
		{
			name:  "unknown ExtensionAs",
			opts:  Options{ExtensionAs: "phone"},
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "201"},
			want:  `invalid configuration: ExtensionAs is "phone", use "client" or "sip"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := New(tt.opts).Answer(ringing, &tt.route)

			require.Equal(t, http.StatusInternalServerError, answer.Status)
			require.Equal(t, tt.want, string(answer.Body))
		})
	}
}

func TestRenderRouteLive(t *testing.T) {
	tests := []struct {
		name  string
		route telephony.Route
		want  string
	}{
		{
			name:  "number has no action URL",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 30},
			want:  `<Response><Dial timeout="30"><Number>+14155550188</Number></Dial></Response>`,
		},
		{
			name:  "voicemail has no action URL",
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want:  `<Response><Say>Please leave a message after the tone.</Say><Record maxLength="120"></Record></Response>`,
		},
		{
			name:  "hangup uses Hangup",
			route: telephony.Route{Kind: telephony.TargetHangup},
			want:  `<Response><Hangup></Hangup></Response>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := New(Options{}).renderRoute(tt.route, true)

			require.NoError(t, err)
			require.Equal(t, xmlHeader+tt.want, string(body))
		})
	}
}

func TestRenderRouteLiveActionURLs(t *testing.T) {
	const hooks = "https://sb.example.com/hooks/twilio/tc_1/"
	tests := []struct {
		name  string
		route telephony.Route
		want  string
	}{
		{
			name:  "number reports to dial hook",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"},
			want: `<Response><Dial action="` + hooks + `dial">` +
				`<Number statusCallbackEvent="initiated ringing answered completed" statusCallback="` + hooks + `status">` +
				`+14155550188</Number></Dial></Response>`,
		},
		{
			name:  "voicemail reports to voicemail hook",
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want: `<Response><Say>Please leave a message after the tone.</Say>` +
				`<Record action="` + hooks + `voicemail" maxLength="120"></Record></Response>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := New(Options{HookBaseURL: hooks}).renderRoute(tt.route, true)

			require.NoError(t, err)
			require.Equal(t, xmlHeader+tt.want, string(body))
		})
	}
}
