package telnyx

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Telnyx event types that Parse maps.
const (
	eventInitiated      = "call.initiated"
	eventAnswered       = "call.answered"
	eventBridged        = "call.bridged"
	eventHangup         = "call.hangup"
	eventRecordingSaved = "call.recording.saved"
)

// envelope is a Call Control v2 webhook body.
type envelope struct {
	Data struct {
		EventType  string    `json:"event_type"`
		ID         string    `json:"id"`
		OccurredAt time.Time `json:"occurred_at"`
		Payload    payload   `json:"payload"`
	} `json:"data"`
}

// payload holds the fields of the call events that Parse reads.
type payload struct {
	CallControlID       string            `json:"call_control_id"`
	ClientState         string            `json:"client_state"`
	From                string            `json:"from"`
	To                  string            `json:"to"`
	Direction           string            `json:"direction"`
	HangupCause         string            `json:"hangup_cause"`
	RecordingURLs       map[string]string `json:"recording_urls"`
	PublicRecordingURLs map[string]string `json:"public_recording_urls"`
}

// Parse turns a verified Telnyx webhook into at most one call event. Event
// types it does not map yield no events and no error.
func (a *Adapter) Parse(req telephony.Request) ([]telephony.CallEvent, error) {
	var env envelope
	if err := json.Unmarshal(req.Body, &env); err != nil {
		return nil, fmt.Errorf("%w: Telnyx webhook body is not a Call Control v2 envelope: %w", telephony.ErrMalformed, err)
	}
	if env.Data.EventType == "" {
		return nil, fmt.Errorf("%w: Telnyx webhook has no data.event_type", telephony.ErrMalformed)
	}

	p := env.Data.Payload
	state, hasState := decodeClientState(p.ClientState)
	secondLeg := hasState && p.CallControlID != "" && p.CallControlID != state.CallControlID

	ev := telephony.CallEvent{
		Provider:        telephony.ProviderTelnyx,
		ProviderCallID:  p.CallControlID,
		ProviderEventID: env.Data.ID,
		OccurredAt:      env.Data.OccurredAt.UTC(),
	}
	if hasState {
		ev.ProviderCallID = state.CallControlID
	}
	// A second leg's parties and direction are those of the transfer, and
	// call.recording.saved names no parties.
	if !secondLeg && env.Data.EventType != eventRecordingSaved {
		ev.Direction = direction(p.Direction)
		ev.From = a.party(p.From)
		ev.To = a.party(p.To)
	}

	keep := fillStatus(&ev, env.Data.EventType, p, state, secondLeg)
	if !keep {
		return nil, nil
	}
	if ev.ProviderCallID == "" {
		return nil, fmt.Errorf("%w: Telnyx %s event %q has neither call_control_id nor a Switchboard client_state",
			telephony.ErrMalformed, env.Data.EventType, env.Data.ID)
	}
	return []telephony.CallEvent{ev}, nil
}

// fillStatus sets the status fields of ev for eventType and reports whether
// the event is kept. secondLeg marks an event of the leg a transfer dialled.
func fillStatus(ev *telephony.CallEvent, eventType string, p payload, state clientState, secondLeg bool) bool {
	switch eventType {
	case eventInitiated:
		if secondLeg {
			return false
		}
		ev.Status = telephony.StatusRinging
		ev.NeedsRoute = ev.Direction == telephony.DirectionInbound

	case eventAnswered, eventBridged:
		ev.Status = telephony.StatusAnswered
		if secondLeg {
			ev.Agent = p.To
		}

	case eventHangup:
		if secondLeg {
			return false
		}
		ev.Status = hangupStatus(p.HangupCause, ev.Direction, state.Route)

	case eventRecordingSaved:
		ev.RecordingURL = recordingURL(p)
		if state.Route == telephony.TargetVoicemail {
			ev.Status = telephony.StatusVoicemail
		}

	default:
		return false
	}
	return true
}

// direction maps Telnyx's "incoming" and "outgoing" to the model. Anything
// else, including the missing direction of call.recording.saved, is empty.
func direction(value string) telephony.Direction {
	switch value {
	case "incoming":
		return telephony.DirectionInbound
	case "outgoing":
		return telephony.DirectionOutbound
	default:
		return ""
	}
}

// hangupStatus maps a hangup_cause to a final status, as tabled in the
// package comment.
func hangupStatus(cause string, dir telephony.Direction, route telephony.TargetKind) telephony.Status {
	if route == telephony.TargetVoicemail {
		return telephony.StatusVoicemail
	}

	switch cause {
	case "normal_clearing", "time_limit":
		return telephony.StatusCompleted
	case "originator_cancel":
		if dir == telephony.DirectionOutbound {
			return telephony.StatusCancelled
		}
		return telephony.StatusMissed
	case "timeout", "no_answer":
		return telephony.StatusMissed
	case "user_busy":
		return telephony.StatusBusy
	case "call_rejected":
		if dir == telephony.DirectionOutbound {
			return telephony.StatusBusy
		}
		return telephony.StatusCancelled
	default:
		return telephony.StatusFailed
	}
}

// recordingURL picks one URL of a saved recording. Public URLs come first
// because the recording_urls links are pre-signed and expire after a few
// minutes. mp3 comes before wav because it is smaller.
func recordingURL(p payload) string {
	for _, urls := range []map[string]string{p.PublicRecordingURLs, p.RecordingURLs} {
		for _, format := range []string{"mp3", "wav"} {
			if urls[format] != "" {
				return urls[format]
			}
		}
	}
	return ""
}
