package aircall

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-oss/switchboard/telephony"
)

// ErrUnsupportedRoute is returned (wrapped) by Reroute for a route that the
// Aircall transfer API cannot carry out, before any request is sent.
var ErrUnsupportedRoute = errors.New("route not supported by Aircall")

// maxErrorBody is how much of an API response body is read, in bytes.
const maxErrorBody = 64 << 10

// transferRequest is the body of POST /v1/calls/{id}/transfers, with exactly
// one field set.
type transferRequest struct {
	UserID int64  `json:"user_id,omitempty"`
	TeamID int64  `json:"team_id,omitempty"`
	Number string `json:"number,omitempty"`
}

// Reroute transfers the Aircall call callID to route. The package comment
// lists how route kinds map to the transfer body.
func (a *Adapter) Reroute(ctx context.Context, creds telephony.Credentials, callID string, route telephony.Route) error {
	if callID == "" {
		return fmt.Errorf("%w: empty call id", ErrUnsupportedRoute)
	}

	body, err := transferBody(route)
	if err != nil {
		return err
	}

	if creds.AccountID == "" || creds.AuthToken == "" {
		return errors.New("aircall transfer: the connection needs the Aircall API id and API token")
	}
	return a.postTransfer(ctx, creds, callID, body)
}

// transferBody maps route to the transfer request body.
func transferBody(route telephony.Route) (transferRequest, error) {
	target := strings.TrimSpace(route.Target)

	switch route.Kind {
	case telephony.TargetNumber:
		if target == "" {
			return transferRequest{}, fmt.Errorf("%w: a number route needs the number as target", ErrUnsupportedRoute)
		}
		return transferRequest{Number: target}, nil

	case telephony.TargetExtension, telephony.TargetClient:
		userID, err := parseID(target, "user")
		return transferRequest{UserID: userID}, err

	case telephony.TargetQueue:
		teamID, err := parseID(target, "team")
		return transferRequest{TeamID: teamID}, err

	default:
		return transferRequest{}, fmt.Errorf("%w: Aircall cannot transfer a call to a %q target", ErrUnsupportedRoute, route.Kind)
	}
}

// parseID reads a numeric Aircall id of resource, "user" or "team".
func parseID(target, resource string) (int64, error) {
	id, err := strconv.ParseInt(target, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: target %q is not a numeric Aircall %s id", ErrUnsupportedRoute, target, resource)
	}
	return id, nil
}

// postTransfer sends the transfer request and maps an error response.
func (a *Adapter) postTransfer(ctx context.Context, creds telephony.Credentials, callID string, body transferRequest) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("aircall transfer: encode body: %w", err)
	}

	endpoint := a.baseURL(creds) + "/v1/calls/" + url.PathEscape(callID) + "/transfers"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("aircall transfer: build request: %w", err)
	}
	req.SetBasicAuth(creds.AccountID, creds.AuthToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("aircall transfer: %w", err)
	}
	defer resp.Body.Close()

	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return fmt.Errorf("aircall transfer of call %s: %w", callID, apiError(resp.StatusCode, raw))
}

// apiError turns an Aircall error response {"error","troubleshoot"} into a
// *telephony.ProviderError.
//
// NOTE: Aircall documents no distinct error for a call that has already
// ended, so Reroute never wraps telephony.ErrCallEnded. Such a transfer
// fails with the ProviderError Aircall returns.
func apiError(status int, raw []byte) error {
	providerErr := &telephony.ProviderError{Provider: telephony.ProviderAircall, StatusCode: status}

	var body struct {
		Error        string `json:"error"`
		Troubleshoot string `json:"troubleshoot"`
	}
	_ = json.Unmarshal(raw, &body)

	switch {
	case body.Error != "" && body.Troubleshoot != "":
		providerErr.Message = body.Error + ": " + body.Troubleshoot
	case body.Error != "":
		providerErr.Message = body.Error
	case len(bytes.TrimSpace(raw)) > 0:
		providerErr.Message = string(bytes.TrimSpace(raw))
	default:
		providerErr.Message = http.StatusText(status)
	}
	return providerErr
}
