package generic

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// DefaultTolerance is the default Options.Tolerance.
const DefaultTolerance = 5 * time.Minute

// Decision actions.
const (
	ActionRoute = "route"
	ActionNone  = "none"
)

// Options configures an Adapter. Zero fields take the defaults.
type Options struct {
	// Tolerance is the largest difference, in either direction, between the
	// webhook-timestamp header and the current time. Default 5 minutes.
	Tolerance time.Duration
	// DefaultRegion is the ISO 3166-1 alpha-2 region used to read numbers
	// without a country code, such as "DE". Empty reads only numbers with one.
	DefaultRegion string
}

// Decision is the JSON body that Answer returns for a generic webhook.
type Decision struct {
	// Action is "route" when Route is set and "none" otherwise.
	Action string `json:"action"`
	// Route is the destination for the ringing call, nil when Action is none.
	Route *RouteDecision `json:"route,omitempty"`
}

// RouteDecision is the route of a Decision.
type RouteDecision struct {
	// Kind is number, sip, client, extension, queue, voicemail or hangup.
	Kind string `json:"kind"`
	// Target is the E.164 number, SIP URI, client identity, extension or
	// queue name to ring. It is empty for voicemail and hangup.
	Target string `json:"target,omitempty"`
	// TimeoutSeconds is how long to ring before giving up. Absent means the
	// sender's default.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// CallerName is the name to show the agent, when the sender can.
	CallerName string `json:"caller_name,omitempty"`
}

// Adapter implements telephony.Adapter for the generic format. It is safe
// for concurrent use.
type Adapter struct {
	opts Options
}

// Compile-time check that Adapter implements telephony.Adapter.
var _ telephony.Adapter = (*Adapter)(nil)

// New returns an Adapter with opts, filling zero fields with defaults.
func New(opts Options) *Adapter {
	if opts.Tolerance <= 0 {
		opts.Tolerance = DefaultTolerance
	}
	return &Adapter{opts: opts}
}

// Provider returns telephony.ProviderGeneric.
func (a *Adapter) Provider() telephony.Provider {
	return telephony.ProviderGeneric
}

// Parse decodes the Event in the body into one call event. An inbound
// ringing event needs a route.
func (a *Adapter) Parse(req telephony.Request) ([]telephony.CallEvent, error) {
	event, err := DecodeEvent(req.Body)
	if err != nil {
		return nil, err
	}

	ev := telephony.CallEvent{
		Provider:        telephony.ProviderGeneric,
		ProviderCallID:  event.CallID,
		ProviderEventID: event.EventID,
		Direction:       telephony.Direction(event.Direction),
		From:            a.party(event.From),
		To:              a.party(event.To),
		Status:          telephony.Status(event.Event),
		OccurredAt:      event.OccurredAt.UTC(),
		Agent:           event.Agent,
		DurationSeconds: event.DurationSeconds,
		RecordingURL:    event.RecordingURL,
	}
	ev.NeedsRoute = ev.Status == telephony.StatusRinging && ev.Direction == telephony.DirectionInbound
	return []telephony.CallEvent{ev}, nil
}

// Answer renders route as a Decision for an event that needs a route, and
// {"action":"none"} otherwise.
func (a *Adapter) Answer(ev telephony.CallEvent, route *telephony.Route) telephony.Answer {
	decision := Decision{Action: ActionNone}
	if ev.NeedsRoute && route != nil {
		decision = Decision{Action: ActionRoute, Route: &RouteDecision{
			Kind:           string(route.Kind),
			Target:         route.Target,
			TimeoutSeconds: route.TimeoutSeconds,
			CallerName:     route.CallerName,
		}}
	}

	body, _ := json.Marshal(decision) // strings and ints always marshal
	return telephony.Answer{Status: http.StatusOK, ContentType: "application/json", Body: body}
}

// party turns a number or address as the sender wrote it into a
// telephony.Party. An empty value gives the zero Party.
func (a *Adapter) party(raw string) telephony.Party {
	if raw == "" {
		return telephony.Party{}
	}
	id := phone.ParseCallerID(raw, a.opts.DefaultRegion)
	return telephony.Party{Raw: id.Raw, E164: id.E164, Kind: string(id.Kind)}
}
