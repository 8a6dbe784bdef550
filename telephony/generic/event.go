package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Event is the request body of a generic webhook: one call event.
type Event struct {
	// EventID identifies this event in the sending system. Required. Resending
	// an event with the same EventID is treated as a duplicate delivery.
	EventID string `json:"event_id"`
	// CallID identifies the call, and every event of one call carries the
	// same value. Required.
	CallID string `json:"call_id"`
	// Event is the call's status after this event: ringing, answered,
	// completed, missed, busy, failed, cancelled or voicemail. Required.
	// The last six end the call. missed includes a caller who hung up while
	// it rang.
	Event string `json:"event"`
	// Direction is inbound or outbound, seen from the workspace. Required.
	Direction string `json:"direction"`
	// From is the calling party: an E.164 number such as "+14155550142", a
	// national number, a SIP URI or "anonymous". Send it at least with the
	// first event of a call.
	From string `json:"from,omitempty"`
	// To is the called party, in the same forms as From.
	To string `json:"to,omitempty"`
	// OccurredAt is when the event happened, as RFC 3339 with a time zone,
	// such as "2026-03-10T14:02:11Z". Required.
	OccurredAt time.Time `json:"occurred_at"`
	// Agent names the agent, extension or user who answered or was rung,
	// such as an email address or an extension number. Optional.
	Agent string `json:"agent,omitempty"`
	// DurationSeconds is the talk time in whole seconds, not counting
	// ringing. Optional, 0 or more.
	DurationSeconds int `json:"duration_seconds,omitempty"`
	// RecordingURL is an absolute http or https URL of the call recording or
	// voicemail. Optional.
	RecordingURL string `json:"recording_url,omitempty"`
}

// eventStatuses lists the valid Event.Event values in documentation order.
var eventStatuses = []telephony.Status{
	telephony.StatusRinging,
	telephony.StatusAnswered,
	telephony.StatusCompleted,
	telephony.StatusMissed,
	telephony.StatusBusy,
	telephony.StatusFailed,
	telephony.StatusCancelled,
	telephony.StatusVoicemail,
}

// DecodeEvent strictly decodes body into an Event and validates it. Every
// error wraps telephony.ErrMalformed.
func DecodeEvent(body []byte) (Event, error) {
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.DisallowUnknownFields()

	var event Event
	if err := decoder.Decode(&event); err != nil {
		return Event{}, fmt.Errorf("%w: generic event: %w", telephony.ErrMalformed, err)
	}
	if err := decoder.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return Event{}, fmt.Errorf("%w: generic event: the body must hold exactly one JSON object", telephony.ErrMalformed)
	}

	if problems := event.validate(); len(problems) > 0 {
		return Event{}, fmt.Errorf("%w: generic event: %s", telephony.ErrMalformed, strings.Join(problems, "; "))
	}
	return event, nil
}

// validate returns one message per invalid or missing field.
func (e Event) validate() []string {
	var problems []string
	for _, required := range []struct{ name, value string }{
		{"event_id", e.EventID}, {"call_id", e.CallID}, {"event", e.Event}, {"direction", e.Direction},
	} {
		if strings.TrimSpace(required.value) == "" {
			problems = append(problems, required.name+" is missing")
		}
	}

	if e.Event != "" && !validStatus(e.Event) {
		problems = append(problems, fmt.Sprintf("event %q is not one of %s", e.Event, statusList()))
	}
	if e.Direction != "" && e.Direction != string(telephony.DirectionInbound) && e.Direction != string(telephony.DirectionOutbound) {
		problems = append(problems, fmt.Sprintf("direction %q is not inbound or outbound", e.Direction))
	}
	if e.OccurredAt.IsZero() {
		problems = append(problems, "occurred_at is missing")
	}
	if e.DurationSeconds < 0 {
		problems = append(problems, fmt.Sprintf("duration_seconds %d is negative", e.DurationSeconds))
	}
	if e.RecordingURL != "" && !absoluteHTTPURL(e.RecordingURL) {
		problems = append(problems, fmt.Sprintf("recording_url %q is not an absolute http or https URL", e.RecordingURL))
	}
	return problems
}

func validStatus(value string) bool {
	for _, status := range eventStatuses {
		if string(status) == value {
			return true
		}
	}
	return false
}

// statusList returns the valid event values, comma-separated.
func statusList() string {
	names := make([]string, len(eventStatuses))
	for i, status := range eventStatuses {
		names[i] = string(status)
	}
	return strings.Join(names, ", ")
}

func absoluteHTTPURL(value string) bool {
	parsed, err := url.Parse(value)
	return err == nil && (parsed.Scheme == "http" || parsed.Scheme == "https") && parsed.Host != ""
}
