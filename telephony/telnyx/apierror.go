package telnyx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/switchboard-oss/switchboard/telephony"
)

// maxErrorBody is how much of an API response body is read, in bytes.
const maxErrorBody = 64 << 10

// codeCallEnded is the Telnyx error code for a command on a call that has
// already ended.
const codeCallEnded = "90018"

// errorBody is the Telnyx API error document.
type errorBody struct {
	Errors []struct {
		Code   errorCode `json:"code"`
		Title  string    `json:"title"`
		Detail string    `json:"detail"`
	} `json:"errors"`
}

// errorCode accepts an error code sent as a JSON string or number.
type errorCode string

// UnmarshalJSON stores a string code as is and a number code as its digits.
func (c *errorCode) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		*c = errorCode(text)
		return nil
	}
	*c = errorCode(bytes.TrimSpace(data))
	return nil
}

// apiError turns a non-2xx response into a *telephony.ProviderError, wrapped
// together with telephony.ErrCallEnded when Telnyx reports the call ended.
func apiError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	providerErr := &telephony.ProviderError{Provider: telephony.ProviderTelnyx, StatusCode: resp.StatusCode}

	var body errorBody
	if err := json.Unmarshal(raw, &body); err != nil || len(body.Errors) == 0 {
		providerErr.Message = strings.TrimSpace(string(raw))
		if providerErr.Message == "" {
			providerErr.Message = http.StatusText(resp.StatusCode)
		}
		return providerErr
	}

	var messages []string
	callEnded := false
	for _, e := range body.Errors {
		messages = append(messages, describe(string(e.Code), e.Title, e.Detail))
		text := strings.ToLower(e.Title + " " + e.Detail)
		if e.Code == codeCallEnded || strings.Contains(text, "already ended") {
			callEnded = true
		}
	}
	providerErr.Message = strings.Join(messages, "; ")

	if callEnded {
		return fmt.Errorf("%w: %w", telephony.ErrCallEnded, providerErr)
	}
	return providerErr
}

// describe formats one Telnyx error as "title: detail (code N)".
func describe(code, title, detail string) string {
	text := title
	if detail != "" && detail != title {
		if text != "" {
			text += ": "
		}
		text += detail
	}
	if code != "" {
		text += " (code " + code + ")"
	}
	return strings.TrimSpace(text)
}
