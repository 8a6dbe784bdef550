package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// telnyxCall replays a Telnyx call from a contact with an owner extension:
// call.initiated, which Switchboard follows with a transfer command to the
// fake Call Control API, then call.answered and call.hangup.
func (r *runner) telnyxCall(ctx context.Context) (expectedCall, error) {
	tx := r.setup.telnyx
	base := time.Now().UTC().Truncate(time.Second)
	call := telnyxCall{
		callControlID: "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO_nh0d_mgrm_ToafLs3GXA",
		callLegID:     "2dc6fc34-f9e0-11ed-b0ae-02420a0daa69",
		sessionID:     "428c31b6-7af4-4bcb-b7f5-5013ef9657c1",
		from:          "+14155550142",
		to:            "+16465550100",
		start:         base,
	}
	answered, ended := base.Add(6*time.Second), base.Add(94*time.Second)
	r.p.section("Call 4 (Telnyx): Grace Hopper calls; her account owner's extension 204 answers")

	initiated := tx.event(call, "call.initiated", "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b01", "parked", base, nil)
	if err := r.sendTelnyx(ctx, initiated); err != nil {
		return expectedCall{}, err
	}
	clientState := r.checkTransfer(call.callControlID)

	answeredEvent := tx.event(call, "call.answered", "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b03", "answered", answered, clientState)
	if err := r.sendTelnyx(ctx, answeredEvent); err != nil {
		return expectedCall{}, err
	}
	hangup := tx.event(call, "call.hangup", "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0", "hangup", ended, clientState)
	hangup.Data.Payload.HangupCause = "normal_clearing"
	hangup.Data.Payload.HangupSource = "caller"
	hangup.Data.Payload.SIPHangupCause = "200"
	if err := r.sendTelnyx(ctx, hangup); err != nil {
		return expectedCall{}, err
	}
	commands := r.telnyx.Take()
	r.p.expect(len(commands) == 0, "the fake Call Control API received %d commands after call.initiated, expected none: %v", len(commands), commands)

	return expectedCall{
		provider: "telnyx", providerCallID: call.callControlID, fromE164: call.from, contact: "Grace Hopper",
		status: "completed", answeredAt: &answered, endedAt: &ended, answered: true, duration: 88,
		rule: "Owner's extension", events: 3,
	}, nil
}

// sendTelnyx posts one Telnyx event and checks the empty 200 response that
// Telnyx expects.
func (r *runner) sendTelnyx(ctx context.Context, ev telnyxEvent) error {
	r.p.step("→ telnyx events %s from %s", ev.Data.EventType, ev.Data.Payload.From)
	resp, err := r.setup.telnyx.send(ctx, r.http, ev)
	if err != nil {
		return err
	}
	r.p.detail("← %d %s", resp.status, shortBody(resp.body))
	r.p.expect(resp.status == http.StatusOK && resp.body == "",
		"telnyx %s webhook returned %d %q, expected 200 with no body", ev.Data.EventType, resp.status, resp.body)
	return nil
}

// checkTransfer checks that the fake Call Control API received exactly one
// command since the last check: a transfer of callControlID to extension
// 204, authorised with the connection's API key. It returns the command's
// client_state, which Telnyx echoes in the call's later events.
func (r *runner) checkTransfer(callControlID string) *string {
	commands := r.telnyx.Take()
	for _, c := range commands {
		r.p.detail("⇢ the Call Control API received %s %s", c.Method, c.Path)
		r.p.detail("  %s", abbreviateJSON(c.Body))
	}
	if len(commands) != 1 {
		r.p.expect(false, "the fake Call Control API received %d commands after call.initiated, expected 1 transfer", len(commands))
		return nil
	}

	c := commands[0]
	var body struct {
		To          string `json:"to"`
		TimeoutSecs int    `json:"timeout_secs"`
		ClientState string `json:"client_state"`
	}
	err := json.Unmarshal([]byte(c.Body), &body)
	r.p.expect(err == nil, "the transfer command's body is not JSON: %v", err)
	expectEqual(r.p, "the command's path", c.Path, "/v2/calls/"+callControlID+"/actions/transfer")
	expectEqual(r.p, "the command's Authorization header", c.Authorization == "Bearer "+r.setup.telnyx.apiKey, true)
	expectEqual(r.p, "the transfer's destination", body.To, "sip:204@sip.telnyx.com")
	expectEqual(r.p, "the transfer's timeout_secs", body.TimeoutSecs, 20)
	r.p.expect(body.ClientState != "", "the transfer command has no client_state")
	return &body.ClientState
}

// abbreviateJSON returns a JSON object with string values longer than 40
// characters cut short, such as the base64 client_state, for display.
func abbreviateJSON(body string) string {
	var fields map[string]any
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		return body
	}
	for name, value := range fields {
		if s, ok := value.(string); ok && len(s) > 40 {
			fields[name] = s[:24] + "…"
		}
	}
	short, err := json.Marshal(fields)
	if err != nil {
		return body
	}
	return string(short)
}
