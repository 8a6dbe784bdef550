package twilio

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// callStatuses maps Twilio's CallStatus values to normalised statuses.
// queued and initiated only occur on outbound calls, before they ring.
var callStatuses = map[string]telephony.Status{
	"queued":      telephony.StatusRinging,
	"initiated":   telephony.StatusRinging,
	"ringing":     telephony.StatusRinging,
	"in-progress": telephony.StatusAnswered,
	"completed":   telephony.StatusCompleted,
	"busy":        telephony.StatusBusy,
	"no-answer":   telephony.StatusMissed,
	"canceled":    telephony.StatusCancelled,
	"failed":      telephony.StatusFailed,
}

// dialStatuses maps the DialCallStatus of a <Dial> action request. Both
// "completed" and "answered" mean the dialled party picked up and the bridge
// has ended by the time Twilio sends the request.
var dialStatuses = map[string]telephony.Status{
	"completed": telephony.StatusCompleted,
	"answered":  telephony.StatusCompleted,
	"busy":      telephony.StatusBusy,
	"no-answer": telephony.StatusMissed,
	"canceled":  telephony.StatusCancelled,
	"failed":    telephony.StatusFailed,
}

// Parse turns a verified Twilio webhook into at most one call event. It
// reads the form parameters from req.Form, or from the URL query and the
// form body when req.Form is nil. A recording status callback that reports
// no finished recording yields no events. A missing CallSid, an unknown hook
// or an unknown status value returns an error wrapping
// telephony.ErrMalformed.
func (a *Adapter) Parse(req telephony.Request) ([]telephony.CallEvent, error) {
	params, err := requestParams(req)
	if err != nil {
		return nil, err
	}
	if params.Get("CallSid") == "" {
		return nil, fmt.Errorf("%w: missing CallSid", telephony.ErrMalformed)
	}

	hook := req.Hook
	if (hook == HookStatus || hook == HookVoicemail) && isRecordingCallback(params) {
		hook = HookRecording
	}
	if hook == HookRecording {
		return parseRecording(params)
	}

	ev := a.baseEvent(params)
	switch hook {
	case HookVoice:
		ev.Status = telephony.StatusRinging
		ev.NeedsRoute = true
	case HookStatus:
		err = fillStatus(&ev, params)
		if parent := params.Get("ParentCallSid"); parent != "" && err == nil {
			fileUnderParent(&ev, parent, params)
		}
	case HookDial:
		err = fillDial(&ev, params)
	case HookVoicemail:
		fillVoicemail(&ev, params)
	default:
		err = fmt.Errorf("%w: unknown Twilio hook %q", telephony.ErrMalformed, req.Hook)
	}
	if err != nil {
		return nil, err
	}
	return []telephony.CallEvent{ev}, nil
}

// requestParams returns req.Form when the gateway parsed it, and otherwise
// the URL query merged with a POST form body.
func requestParams(req telephony.Request) (url.Values, error) {
	if req.Form != nil {
		return url.Values(req.Form), nil
	}

	params := url.Values{}
	if publicURL, err := url.Parse(req.PublicURL); err == nil {
		params = publicURL.Query()
	}

	if strings.EqualFold(req.Method, http.MethodPost) && len(req.Body) > 0 {
		body, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return nil, fmt.Errorf("%w: invalid form body: %w", telephony.ErrMalformed, err)
		}
		for name, values := range body {
			params[name] = append(params[name], values...)
		}
	}
	return params, nil
}

// baseEvent fills the fields that every Twilio webhook carries. A call whose
// From is a Voice SDK client ("client:alice") was placed by that agent, so it
// is outbound from the workspace's view even though Twilio calls it inbound.
func (a *Adapter) baseEvent(params url.Values) telephony.CallEvent {
	from := phone.ParseCallerID(params.Get("From"), a.opts.DefaultRegion)
	to := phone.ParseCallerID(params.Get("To"), a.opts.DefaultRegion)

	ev := telephony.CallEvent{
		Provider:       telephony.ProviderTwilio,
		ProviderCallID: params.Get("CallSid"),
		Direction:      direction(params.Get("Direction")),
		From:           party(from),
		To:             party(to),
	}

	switch {
	case from.Kind == phone.CallerClient:
		ev.Direction = telephony.DirectionOutbound
		ev.Agent = from.ClientIdentity
	case to.Kind == phone.CallerClient:
		ev.Agent = to.ClientIdentity
	}
	return ev
}

// direction maps Twilio's Direction: "inbound" is inbound, "outbound-api"
// and "outbound-dial" are outbound. Anything else, including a missing
// value, counts as inbound because every call reaching a number's webhooks
// starts as one.
func direction(value string) telephony.Direction {
	if strings.HasPrefix(value, "outbound") {
		return telephony.DirectionOutbound
	}
	return telephony.DirectionInbound
}

// fillStatus reads a call status callback. A "completed" call keeps
// StatusCompleted even with CallDuration 0, because the callback does not
// report whether an agent picked up. The dial hook reports that.
func fillStatus(ev *telephony.CallEvent, params url.Values) error {
	status, ok := callStatuses[params.Get("CallStatus")]
	if !ok {
		return fmt.Errorf("%w: unknown CallStatus %q", telephony.ErrMalformed, params.Get("CallStatus"))
	}

	ev.Status = status
	ev.DurationSeconds = seconds(params.Get("CallDuration"))
	ev.RecordingURL = params.Get("RecordingUrl")
	ev.OccurredAt = timestamp(params.Get("Timestamp"))
	if sequence := params.Get("SequenceNumber"); sequence != "" {
		ev.ProviderEventID = ev.ProviderCallID + "/status/" + sequence
	}
	return nil
}

// childStatuses maps the CallStatus of a child leg, the call a <Dial>
// places, to the status it gives the parent call. The leg's final statuses
// map to none, because the leg ends before the parent does. The dial hook
// and the parent's own status callback report how the call ended.
var childStatuses = map[telephony.Status]telephony.Status{
	telephony.StatusRinging:  telephony.StatusRinging,
	telephony.StatusAnswered: telephony.StatusAnswered,
}

// fileUnderParent turns the status callback of a child leg into an event of
// the parent call parentSid. The leg's Direction ("outbound-dial"), From
// and To describe the agent's side, so the event carries none of them. The
// leg's talk time is left out too, because the dial hook reports it as
// DialCallDuration. Agent is the client identity or SIP URI that the leg
// rang.
//
// NOTE: a leg to a number sets no Agent, because the child leg of a call
// that a Voice SDK client placed also rings a number: the callee's.
func fileUnderParent(ev *telephony.CallEvent, parentSid string, params url.Values) {
	ev.ParentCallID = parentSid
	ev.Direction = ""
	ev.From, ev.To = telephony.Party{}, telephony.Party{}
	ev.Status = childStatuses[ev.Status]
	ev.DurationSeconds = 0

	ev.Agent = ""
	to := phone.ParseCallerID(params.Get("To"), "")
	switch to.Kind {
	case phone.CallerClient:
		ev.Agent = to.ClientIdentity
	case phone.CallerSIP:
		ev.Agent = to.Raw
	}
}

// fillDial reads the action request of a <Dial>, which reports how ringing
// the route's target ended. DialCallDuration is the talk time with the
// dialled party, so it becomes TalkSeconds: the parent's CallDuration in
// its later status callback also counts the time before the bridge.
func fillDial(ev *telephony.CallEvent, params url.Values) error {
	status, ok := dialStatuses[params.Get("DialCallStatus")]
	if !ok {
		return fmt.Errorf("%w: unknown DialCallStatus %q", telephony.ErrMalformed, params.Get("DialCallStatus"))
	}

	ev.Status = status
	ev.TalkSeconds = seconds(params.Get("DialCallDuration"))
	ev.RecordingURL = params.Get("RecordingUrl")
	ev.ProviderEventID = ev.ProviderCallID + "/dial"
	return nil
}

// fillVoicemail reads the action request of the voicemail <Record>. Without
// a RecordingUrl the caller hung up before leaving a message.
func fillVoicemail(ev *telephony.CallEvent, params url.Values) {
	ev.ProviderEventID = ev.ProviderCallID + "/voicemail"
	ev.RecordingURL = params.Get("RecordingUrl")
	if ev.RecordingURL == "" {
		ev.Status = telephony.StatusMissed
		return
	}

	ev.Status = telephony.StatusVoicemail
	ev.DurationSeconds = seconds(params.Get("RecordingDuration"))
}

// seconds parses a duration parameter. A missing or invalid value is 0.
func seconds(value string) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// timestamp parses the Timestamp parameter of status callbacks, an RFC 2822
// date such as "Mon, 16 Aug 2010 03:45:01 +0000". A missing or invalid value
// gives the zero time.
func timestamp(value string) time.Time {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if parsed, err := time.Parse(layout, value); err == nil {
			return parsed.UTC()
		}
	}
	return time.Time{}
}
