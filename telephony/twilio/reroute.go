package twilio

import (
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

// errCodeCallNotInProgress is Twilio's error 21220, "Invalid call state":
// the call being updated is no longer in progress.
const errCodeCallNotInProgress = 21220

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// apiError is the JSON body of a Twilio REST API error.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Reroute replaces the instructions of the call callSid with the TwiML of
// route: a POST of the form field Twiml to the Calls resource, authenticated
// with creds.AccountID and creds.AuthToken. An error response is returned as a
// *telephony.ProviderError, wrapped together with telephony.ErrCallEnded when
// Twilio reports error 21220 (the call is not in progress).
func (a *Adapter) Reroute(ctx context.Context, creds telephony.Credentials, callSid string, route telephony.Route) error {
	if creds.AccountID == "" || creds.AuthToken == "" {
		return errors.New("reroute Twilio call: the connection has no account SID or auth token")
	}
	if callSid == "" {
		return errors.New("reroute Twilio call: missing call SID")
	}

	twiml, err := a.renderRoute(route, true)
	if err != nil {
		return fmt.Errorf("reroute Twilio call %s: %w", callSid, err)
	}

	req, err := a.updateCallRequest(ctx, creds, callSid, twiml)
	if err != nil {
		return fmt.Errorf("reroute Twilio call %s: %w", callSid, err)
	}

	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("reroute Twilio call %s: %w", callSid, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	return fmt.Errorf("reroute Twilio call %s: %w", callSid, readAPIError(resp))
}

// updateCallRequest builds the POST to
// {base}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json.
func (a *Adapter) updateCallRequest(ctx context.Context, creds telephony.Credentials, callSid string, twiml []byte) (*http.Request, error) {
	base := a.opts.APIBaseURL
	if creds.APIBaseURL != "" {
		base = creds.APIBaseURL
	}
	endpoint := strings.TrimSuffix(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(creds.AccountID) +
		"/Calls/" + url.PathEscape(callSid) + ".json"

	form := url.Values{"Twiml": {string(twiml)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}

	req.SetBasicAuth(creds.AccountID, creds.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// readAPIError turns an error response into a *telephony.ProviderError.
func readAPIError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))

	providerErr := &telephony.ProviderError{
		Provider:   telephony.ProviderTwilio,
		StatusCode: resp.StatusCode,
		Message:    http.StatusText(resp.StatusCode),
	}

	var decoded apiError
	if err := json.Unmarshal(body, &decoded); err != nil || decoded.Message == "" {
		return providerErr
	}

	var details []string
	if decoded.Code != 0 {
		details = append(details, fmt.Sprintf("error %d", decoded.Code))
	}
	if decoded.MoreInfo != "" {
		details = append(details, decoded.MoreInfo)
	}
	providerErr.Message = decoded.Message
	if len(details) > 0 {
		providerErr.Message += " (" + strings.Join(details, ", ") + ")"
	}

	if decoded.Code == errCodeCallNotInProgress {
		return fmt.Errorf("%w: %w", telephony.ErrCallEnded, providerErr)
	}
	return providerErr
}
