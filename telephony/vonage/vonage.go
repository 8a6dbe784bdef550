// Package vonage is the adapter for the Vonage Voice API. It checks Vonage's
// signed webhooks, turns the answer and event webhooks into
// telephony.CallEvent values, renders routing decisions as NCCOs (Call
// Control Objects) and transfers live calls through the "modify call"
// endpoint.
//
// The gateway passes the last path segment of the webhook URL as
// telephony.Request.Hook: "answer" for the application's answer_url, whose
// event needs a route, and "event" for its event_url.
//
// Credentials. A Vonage connection uses these fields of
// telephony.Credentials (NewCredentials builds them):
//
//	AccountID      the account's API key; when set, it must equal the api_key
//	               claim of signed webhooks
//	SigningSecret  the account's signature secret, which signs webhooks
//	APIKey         the Voice application's ID, for REST calls
//	AuthToken      the Voice application's private key in PEM form, which
//	               signs the RS256 JWT of REST calls
//
// Legs. Vonage reports every leg of a call under its own uuid. It answers an
// incoming caller's leg itself, before it requests the answer webhook, so the
// caller's leg reports "answered" even when no agent picks up. The leg that a
// connect action creates to ring an agent posts its own events with direction
// "outbound". Both legs share the conversation_uuid, which Parse reports as
// ParentCallID, so they make one call record.
package vonage

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Hooks the adapter reads, as the last segment of the webhook path.
const (
	HookAnswer = "answer"
	HookEvent  = "event"
)

// Values of Options.ExtensionAs.
const (
	ExtensionAsApp = "app" // ring the extension as a Vonage Client SDK user name
	ExtensionAsSIP = "sip" // ring sip:{extension}@{SIPDomain}
)

// Defaults for Options fields left zero.
const (
	DefaultAPIBaseURL          = "https://api.nexmo.com"
	DefaultVoicemailGreeting   = "Please leave a message after the tone."
	DefaultVoicemailMaxSeconds = 120
	DefaultMaxTokenAge         = 5 * time.Minute
	defaultHTTPTimeout         = 10 * time.Second
)

// Options configure an Adapter. The zero value works for routes to numbers,
// SIP URIs, app users, queues, voicemail and hangup.
type Options struct {
	// ExtensionAs selects how a TargetExtension route rings: ExtensionAsApp
	// (the default) or ExtensionAsSIP.
	ExtensionAs string
	// SIPDomain is the host of extensions rung over SIP, such as
	// "pbx.example.com". Required when ExtensionAs is ExtensionAsSIP.
	SIPDomain string
	// DefaultRegion is the region of numbers that are neither in
	// international form nor a run of 8 to 15 digits, an ISO 3166-1 alpha-2
	// code such as "GB".
	DefaultRegion string
	// HoldMusicURL is an MP3 played to callers waiting in a queue. Empty:
	// they hear silence.
	HoldMusicURL string
	// TalkLanguage is the language of the voicemail greeting, such as
	// "de-DE". Empty: Vonage's default, en-US.
	TalkLanguage string
	// VoicemailGreeting is spoken before the beep of a voicemail route.
	// Default DefaultVoicemailGreeting.
	VoicemailGreeting string
	// VoicemailMaxSeconds is the maximum length of a voicemail message in
	// seconds, 3 to 7200. Default DefaultVoicemailMaxSeconds.
	VoicemailMaxSeconds int
	// MaxTokenAge is how far the iat claim of a signed webhook may lie from
	// the time of the check, in either direction. Default DefaultMaxTokenAge.
	MaxTokenAge time.Duration
	// APIBaseURL is the REST API base URL without a trailing slash, such as
	// a regional "https://api-eu-1.vonage.com". Default DefaultAPIBaseURL; a
	// non-empty Credentials.APIBaseURL overrides it.
	APIBaseURL string
	// HTTPClient sends REST API requests. Default: a client with a 10 second
	// timeout.
	HTTPClient *http.Client
}

// Adapter is the Vonage telephony.Adapter and telephony.LiveCallController.
// It holds no per-call state and is safe for concurrent use.
type Adapter struct {
	opts Options
	now  func() time.Time // clock for the JWT of REST calls
}

var (
	_ telephony.Adapter            = (*Adapter)(nil)
	_ telephony.LiveCallController = (*Adapter)(nil)
)

// New returns an Adapter with the zero fields of opts set to their defaults.
func New(opts Options) *Adapter {
	if opts.ExtensionAs == "" {
		opts.ExtensionAs = ExtensionAsApp
	}
	if opts.VoicemailGreeting == "" {
		opts.VoicemailGreeting = DefaultVoicemailGreeting
	}
	if opts.VoicemailMaxSeconds <= 0 {
		opts.VoicemailMaxSeconds = DefaultVoicemailMaxSeconds
	}
	if opts.MaxTokenAge <= 0 {
		opts.MaxTokenAge = DefaultMaxTokenAge
	}
	if opts.APIBaseURL == "" {
		opts.APIBaseURL = DefaultAPIBaseURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &Adapter{opts: opts, now: time.Now}
}

// NewCredentials returns the Credentials of a Vonage connection, with each
// secret in the field the adapter reads it from.
func NewCredentials(apiKey, signatureSecret, applicationID, privateKeyPEM string) telephony.Credentials {
	return telephony.Credentials{
		AccountID:     apiKey,
		SigningSecret: signatureSecret,
		APIKey:        applicationID,
		AuthToken:     privateKeyPEM,
	}
}

// Provider returns telephony.ProviderVonage.
func (a *Adapter) Provider() telephony.Provider {
	return telephony.ProviderVonage
}

// party turns a from or to value into a telephony.Party. Vonage writes
// numbers in E.164 form without the "+" ("447700900123"), so a run of 8 to
// 15 digits is read as an international number. Raw keeps the value as sent.
func (a *Adapter) party(raw string) telephony.Party {
	value := raw
	if len(raw) >= 8 && len(raw) <= 15 && strings.Trim(raw, "0123456789") == "" {
		value = "+" + raw
	}

	id := phone.ParseCallerID(value, a.opts.DefaultRegion)
	return telephony.Party{Raw: raw, E164: id.E164, Kind: string(id.Kind)}
}
