package aircall

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// webhook is the Aircall webhook envelope.
type webhook struct {
	Resource  string          `json:"resource"`
	Event     string          `json:"event"`
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// call holds the fields of the Aircall call object that Parse reads.
// Timestamps are Unix seconds, and null becomes 0 or "".
type call struct {
	ID               int64  `json:"id"`
	Direction        string `json:"direction"`
	AnsweredAt       int64  `json:"answered_at"`
	EndedAt          int64  `json:"ended_at"`
	RawDigits        string `json:"raw_digits"`
	Number           *line  `json:"number"`
	User             *user  `json:"user"`
	TransferredTo    *user  `json:"transferred_to"`
	Recording        string `json:"recording"`
	Voicemail        string `json:"voicemail"`
	MissedCallReason string `json:"missed_call_reason"`
}

// line is the Aircall number a call came in on or went out from.
type line struct {
	Digits string `json:"digits"`
}

// user is an Aircall user, the agent of a call.
type user struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Parse turns a verified Aircall webhook into at most one call event.
// Webhooks of other resources and unmapped call events yield no events.
func (a *Adapter) Parse(req telephony.Request) ([]telephony.CallEvent, error) {
	var hook webhook
	if err := json.Unmarshal(req.Body, &hook); err != nil {
		return nil, fmt.Errorf("%w: Aircall webhook body is not JSON: %w", telephony.ErrMalformed, err)
	}
	if hook.Resource != "call" {
		return nil, nil
	}

	var c call
	if err := json.Unmarshal(hook.Data, &c); err != nil {
		return nil, fmt.Errorf("%w: Aircall %s data is not a call object: %w", telephony.ErrMalformed, hook.Event, err)
	}
	if c.ID == 0 {
		return nil, fmt.Errorf("%w: Aircall %s call object has no id", telephony.ErrMalformed, hook.Event)
	}

	callID := strconv.FormatInt(c.ID, 10)
	ev := telephony.CallEvent{
		Provider:        telephony.ProviderAircall,
		ProviderCallID:  callID,
		ProviderEventID: hook.Event + "/" + callID + "/" + strconv.FormatInt(hook.Timestamp, 10),
		Direction:       direction(c.Direction),
	}
	if hook.Timestamp > 0 {
		ev.OccurredAt = time.Unix(hook.Timestamp, 0).UTC()
	}
	ev.From, ev.To = a.parties(c, ev.Direction)

	if !fillStatus(&ev, hook.Event, c) {
		return nil, nil
	}
	return []telephony.CallEvent{ev}, nil
}

// fillStatus sets the status fields of ev for event and reports whether the
// event is kept.
func fillStatus(ev *telephony.CallEvent, event string, c call) bool {
	switch event {
	case "call.created":
		ev.Status = telephony.StatusRinging
		ev.NeedsRoute = ev.Direction == telephony.DirectionInbound

	case "call.ringing_on_agent":
		ev.Status = telephony.StatusRinging
		ev.Agent = agent(c.User)

	case "call.answered":
		ev.Status = telephony.StatusAnswered
		ev.Agent = agent(c.User)

	case "call.transferred":
		ev.Status = telephony.StatusRinging
		if c.AnsweredAt > 0 {
			ev.Status = telephony.StatusAnswered
		}
		ev.Agent = agent(c.TransferredTo)
		if ev.Agent == "" {
			ev.Agent = agent(c.User)
		}

	case "call.voicemail_left":
		ev.Status = telephony.StatusVoicemail
		ev.RecordingURL = c.Voicemail

	case "call.hungup", "call.ended":
		ev.Status = finalStatus(c)
		ev.Agent = agent(c.User)
		ev.RecordingURL = c.Recording
		if ev.Status == telephony.StatusVoicemail {
			ev.RecordingURL = c.Voicemail
		}
		if c.AnsweredAt > 0 && c.EndedAt >= c.AnsweredAt {
			ev.DurationSeconds = int(c.EndedAt - c.AnsweredAt)
		}

	default:
		return false
	}
	return true
}

// finalStatus returns the status of a call that has ended.
func finalStatus(c call) telephony.Status {
	switch {
	case c.Voicemail != "":
		return telephony.StatusVoicemail
	case c.MissedCallReason != "", c.AnsweredAt == 0:
		return telephony.StatusMissed
	default:
		return telephony.StatusCompleted
	}
}

// parties returns the caller and the called party: the external number is
// raw_digits and the Aircall line is number.digits.
func (a *Adapter) parties(c call, dir telephony.Direction) (from, to telephony.Party) {
	external := a.party(c.RawDigits)

	var own telephony.Party
	if c.Number != nil && c.Number.Digits != "" {
		own = a.party(c.Number.Digits)
	}

	if dir == telephony.DirectionOutbound {
		return own, external
	}
	return external, own
}

// direction maps Aircall's "inbound" and "outbound". Anything else is empty.
func direction(value string) telephony.Direction {
	switch value {
	case "inbound":
		return telephony.DirectionInbound
	case "outbound":
		return telephony.DirectionOutbound
	default:
		return ""
	}
}

// agent names a user by email, else name, else id. A nil user gives "".
func agent(u *user) string {
	switch {
	case u == nil:
		return ""
	case u.Email != "":
		return u.Email
	case u.Name != "":
		return u.Name
	case u.ID != 0:
		return strconv.FormatInt(u.ID, 10)
	default:
		return ""
	}
}
