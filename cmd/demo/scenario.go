package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// expectedCall is the state the call list must show for one call once
// all its webhooks are in.
type expectedCall struct {
	provider       string
	providerCallID string
	fromE164       string
	contact        string // display name, "" for no contact
	status         string
	// answeredAt and endedAt are nil when the time is not known in advance:
	// Twilio stamps only status callbacks, so other hooks take the time the
	// gateway received them.
	answeredAt *time.Time
	endedAt    *time.Time
	answered   bool
	duration   int
	rule       string // "" for the default route
	events     int
}

// runner replays the recorded webhooks against the gateway.
type runner struct {
	p      *printer
	http   *http.Client
	setup  *demoSetup
	telnyx *fakeTelnyxAPI
}

// The TwiML responses of the demo's Twilio connection, without the XML
// declaration.
const (
	twimlVIPQueue   = `<Response><Enqueue>vip</Enqueue></Response>`
	twimlSalesQueue = `<Response><Enqueue>sales</Enqueue></Response>`
	twimlFrontDesk  = `<Response><Dial action="dial" timeout="20"><Number>+14155550100</Number></Dial></Response>`
	twimlEmpty      = `<Response></Response>`
)

// twilioNumber is the Twilio number the demo's callers dial.
const twilioNumber = "+14155550100"

// sendTwilio posts one Twilio webhook, prints it with the response and
// checks that the response is 200 with the TwiML want.
func (r *runner) sendTwilio(ctx context.Context, hook, hookURL string, params url.Values, want string) error {
	r.p.step("→ twilio %-6s %s", hook, describeTwilio(params))
	resp, err := r.setup.twilio.send(ctx, r.http, hookURL, r.setup.twilio.authToken, params)
	if err != nil {
		return err
	}
	r.p.detail("← %d %s", resp.status, shortBody(resp.body))
	r.p.expect(resp.status == http.StatusOK && resp.body == xmlHeader+want,
		"twilio %s webhook of %s returned %d %q, expected 200 %q", hook, params.Get("CallSid"), resp.status, shortBody(resp.body), want)
	return nil
}

// describeTwilio returns the parameters of a Twilio webhook that tell its
// events apart.
func describeTwilio(params url.Values) string {
	parts := []string{"From=" + params.Get("From"), "CallStatus=" + params.Get("CallStatus")}
	for _, name := range []string{"DialCallStatus", "SequenceNumber", "Timestamp", "CallDuration"} {
		if v := params.Get(name); v != "" {
			if at, err := time.Parse(time.RFC1123Z, v); name == "Timestamp" && err == nil {
				v = at.UTC().Format("15:04:05")
			}
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// vipCall replays a call from a VIP contact: ringing, answered, completed,
// and Twilio sending the completed callback a second time.
func (r *runner) vipCall(ctx context.Context) (expectedCall, error) {
	tw := r.setup.twilio
	call := twilioCall{sid: "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c01", from: "+442079460018", to: twilioNumber}
	base := time.Now().UTC().Truncate(time.Second)
	answered, ended := base.Add(4*time.Second), base.Add(51*time.Second)
	r.p.section("Call 1 (Twilio): Ada Lovelace, a VIP, calls; an agent answers; Twilio sends the completed callback twice")

	completed := tw.status(call, "completed", 2, ended, 47)
	steps := []struct {
		note      string
		hook, url string
		params    url.Values
		want      string
	}{
		{"", "voice", tw.voiceURL, tw.voice(call), twimlVIPQueue},
		{"", "status", tw.statusURL, tw.status(call, "in-progress", 1, answered, 0), twimlEmpty},
		{"", "status", tw.statusURL, completed, twimlEmpty},
		{"Twilio delivers the same callback again:", "status", tw.statusURL, completed, twimlEmpty},
	}
	for _, s := range steps {
		if s.note != "" {
			r.p.step("%s", s.note)
		}
		if err := r.sendTwilio(ctx, s.hook, s.url, s.params, s.want); err != nil {
			return expectedCall{}, err
		}
	}

	return expectedCall{
		provider: "twilio", providerCallID: call.sid, fromE164: call.from, contact: "Ada Lovelace",
		status: "completed", answeredAt: &answered, endedAt: &ended, answered: true, duration: 47,
		rule: "VIP callers", events: 3,
	}, nil
}

// missedCall replays a call from a number in no phonebook. The front desk
// does not pick up: the <Dial> action reports no-answer, and the status
// callback that follows reports completed, because Twilio answered the
// caller's leg to run the TwiML. The call stays missed.
func (r *runner) missedCall(ctx context.Context) (expectedCall, error) {
	tw := r.setup.twilio
	call := twilioCall{sid: "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c02", from: "+14155550199", to: twilioNumber}
	base := time.Now().UTC().Truncate(time.Second)
	r.p.section("Call 2 (Twilio): an unknown number calls; the front desk does not answer")

	if err := r.sendTwilio(ctx, "voice", tw.voiceURL, tw.voice(call), twimlFrontDesk); err != nil {
		return expectedCall{}, err
	}
	if err := r.sendTwilio(ctx, "dial", tw.dialURL(), tw.dial(call, "no-answer", "CA9e8d7c6b5a49382716f5e4d3c2b1a002"), twimlEmpty); err != nil {
		return expectedCall{}, err
	}
	if err := r.sendTwilio(ctx, "status", tw.statusURL, tw.status(call, "completed", 1, base.Add(25*time.Second), 25), twimlEmpty); err != nil {
		return expectedCall{}, err
	}

	return expectedCall{
		provider: "twilio", providerCallID: call.sid, fromE164: call.from,
		status: "missed", duration: 0, rule: "Unknown callers", events: 3,
	}, nil
}

// outOfOrderCall replays a call whose completed callback arrives before
// the in-progress one.
func (r *runner) outOfOrderCall(ctx context.Context) (expectedCall, error) {
	tw := r.setup.twilio
	call := twilioCall{sid: "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c03", from: "+14155550107", to: twilioNumber}
	base := time.Now().UTC().Truncate(time.Second)
	answered, ended := base.Add(3*time.Second), base.Add(65*time.Second)
	r.p.section("Call 3 (Twilio): Alan Turing calls; the completed callback arrives before the in-progress one")

	if err := r.sendTwilio(ctx, "voice", tw.voiceURL, tw.voice(call), twimlSalesQueue); err != nil {
		return expectedCall{}, err
	}
	if err := r.sendTwilio(ctx, "status", tw.statusURL, tw.status(call, "completed", 2, ended, 62), twimlEmpty); err != nil {
		return expectedCall{}, err
	}
	r.p.step("The in-progress callback, sent first, arrives late:")
	if err := r.sendTwilio(ctx, "status", tw.statusURL, tw.status(call, "in-progress", 1, answered, 0), twimlEmpty); err != nil {
		return expectedCall{}, err
	}

	return expectedCall{
		provider: "twilio", providerCallID: call.sid, fromE164: call.from, contact: "Alan Turing",
		status: "completed", answeredAt: &answered, endedAt: &ended, answered: true, duration: 62,
		events: 3,
	}, nil
}

// forgedWebhook sends a voice webhook signed with the wrong auth token,
// which must be rejected with 403 and leave no call behind.
func (r *runner) forgedWebhook(ctx context.Context) (string, error) {
	tw := r.setup.twilio
	call := twilioCall{sid: "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6cff", from: "+14155550123", to: twilioNumber}
	r.p.section("A forged webhook: a Twilio voice webhook signed with the wrong auth token")

	params := tw.voice(call)
	r.p.step("→ twilio voice  %s", describeTwilio(params))
	resp, err := tw.send(ctx, r.http, tw.voiceURL, randomHex(16), params)
	if err != nil {
		return "", err
	}
	var problem struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal([]byte(resp.body), &problem) // a body that is not a problem shows as an empty title
	r.p.detail("← %d %s: %s", resp.status, problem.Title, problem.Detail)
	expectEqual(r.p, "the status of the forged webhook", resp.status, http.StatusForbidden)
	return call.sid, nil
}
