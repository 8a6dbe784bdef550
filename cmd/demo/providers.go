package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/telephony/telnyx"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// twilioSender posts Twilio voice webhooks, signed with the connection's
// auth token over the URL the connection lists, as Twilio signs them.
type twilioSender struct {
	accountSID string
	authToken  string
	voiceURL   string
	statusURL  string
}

// twilioCall is one incoming call to a Twilio number.
type twilioCall struct {
	sid  string
	from string
	to   string
}

// params returns the parameters Twilio sends with every webhook of c, with
// the names of the Twilio voice webhook documentation.
func (s twilioSender) params(c twilioCall) url.Values {
	return url.Values{
		"AccountSid": {s.accountSID},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {c.sid},
		"Direction":  {"inbound"},
		"From":       {c.from},
		"Caller":     {c.from},
		"To":         {c.to},
		"Called":     {c.to},
	}
}

// voice returns the "A call comes in" webhook of c.
func (s twilioSender) voice(c twilioCall) url.Values {
	params := s.params(c)
	params.Set("CallStatus", "ringing")
	return params
}

// status returns a status callback of c. Twilio numbers each callback of a
// call with SequenceNumber and stamps it with Timestamp (RFC 2822). A
// completed call also carries CallDuration, in seconds.
func (s twilioSender) status(c twilioCall, callStatus string, sequence int, at time.Time, duration int) url.Values {
	params := s.params(c)
	params.Set("CallStatus", callStatus)
	params.Set("CallbackSource", "call-progress-events")
	params.Set("SequenceNumber", strconv.Itoa(sequence))
	params.Set("Timestamp", at.UTC().Format(time.RFC1123Z))
	if callStatus == "completed" {
		params.Set("CallDuration", strconv.Itoa(duration))
	}
	return params
}

// dial returns the action request of the <Dial> that routed c, for an
// agent leg that ended with dialStatus.
func (s twilioSender) dial(c twilioCall, dialStatus, dialSID string) url.Values {
	params := s.params(c)
	params.Set("CallStatus", "in-progress")
	params.Set("DialCallSid", dialSID)
	params.Set("DialCallStatus", dialStatus)
	params.Set("DialBridged", "false")
	return params
}

// dialURL returns where Twilio posts the <Dial> action: the relative
// action "dial" that Switchboard's TwiML names, resolved against the voice
// webhook URL.
func (s twilioSender) dialURL() string {
	voice, err := url.Parse(s.voiceURL)
	if err != nil {
		return s.voiceURL
	}
	return voice.ResolveReference(&url.URL{Path: "dial"}).String()
}

// send posts params to hookURL with X-Twilio-Signature computed with
// authToken, which is the connection's token except when a test of a
// forged request passes another one.
func (s twilioSender) send(ctx context.Context, client *http.Client, hookURL, authToken string, params url.Values) (webhookResponse, error) {
	header := http.Header{}
	header.Set(twilio.SignatureHeader, twilio.Signature(authToken, hookURL, params))
	return postWebhook(ctx, client, hookURL, "application/x-www-form-urlencoded", []byte(params.Encode()), header)
}

// telnyxSender posts Telnyx Call Control webhooks signed with the demo's
// Ed25519 key, whose public half is the connection's public key.
type telnyxSender struct {
	privateKey ed25519.PrivateKey
	apiKey     string
	eventsURL  string
}

// telnyxCall is one incoming call on a Telnyx number.
type telnyxCall struct {
	callControlID string
	callLegID     string
	sessionID     string
	from          string
	to            string
	start         time.Time
}

// telnyxEvent is the envelope of a Call Control v2 webhook, with the field
// names of the Telnyx webhook documentation.
type telnyxEvent struct {
	Data struct {
		RecordType string        `json:"record_type"`
		EventType  string        `json:"event_type"`
		ID         string        `json:"id"`
		OccurredAt string        `json:"occurred_at"`
		Payload    telnyxPayload `json:"payload"`
	} `json:"data"`
	Meta struct {
		Attempt     int    `json:"attempt"`
		DeliveredTo string `json:"delivered_to"`
	} `json:"meta"`
}

type telnyxPayload struct {
	CallControlID  string  `json:"call_control_id"`
	CallLegID      string  `json:"call_leg_id"`
	CallSessionID  string  `json:"call_session_id"`
	ConnectionID   string  `json:"connection_id"`
	ClientState    *string `json:"client_state"`
	Direction      string  `json:"direction"`
	From           string  `json:"from"`
	To             string  `json:"to"`
	StartTime      string  `json:"start_time"`
	State          string  `json:"state"`
	HangupCause    string  `json:"hangup_cause,omitempty"`
	HangupSource   string  `json:"hangup_source,omitempty"`
	SIPHangupCause string  `json:"sip_hangup_cause,omitempty"`
}

// telnyxTime is the form of Telnyx timestamps, such as
// 2026-03-10T14:02:11.482736Z.
const telnyxTime = "2006-01-02T15:04:05.000000Z"

// event returns the webhook body of one event of c. clientState is the
// client_state Switchboard set in its last command, nil before any.
func (s telnyxSender) event(c telnyxCall, eventType, eventID, state string, at time.Time, clientState *string) telnyxEvent {
	var ev telnyxEvent
	ev.Data.RecordType = "event"
	ev.Data.EventType = eventType
	ev.Data.ID = eventID
	ev.Data.OccurredAt = at.UTC().Format(telnyxTime)
	ev.Data.Payload = telnyxPayload{
		CallControlID: c.callControlID, CallLegID: c.callLegID, CallSessionID: c.sessionID,
		ConnectionID: "1684641123236054244", ClientState: clientState, Direction: "incoming",
		From: c.from, To: c.to, StartTime: c.start.UTC().Format(telnyxTime), State: state,
	}
	ev.Meta.Attempt = 1
	ev.Meta.DeliveredTo = s.eventsURL
	return ev
}

// send posts ev with telnyx-timestamp set to now and
// telnyx-signature-ed25519 over the timestamp, "|" and the body.
func (s telnyxSender) send(ctx context.Context, client *http.Client, ev telnyxEvent) (webhookResponse, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return webhookResponse{}, err
	}
	timestamp := strconv.FormatInt(time.Now().Unix(), 10)
	message := append([]byte(timestamp+"|"), body...)

	header := http.Header{}
	header.Set(telnyx.HeaderTimestamp, timestamp)
	header.Set(telnyx.HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(s.privateKey, message)))
	return postWebhook(ctx, client, s.eventsURL, "application/json", body, header)
}
