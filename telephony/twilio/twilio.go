// Package twilio is the adapter for Twilio Programmable Voice. It checks the
// X-Twilio-Signature header, turns Twilio's voice webhooks into
// telephony.CallEvent values, renders routing decisions as TwiML and redirects
// live calls through the Calls REST resource.
//
// The gateway passes the last path segment of the webhook URL as
// telephony.Request.Hook. The adapter reads these hooks:
//
//	voice      the number's "A call comes in" webhook; its event needs a route
//	status     the number's call status callback, and the statusCallback
//	           of the child legs that a <Dial> places
//	dial       the action URL of the <Dial> that Answer renders
//	voicemail  the action URL of the <Record> that Answer renders
//	recording  a recordingStatusCallback URL
//
// Answer writes dial and voicemail as relative URLs. Twilio resolves them
// against the URL of the voice webhook, so a number configured with
// https://host/hooks/twilio/{connection_id}/voice posts them to
// .../{connection_id}/dial and .../{connection_id}/voicemail. The TwiML of a
// live reroute has no document URL, so it carries absolute action URLs
// built from Options.HookBaseURL.
//
// The <Number>, <Client> or <Sip> noun of every <Dial> asks for the status
// callbacks of the child leg (statusCallbackEvent "initiated ringing
// answered completed") at the absolute URL Options.HookBaseURL + "status".
// Without them Twilio reports neither when the agent's phone rang nor when
// the agent picked up. Twilio's TwiML reference does not say that a
// relative statusCallback is resolved, so with an empty HookBaseURL the
// nouns carry no callback attributes. Such a call gets an answered time
// only when it ends, from the dial hook's DialCallDuration (see below).
//
// Twilio posts a recording status callback when the file of a recording is
// ready, often after the call has ended. A number has no setting for it:
// set recordingStatusCallback to https://host/hooks/twilio/{connection_id}/recording
// where the recording starts, for example on <Dial record="..."> in your
// own TwiML or as RecordingStatusCallback of a Calls or Recordings API
// request. A callback with RecordingStatus "completed" adds RecordingUrl to
// the call and leaves its status, times and parties alone, and a repeat of
// it (the same RecordingSid) is stored once. Other recording statuses
// (in-progress, absent, failed) are accepted and change nothing. A
// recording status callback posted to the status or voicemail hook by
// mistake is read the same way, because it carries RecordingStatus and no
// CallStatus.
//
// NOTE: the recording is filed under the CallSid of the callback. A
// recording of a <Dial> leg started through the REST API names the leg's
// CallSid and so gets a call record of its own.
//
// A status callback of a child leg, the call that a <Dial> places, carries
// ParentCallSid. Its event is filed under the parent call (ParentCallID),
// without the leg's direction ("outbound-dial") and parties, because those
// describe the agent's side. The leg's ringing and in-progress become the
// parent's ringing and answered, and the leg's final status becomes no
// status, so the leg's end never ends the parent call. Agent is the leg's
// To when that is a client identity or a SIP URI.
//
// Twilio answers an incoming call itself to run the TwiML, so the status
// callback of the caller's call reports "completed" with a CallDuration
// even when no agent picked up; such an event stays StatusCompleted. The
// dial hook carries the outcome of ringing the agent (DialCallStatus) and is
// the event that distinguishes a missed call from an answered one. Its
// DialCallDuration, the time the caller talked to the agent, becomes
// TalkSeconds. The caller's CallDuration, which includes the time spent in
// TwiML and ringing, stays DurationSeconds. The call record prefers the
// talk time and derives answered_at from it unless a leg reported an
// earlier one.
package twilio

import (
	"net/http"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Hooks the adapter reads, as the last segment of the webhook path.
const (
	HookVoice     = "voice"
	HookStatus    = "status"
	HookDial      = "dial"
	HookVoicemail = "voicemail"
	HookRecording = "recording"
)

// Values of Options.ExtensionAs.
const (
	ExtensionAsClient = "client" // ring the extension as a Twilio Voice SDK client identity
	ExtensionAsSIP    = "sip"    // ring sip:{extension}@{SIPDomain}
)

// Defaults for Options fields left zero.
const (
	DefaultAPIBaseURL          = "https://api.twilio.com"
	DefaultVoicemailGreeting   = "Please leave a message after the tone."
	DefaultVoicemailMaxSeconds = 120
	defaultHTTPTimeout         = 10 * time.Second
)

// CallerNameParameter is the name of the custom parameter that carries
// Route.CallerName to a Twilio Voice SDK client, which reads it from the
// call's customParameters.
const CallerNameParameter = "callerName"

// Options configure an Adapter. The zero value works for routes to numbers,
// SIP URIs, clients, queues, voicemail and hangup.
type Options struct {
	// ExtensionAs selects how a TargetExtension route rings: ExtensionAsClient
	// (the default) or ExtensionAsSIP.
	ExtensionAs string
	// SIPDomain is the host of extensions rung over SIP, such as
	// "example.sip.twilio.com". Required when ExtensionAs is ExtensionAsSIP.
	SIPDomain string
	// DefaultRegion is the region of caller numbers written without a country
	// code, an ISO 3166-1 alpha-2 code such as "US". Empty: only numbers
	// starting with "+" get an E.164 form.
	DefaultRegion string
	// DialCallerID is the callerId attribute of <Dial>, a number in E.164
	// form that the account owns. Empty: Twilio presents the caller's number.
	DialCallerID string
	// VoicemailGreeting is spoken before the beep of a voicemail route.
	// Default DefaultVoicemailGreeting.
	VoicemailGreeting string
	// VoicemailMaxSeconds is the maximum length of a voicemail message in
	// seconds. Default DefaultVoicemailMaxSeconds.
	VoicemailMaxSeconds int
	// HookBaseURL is the public URL that this connection's webhook URLs
	// start with, ending in a slash, such as
	// "https://sb.example.com/hooks/twilio/tc_1/". TwiML sent through the
	// REST API to reroute a live call has no document URL for Twilio to
	// resolve relative action URLs against, so its <Dial> and <Record>
	// get absolute ones built from it. The statusCallback of the child
	// legs that <Dial> places is built from it too. Empty: a rerouted call
	// reports neither the outcome of ringing nor a voicemail recording, and
	// no call reports its child legs.
	HookBaseURL string
	// APIBaseURL is the REST API base URL without a trailing slash. Default
	// DefaultAPIBaseURL; a non-empty Credentials.APIBaseURL overrides it.
	APIBaseURL string
	// HTTPClient sends REST API requests. Default: a client with a 10 second
	// timeout.
	HTTPClient *http.Client
}

// Adapter is the Twilio telephony.Adapter and telephony.LiveCallController.
// It holds no per-call state and is safe for concurrent use.
type Adapter struct {
	opts Options
}

var (
	_ telephony.Adapter            = (*Adapter)(nil)
	_ telephony.LiveCallController = (*Adapter)(nil)
)

// New returns an Adapter with the zero fields of opts set to their defaults.
func New(opts Options) *Adapter {
	if opts.ExtensionAs == "" {
		opts.ExtensionAs = ExtensionAsClient
	}
	if opts.VoicemailGreeting == "" {
		opts.VoicemailGreeting = DefaultVoicemailGreeting
	}
	if opts.VoicemailMaxSeconds <= 0 {
		opts.VoicemailMaxSeconds = DefaultVoicemailMaxSeconds
	}
	if opts.APIBaseURL == "" {
		opts.APIBaseURL = DefaultAPIBaseURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &Adapter{opts: opts}
}

// Provider returns telephony.ProviderTwilio.
func (a *Adapter) Provider() telephony.Provider {
	return telephony.ProviderTwilio
}

// party turns a From or To value into a telephony.Party. It accepts any text,
// including "client:alice", "anonymous", "+266696687" and SIP URIs.
func party(id phone.CallerID) telephony.Party {
	return telephony.Party{Raw: id.Raw, E164: id.E164, Kind: string(id.Kind)}
}
