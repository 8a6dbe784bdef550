package vonage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// eventStatuses maps the status of an event webhook to a normalised status.
// "timeout" is sent when ringing lasted longer than the connect action's
// timeout. "machine" means an answering machine picked up an outbound call.
var eventStatuses = map[string]telephony.Status{
	"started":    telephony.StatusRinging,
	"ringing":    telephony.StatusRinging,
	"answered":   telephony.StatusAnswered,
	"human":      telephony.StatusAnswered,
	"machine":    telephony.StatusVoicemail,
	"busy":       telephony.StatusBusy,
	"cancelled":  telephony.StatusCancelled,
	"unanswered": telephony.StatusMissed,
	"timeout":    telephony.StatusMissed,
	"rejected":   telephony.StatusFailed,
	"failed":     telephony.StatusFailed,
	"completed":  telephony.StatusCompleted,
}

// payload holds the fields of answer and event webhooks that the adapter
// reads. Vonage sends them as a JSON body, or as query parameters when the
// webhook's method is GET.
type payload struct {
	UUID             string  `json:"uuid"`
	CallUUID         string  `json:"call_uuid"` // human and machine events use it in place of uuid
	ConversationUUID string  `json:"conversation_uuid"`
	From             string  `json:"from"`
	FromUser         string  `json:"from_user"` // answer webhook of a call placed by a Client SDK user
	To               string  `json:"to"`
	Status           string  `json:"status"`
	Direction        string  `json:"direction"`
	Timestamp        string  `json:"timestamp"`
	Duration         seconds `json:"duration"`
	RecordingURL     string  `json:"recording_url"`
}

// seconds is a duration in seconds that Vonage sends as a JSON number or a
// string ("duration": "47").
type seconds int

func (s *seconds) UnmarshalJSON(data []byte) error {
	text := string(bytes.Trim(data, `"`))
	if text == "" || text == "null" {
		*s = 0
		return nil
	}

	n, err := strconv.Atoi(text)
	if err != nil {
		return fmt.Errorf("invalid duration %s", data)
	}
	*s = seconds(n)
	return nil
}

// Parse turns a verified Vonage webhook into call events. The answer hook
// gives one event that needs a route. The event hook gives one event for a
// call status or a finished recording, and none for events that do not
// change a call's state (input, transfer, disconnected, errors) or whose
// status this adapter does not know. An unreadable payload, a payload
// without any call identifier and an unknown hook return an error wrapping
// telephony.ErrMalformed.
func (a *Adapter) Parse(req telephony.Request) ([]telephony.CallEvent, error) {
	p, err := decodePayload(req)
	if err != nil {
		return nil, err
	}

	switch req.Hook {
	case HookAnswer:
		return a.parseAnswer(p)
	case HookEvent:
		return a.parseEvent(p)
	default:
		return nil, fmt.Errorf("%w: unknown Vonage hook %q", telephony.ErrMalformed, req.Hook)
	}
}

// decodePayload reads the JSON body, or the query parameters when there is
// no body.
func decodePayload(req telephony.Request) (payload, error) {
	var p payload
	if len(bytes.TrimSpace(req.Body)) > 0 {
		if err := json.Unmarshal(req.Body, &p); err != nil {
			return payload{}, fmt.Errorf("%w: invalid JSON body: %w", telephony.ErrMalformed, err)
		}
		return p, nil
	}

	query := url.Values(req.Form)
	if query == nil {
		publicURL, err := url.Parse(req.PublicURL)
		if err != nil {
			return payload{}, fmt.Errorf("%w: invalid URL: %w", telephony.ErrMalformed, err)
		}
		query = publicURL.Query()
	}

	p = payload{
		UUID: query.Get("uuid"), CallUUID: query.Get("call_uuid"), ConversationUUID: query.Get("conversation_uuid"),
		From: query.Get("from"), FromUser: query.Get("from_user"), To: query.Get("to"),
		Status: query.Get("status"), Direction: query.Get("direction"), Timestamp: query.Get("timestamp"),
		RecordingURL: query.Get("recording_url"),
	}
	if err := p.Duration.UnmarshalJSON([]byte(query.Get("duration"))); err != nil {
		return payload{}, fmt.Errorf("%w: %w", telephony.ErrMalformed, err)
	}
	return p, nil
}

// parseAnswer reads the answer webhook. A call placed by a Client SDK user
// carries from_user instead of from. That user is the agent, so the call is
// outbound from the workspace's view.
func (a *Adapter) parseAnswer(p payload) ([]telephony.CallEvent, error) {
	ev, err := a.baseEvent(p)
	if err != nil {
		return nil, err
	}

	ev.Status = telephony.StatusRinging
	ev.NeedsRoute = true
	ev.Direction = telephony.DirectionInbound
	if p.FromUser != "" {
		ev.From = telephony.Party{Raw: p.FromUser, Kind: "client"}
		ev.Direction = telephony.DirectionOutbound
		ev.Agent = p.FromUser
	}
	return []telephony.CallEvent{ev}, nil
}

// parseEvent reads the event webhook. A record event has no status and is
// taken as a voicemail, because the voicemail route is the only NCCO of this
// adapter that records.
func (a *Adapter) parseEvent(p payload) ([]telephony.CallEvent, error) {
	status, ok := eventStatuses[p.Status]
	if !ok {
		if p.Status != "" || p.RecordingURL == "" {
			return nil, nil
		}
		status = telephony.StatusVoicemail
	}

	ev, err := a.baseEvent(p)
	if err != nil {
		return nil, err
	}

	ev.Status = status
	ev.DurationSeconds = int(p.Duration)
	ev.RecordingURL = p.RecordingURL
	return []telephony.CallEvent{ev}, nil
}

// baseEvent fills the fields that answer and event webhooks share. The call
// identifier is the leg's uuid, or call_uuid in human and machine events,
// because REST commands name a leg. ParentCallID is the conversation_uuid,
// which every leg of a call and its record event share, so the caller's
// leg, an agent leg and a recording end up in one call record. A record
// event carries only conversation_uuid, which then is its call identifier
// too.
func (a *Adapter) baseEvent(p payload) (telephony.CallEvent, error) {
	callID := firstNonEmpty(p.UUID, p.CallUUID, p.ConversationUUID)
	if callID == "" {
		return telephony.CallEvent{}, fmt.Errorf("%w: missing uuid and conversation_uuid", telephony.ErrMalformed)
	}

	ev := telephony.CallEvent{
		Provider:       telephony.ProviderVonage,
		ProviderCallID: callID,
		ParentCallID:   p.ConversationUUID,
		Direction:      telephony.DirectionInbound,
		From:           a.party(p.From),
		To:             a.party(p.To),
		OccurredAt:     timestamp(p.Timestamp),
	}
	if p.Direction == "outbound" {
		ev.Direction = telephony.DirectionOutbound
	}
	return ev, nil
}

func firstNonEmpty(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}

// timestamp parses an ISO 8601 timestamp such as "2020-01-01T12:00:00.000Z".
// A missing or invalid value gives the zero time.
func timestamp(value string) time.Time {
	parsed, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}
	}
	return parsed.UTC()
}
