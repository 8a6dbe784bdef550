package vonage

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
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/switchboard-oss/switchboard/telephony"
)

// applicationTokenLifetime is how long the JWT of one REST call is valid.
const applicationTokenLifetime = 5 * time.Minute

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// modifyCall is the body of PUT /v1/calls/{uuid}: a transfer to an inline
// NCCO, or a hangup.
type modifyCall struct {
	Action      string       `json:"action"`
	Destination *destination `json:"destination,omitempty"`
}

type destination struct {
	Type string `json:"type"`
	NCCO []any  `json:"ncco"`
}

// apiError is the JSON body of a Voice API error. Newer responses use the
// RFC 7807 fields, and older ones carry error_title.
type apiError struct {
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	ErrorTitle string `json:"error_title"`
}

// Reroute transfers the call leg callUUID to the NCCO of route, or hangs it
// up for a hangup route, through PUT {base}/v1/calls/{uuid}. The request is
// authenticated with an RS256 JWT for the application in creds.APIKey,
// signed with the private key in creds.AuthToken. A phone endpoint gets
// randomFromNumber, because the Vonage number that was called is not known
// here. An error response is returned as a *telephony.ProviderError, wrapped
// together with telephony.ErrCallEnded for 404 Not Found.
//
// NOTE: Vonage answers 404 both for a leg that has ended and for an unknown
// uuid; both count as ended here.
func (a *Adapter) Reroute(ctx context.Context, creds telephony.Credentials, callUUID string, route telephony.Route) error {
	if creds.APIKey == "" || creds.AuthToken == "" {
		return errors.New("reroute Vonage call: the connection has no application ID or private key")
	}
	if callUUID == "" {
		return errors.New("reroute Vonage call: missing call uuid")
	}

	body, err := a.modifyCallBody(route)
	if err != nil {
		return fmt.Errorf("reroute Vonage call %s: %w", callUUID, err)
	}

	token, err := applicationToken(creds.APIKey, creds.AuthToken, a.now())
	if err != nil {
		return fmt.Errorf("reroute Vonage call %s: %w", callUUID, err)
	}

	resp, err := a.sendModifyCall(ctx, creds, callUUID, token, body)
	if err != nil {
		return fmt.Errorf("reroute Vonage call %s: %w", callUUID, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	return fmt.Errorf("reroute Vonage call %s: %w", callUUID, readAPIError(resp))
}

// modifyCallBody returns the JSON body for route.
func (a *Adapter) modifyCallBody(route telephony.Route) ([]byte, error) {
	request := modifyCall{Action: "hangup"}
	if route.Kind != telephony.TargetHangup {
		ncco, err := a.renderRoute(route, "")
		if err != nil {
			return nil, err
		}
		request = modifyCall{Action: "transfer", Destination: &destination{Type: "ncco", NCCO: ncco}}
	}
	return json.Marshal(request)
}

func (a *Adapter) sendModifyCall(ctx context.Context, creds telephony.Credentials, callUUID, token string, body []byte) (*http.Response, error) {
	base := a.opts.APIBaseURL
	if creds.APIBaseURL != "" {
		base = creds.APIBaseURL
	}
	endpoint := strings.TrimSuffix(base, "/") + "/v1/calls/" + url.PathEscape(callUUID)

	req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	return a.opts.HTTPClient.Do(req)
}

// applicationToken returns the JWT that authenticates one REST call of the
// application: RS256 over application_id, iat, exp and a unique jti.
func applicationToken(applicationID, privateKeyPEM string, now time.Time) (string, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(privateKeyPEM))
	if err != nil {
		return "", fmt.Errorf("invalid application private key: %w", err)
	}

	claims := jwt.MapClaims{
		"application_id": applicationID,
		"iat":            now.Unix(),
		"exp":            now.Add(applicationTokenLifetime).Unix(),
		"jti":            uuid.NewString(),
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
}

// readAPIError turns an error response into a *telephony.ProviderError.
func readAPIError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))

	providerErr := &telephony.ProviderError{
		Provider:   telephony.ProviderVonage,
		StatusCode: resp.StatusCode,
		Message:    http.StatusText(resp.StatusCode),
	}

	var decoded apiError
	if err := json.Unmarshal(body, &decoded); err == nil {
		title := firstNonEmpty(decoded.Title, decoded.ErrorTitle)
		switch {
		case title != "" && decoded.Detail != "":
			providerErr.Message = title + ": " + decoded.Detail
		case title != "":
			providerErr.Message = title
		}
	}

	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", telephony.ErrCallEnded, providerErr)
	}
	return providerErr
}
