// Package telephony turns VoIP platform webhooks into one call event model,
// checks their authenticity, decides where an incoming call goes and renders
// that decision in each platform's own answer format.
//
// Each provider lives in its own subpackage (twilio, telnyx, vonage, aircall,
// generic) and implements Adapter. The model in this file is what the rest of
// Switchboard sees: the call record, routing and CRM call logging never read a
// provider's raw payload.
package telephony

import (
	"context"
	"net/http"
	"time"
)

// Provider names a VoIP platform adapter. It is also the path segment in
// /hooks/{provider}/{connection_id}/...
type Provider string

// Providers with an adapter.
const (
	ProviderTwilio  Provider = "twilio"
	ProviderTelnyx  Provider = "telnyx"
	ProviderVonage  Provider = "vonage"
	ProviderAircall Provider = "aircall"
	ProviderGeneric Provider = "generic"
)

// Direction of a call as seen from the workspace.
type Direction string

// Call directions.
const (
	DirectionInbound  Direction = "inbound"
	DirectionOutbound Direction = "outbound"
)

// Status is the normalised state of a call after an event.
type Status string

// Call statuses. Ringing and answered are live states; the others are final.
const (
	StatusRinging   Status = "ringing"
	StatusAnswered  Status = "answered"
	StatusCompleted Status = "completed"
	StatusMissed    Status = "missed" // no answer, including a caller who hung up while ringing
	StatusBusy      Status = "busy"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
	StatusVoicemail Status = "voicemail"
)

// Final reports whether no later event can move a call out of status s.
func (s Status) Final() bool {
	switch s {
	case StatusRinging, StatusAnswered:
		return false
	default:
		return true
	}
}

// Party is one end of a call: the number or identity as the platform sent it
// and, when it is a dialable number, its E.164 form.
type Party struct {
	Raw  string `json:"raw"`
	E164 string `json:"e164,omitempty"`
	// Kind is "number", "anonymous", "sip", "client" or "unknown".
	Kind string `json:"kind"`
}

// CallEvent is one provider webhook normalised. Adapters fill what the
// provider sends and leave the rest zero.
type CallEvent struct {
	Provider       Provider `json:"provider"`
	ProviderCallID string   `json:"provider_call_id"`
	// ProviderEventID identifies this event at the provider when it has one
	// (Telnyx event id, webhook-id); it lets the call record drop duplicates.
	ProviderEventID string `json:"provider_event_id,omitempty"`
	// ParentCallID is the provider call id of the call this event belongs
	// to when the provider reports a leg under its own id (a Vonage agent
	// leg, a transfer leg). The call record files the event under the
	// parent, so one call gets one record.
	ParentCallID string    `json:"parent_call_id,omitempty"`
	Direction    Direction `json:"direction"`
	From         Party     `json:"from"`
	To           Party     `json:"to"`
	// Status is empty for an event that only adds data to a call, such as
	// a recording that became ready; it never moves the call's status.
	Status     Status    `json:"status,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	// Agent is the agent, extension or client identity that answered or was
	// rung, as the provider names it.
	Agent string `json:"agent,omitempty"`
	// DurationSeconds is the talk time the provider reports, 0 if none.
	// Some providers report the whole call's length here, ringing
	// included, and report the talk time in TalkSeconds.
	DurationSeconds int `json:"duration_seconds,omitempty"`
	// TalkSeconds is the time the caller talked to the party that answered,
	// reported apart from the call's duration (Twilio's DialCallDuration),
	// 0 if none. The call record prefers it over DurationSeconds.
	TalkSeconds  int    `json:"talk_seconds,omitempty"`
	RecordingURL string `json:"recording_url,omitempty"`
	// NeedsRoute is true for the event that waits for a routing answer
	// (Twilio voice webhook, Vonage answer webhook, Telnyx call.initiated,
	// generic ringing event).
	NeedsRoute bool `json:"needs_route,omitempty"`
}

// TargetKind is what a route rings.
type TargetKind string

// Route target kinds. Not every provider supports every kind; adapters map
// the closest equivalent and document the mapping.
const (
	TargetNumber    TargetKind = "number"    // a PSTN number in E.164
	TargetSIP       TargetKind = "sip"       // a SIP URI
	TargetClient    TargetKind = "client"    // a softphone identity (Twilio Client, Vonage app user)
	TargetExtension TargetKind = "extension" // an agent extension, rung as SIP or client per connection
	TargetQueue     TargetKind = "queue"     // a named queue
	TargetVoicemail TargetKind = "voicemail" // record a message
	TargetHangup    TargetKind = "hangup"    // reject the call
)

// Route is a routing decision: where the call goes.
type Route struct {
	Kind   TargetKind `json:"kind"`
	Target string     `json:"target,omitempty"`
	// TimeoutSeconds is how long to ring before giving up, 0 for the
	// provider's default.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// CallerName is shown to the agent where the provider supports it.
	CallerName string `json:"caller_name,omitempty"`
}

// Credentials are the secrets of one telephony connection, decrypted. Each
// adapter reads the fields of its provider.
type Credentials struct {
	AccountID     string `json:"account_id,omitempty"`     // Twilio Account SID, Vonage API key, Aircall API id
	AuthToken     string `json:"auth_token,omitempty"`     // Twilio auth token, Aircall API token
	APIKey        string `json:"api_key,omitempty"`        // Telnyx API key
	PublicKey     string `json:"public_key,omitempty"`     // Telnyx Ed25519 public key, base64
	SigningSecret string `json:"signing_secret,omitempty"` // Vonage signature secret, generic whsec_ secret
	WebhookToken  string `json:"webhook_token,omitempty"`  // Aircall webhook token
	// APIBaseURL overrides the provider's REST API base URL (tests, regional
	// endpoints).
	APIBaseURL string `json:"api_base_url,omitempty"`
}

// Request is an inbound webhook as the gateway received it. PublicURL is the
// URL the platform called, rebuilt from the configured public base URL so
// signatures over the URL verify behind TLS-terminating proxies.
type Request struct {
	Method    string
	PublicURL string
	Header    http.Header
	Body      []byte
	// Form holds the parsed query and form parameters (Twilio, Vonage GET).
	Form map[string][]string
	// Hook is the last path segment after the connection id, such as
	// "voice" or "status".
	Hook string
}

// Answer is what the gateway sends back to the platform's webhook.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// Adapter is one VoIP platform. Implementations must be safe for
// concurrent use.
type Adapter interface {
	Provider() Provider
	// Verify checks the request's authenticity and returns ErrBadSignature
	// (wrapped) when it fails. Nothing is stored before Verify passes.
	Verify(req Request, creds Credentials, now time.Time) error
	// Parse turns a verified request into call events (usually one).
	Parse(req Request) ([]CallEvent, error)
	// Answer renders the response to the webhook. For an event that needs a
	// route it renders route; otherwise an empty acknowledgement.
	Answer(ev CallEvent, route *Route) Answer
}

// LiveCallController reroutes a call in progress through the provider's REST
// API. Providers without a synchronous routing answer (Telnyx, Aircall) also
// use it to carry out the initial route.
type LiveCallController interface {
	Reroute(ctx context.Context, creds Credentials, providerCallID string, route Route) error
}
