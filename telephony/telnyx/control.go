package telnyx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-oss/switchboard/telephony"
)

// ErrInvalidRoute is returned (wrapped) by Route and Reroute for a route that
// cannot be turned into a Call Control command, before any request is sent.
var ErrInvalidRoute = errors.New("route cannot be carried out on Telnyx")

// Limits of Call Control command fields.
const (
	// minTransferTimeout and maxTransferTimeout bound timeout_secs of a
	// transfer, in seconds.
	minTransferTimeout = 5
	maxTransferTimeout = 600
	// maxDisplayNameLength is the longest from_display_name Telnyx accepts.
	maxDisplayNameLength = 128
	// voicemailMaxSeconds caps the length of a voicemail recording.
	voicemailMaxSeconds = 180
)

// transferRequest is the body of actions/transfer.
type transferRequest struct {
	To                   string `json:"to"`
	TimeoutSecs          int    `json:"timeout_secs,omitempty"`
	FromDisplayName      string `json:"from_display_name,omitempty"`
	ClientState          string `json:"client_state"`
	TargetLegClientState string `json:"target_leg_client_state"`
}

// enqueueRequest is the body of actions/enqueue.
type enqueueRequest struct {
	QueueName       string `json:"queue_name"`
	MaxWaitTimeSecs int    `json:"max_wait_time_secs,omitempty"`
	ClientState     string `json:"client_state"`
}

// recordRequest is the body of actions/record_start.
type recordRequest struct {
	Format      string `json:"format"`
	Channels    string `json:"channels"`
	PlayBeep    bool   `json:"play_beep"`
	MaxLength   int    `json:"max_length"`
	ClientState string `json:"client_state"`
}

// rejectRequest is the body of actions/reject.
type rejectRequest struct {
	Cause       string `json:"cause"`
	ClientState string `json:"client_state"`
}

// stateRequest is the body of actions/answer and actions/hangup, which need
// nothing but the client state.
type stateRequest struct {
	ClientState string `json:"client_state"`
}

// Route carries out the routing decision for the call.initiated event of an
// incoming call that is still parked. callControlID is the event's
// ProviderCallID.
func (a *Adapter) Route(ctx context.Context, creds telephony.Credentials, callControlID string, route telephony.Route) error {
	return a.carryOut(ctx, creds, callControlID, route, true)
}

// Reroute sends a call in progress to route. For queue and voicemail routes
// the call must already be answered.
func (a *Adapter) Reroute(ctx context.Context, creds telephony.Credentials, callControlID string, route telephony.Route) error {
	return a.carryOut(ctx, creds, callControlID, route, false)
}

// carryOut sends the commands for route. parked is true while the call has
// not been answered yet.
func (a *Adapter) carryOut(ctx context.Context, creds telephony.Credentials, callControlID string, route telephony.Route, parked bool) error {
	if callControlID == "" {
		return fmt.Errorf("%w: empty call_control_id", ErrInvalidRoute)
	}
	state := clientState{CallControlID: callControlID, Route: route.Kind}.encode()

	switch route.Kind {
	case telephony.TargetNumber, telephony.TargetSIP, telephony.TargetClient, telephony.TargetExtension:
		return a.transfer(ctx, creds, callControlID, route, state)

	case telephony.TargetQueue:
		if route.Target == "" {
			return fmt.Errorf("%w: a queue route needs the queue name as target", ErrInvalidRoute)
		}
		body := enqueueRequest{QueueName: route.Target, MaxWaitTimeSecs: max(route.TimeoutSeconds, 0), ClientState: state}
		return a.answerThen(ctx, creds, callControlID, parked, state, "enqueue", body)

	case telephony.TargetVoicemail:
		// NOTE: the caller hears no greeting before the beep, because Telnyx
		// has no voicemail command and Switchboard stores no greeting audio.
		body := recordRequest{Format: "mp3", Channels: "single", PlayBeep: true, MaxLength: voicemailMaxSeconds, ClientState: state}
		return a.answerThen(ctx, creds, callControlID, parked, state, "record_start", body)

	case telephony.TargetHangup:
		if parked {
			return a.command(ctx, creds, callControlID, "reject", rejectRequest{Cause: "CALL_REJECTED", ClientState: state})
		}
		return a.command(ctx, creds, callControlID, "hangup", stateRequest{ClientState: state})

	default:
		return fmt.Errorf("%w: unknown route kind %q", ErrInvalidRoute, route.Kind)
	}
}

// transfer sends actions/transfer to the destination of route.
func (a *Adapter) transfer(ctx context.Context, creds telephony.Credentials, callControlID string, route telephony.Route, state string) error {
	to, err := a.destination(route)
	if err != nil {
		return err
	}

	body := transferRequest{
		To:                   to,
		TimeoutSecs:          transferTimeout(route.TimeoutSeconds),
		FromDisplayName:      displayName(route.CallerName),
		ClientState:          state,
		TargetLegClientState: state,
	}
	return a.command(ctx, creds, callControlID, "transfer", body)
}

// answerThen answers a parked call and then sends action with body.
func (a *Adapter) answerThen(ctx context.Context, creds telephony.Credentials, callControlID string, parked bool, state, action string, body any) error {
	if parked {
		if err := a.command(ctx, creds, callControlID, "answer", stateRequest{ClientState: state}); err != nil {
			return err
		}
	}
	return a.command(ctx, creds, callControlID, action, body)
}

// destination returns the "to" of a transfer: the E.164 number or SIP URI.
func (a *Adapter) destination(route telephony.Route) (string, error) {
	target := strings.TrimSpace(route.Target)
	if target == "" {
		return "", fmt.Errorf("%w: a %s route needs a target", ErrInvalidRoute, route.Kind)
	}

	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		return target, nil
	}

	switch route.Kind {
	case telephony.TargetNumber:
		return target, nil
	case telephony.TargetSIP:
		return "sip:" + target, nil
	default:
		return "sip:" + target + "@" + a.opts.SIPDomain, nil
	}
}

// transferTimeout clamps a ring timeout to what Telnyx accepts. 0 keeps the
// Telnyx default of 30 seconds.
func transferTimeout(seconds int) int {
	if seconds <= 0 {
		return 0
	}
	return min(max(seconds, minTransferTimeout), maxTransferTimeout)
}

// displayName keeps the characters Telnyx allows in from_display_name
// (letters, digits, spaces and -_~!.+) and cuts the result to its limit.
func displayName(name string) string {
	var cleaned strings.Builder
	for _, r := range name {
		if cleaned.Len() >= maxDisplayNameLength {
			break
		}
		allowed := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" -_~!.+", r))
		if allowed {
			cleaned.WriteRune(r)
		}
	}
	return strings.TrimSpace(cleaned.String())
}

// command sends POST {base}/v2/calls/{callControlID}/actions/{action}.
func (a *Adapter) command(ctx context.Context, creds telephony.Credentials, callControlID, action string, body any) error {
	if creds.APIKey == "" {
		return fmt.Errorf("telnyx %s command: the connection has no API key", action)
	}

	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("telnyx %s command: encode body: %w", action, err)
	}

	endpoint := a.baseURL(creds) + "/v2/calls/" + url.PathEscape(callControlID) + "/actions/" + action
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("telnyx %s command: build request: %w", action, err)
	}
	req.Header.Set("Authorization", "Bearer "+creds.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("telnyx %s command: %w", action, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	return fmt.Errorf("telnyx %s command: %w", action, apiError(resp))
}
