// Package crmhttp contains the HTTP code the CRM connectors share. It sends
// a request, reads a JSON response with a size limit, and maps HTTP
// statuses onto the errors of package crm.
//
// Status mapping done by Do:
//
//	2xx             decoded into out
//	401, 403        *StatusError wrapping crm.ErrUnauthorized
//	429             *StatusError wrapping *crm.RateLimitedError (Retry-After parsed)
//	408, 5xx, 3xx   *StatusError wrapping crm.ErrUnavailable
//	other 4xx       *StatusError wrapping nothing, with the CRM's message
//
// Transport failures (refused connections, deadlines) and bodies that are
// too large or not valid JSON wrap crm.ErrUnavailable.
//
// A Pacer set on the context with WithPacer paces every request Do sends
// under that context, so a caller can hold a connection to a request rate
// whatever number of requests each connector operation takes.
package crmhttp

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
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

// MaxBodyBytes is the largest response body Do reads: 8 MiB. A larger body
// is an error wrapping crm.ErrUnavailable.
const MaxBodyBytes = 8 << 20

// maxErrorBodyBytes is the part of an error body kept for its message.
const maxErrorBodyBytes = 64 << 10

// Pacer holds each request until it may be sent. *rate.Limiter is one.
type Pacer interface {
	Wait(ctx context.Context) error
}

type pacerKey struct{}

// WithPacer returns a context under which Do waits on p before each request.
func WithPacer(ctx context.Context, p Pacer) context.Context {
	return context.WithValue(ctx, pacerKey{}, p)
}

// StatusError is a non-2xx response from a CRM. Errors.Is and errors.As see
// through it to the crm error it wraps (see the package comment), so
// callers test for crm.ErrUnauthorized or *crm.RateLimitedError and use
// StatusError only for details such as the status or the raw body.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the CRM's own error message, or the status text when the
	// body carried none.
	Message string
	// Body is the start of the response body, at most 64 KiB.
	Body []byte
	// Header is the response header.
	Header http.Header
	// Err is the crm error this status maps to. It is nil for a 4xx other
	// than 401, 403 and 429.
	Err error
}

func (e *StatusError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: HTTP %d: %s", e.Err, e.Status, e.Message)
	}
	return fmt.Sprintf("CRM request failed: HTTP %d: %s", e.Status, e.Message)
}

// Unwrap returns the crm error the status maps to.
func (e *StatusError) Unwrap() error { return e.Err }

// Do sends req with ctx through client, after waiting on the Pacer of ctx
// if it has one, and decodes a 2xx JSON response into out. A nil out
// discards the body. Other responses and failures are
// mapped as the package comment describes. A request that ctx cancels or
// times out returns an error wrapping both crm.ErrUnavailable and the
// context's error, so errors.Is finds context.DeadlineExceeded too.
func Do(ctx context.Context, client *http.Client, req *http.Request, out any) error {
	if p, ok := ctx.Value(pacerKey{}).(Pacer); ok {
		if err := p.Wait(ctx); err != nil {
			return fmt.Errorf("%w: waiting to send %s %s: %w", crm.ErrUnavailable, req.Method, redactedURL(req.URL), err)
		}
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		// *url.Error repeats the full URL with its query, so keep only its cause.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("%w: %s %s: %w", crm.ErrUnavailable, req.Method, redactedURL(req.URL), err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp, time.Now())
	}

	body, err := readLimited(resp.Body, MaxBodyBytes)
	if err != nil {
		return fmt.Errorf("%w: reading %s %s: %w", crm.ErrUnavailable, req.Method, redactedURL(req.URL), err)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: invalid JSON from %s %s: %w", crm.ErrUnavailable, req.Method, redactedURL(req.URL), err)
	}
	return nil
}

// NewJSONRequest builds a request whose body is body encoded as JSON. A nil
// body sends none. It sets Accept and, with a body, Content-Type.
func NewJSONRequest(ctx context.Context, method, rawURL string, body any) (*http.Request, error) {
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding request body: %w", err)
		}
		reader = bytes.NewReader(encoded)
	}

	req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// TrimAPIPath trims spaces and trailing slashes from base, then removes the
// first of suffixes that ends it, ignoring case. Connectors pass the API
// paths they add themselves, so that a base URL pasted with its API path
// does not send /api/v1/api/v1/... requests. List longer suffixes first.
func TrimAPIPath(base string, suffixes ...string) string {
	root := strings.TrimRight(strings.TrimSpace(base), "/")
	for _, suffix := range suffixes {
		cut := len(root) - len(suffix)
		if cut >= 0 && strings.EqualFold(root[cut:], suffix) {
			return strings.TrimRight(root[:cut], "/")
		}
	}
	return root
}

// Endpoint joins base (which may carry a path prefix) and path, and adds
// query when it is not empty.
func Endpoint(base, path string, query url.Values) (string, error) {
	parsed, err := url.Parse(strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return "", fmt.Errorf("invalid CRM base URL %q: %w", base, err)
	}
	if parsed.Scheme != "http" && parsed.Scheme != "https" {
		return "", fmt.Errorf("invalid CRM base URL %q: scheme must be http or https", base)
	}
	if len(query) > 0 {
		parsed.RawQuery = query.Encode()
	}
	return parsed.String(), nil
}

// RetryAfter parses a Retry-After header, given either as delta seconds or
// as an HTTP date, into the wait from now. It returns 0 when the header is
// missing, invalid or in the past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	value := strings.TrimSpace(h.Get("Retry-After"))
	if value == "" {
		return 0
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds <= 0 {
			return 0
		}
		return time.Duration(seconds) * time.Second
	}
	at, err := http.ParseTime(value)
	if err != nil || !at.After(now) {
		return 0
	}
	return at.Sub(now)
}

// statusError reads the error body of resp and maps its status.
func statusError(resp *http.Response, now time.Time) error {
	body, _ := readLimited(resp.Body, maxErrorBodyBytes)
	body = bytes.TrimSpace(body)

	statusErr := &StatusError{
		Status:  resp.StatusCode,
		Message: ErrorMessage(body),
		Body:    body,
		Header:  resp.Header,
	}
	if statusErr.Message == "" {
		statusErr.Message = http.StatusText(resp.StatusCode)
	}

	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		statusErr.Err = crm.ErrUnauthorized
	case resp.StatusCode == http.StatusTooManyRequests:
		statusErr.Err = &crm.RateLimitedError{RetryAfter: RetryAfter(resp.Header, now)}
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500, resp.StatusCode < 400:
		statusErr.Err = crm.ErrUnavailable
	}
	return statusErr
}

// ErrorMessage extracts the human-readable message from a CRM error body.
// It understands the shapes the supported CRMs use: {"message": …}
// (HubSpot), {"error": "…", "error_info": …} (Pipedrive),
// [{"message": …, "errorCode": …}] (Salesforce), {"error_description": …}
// (OAuth 2.0) and {"error": {"message": …}}. It returns "" when none
// applies.
func ErrorMessage(body []byte) string {
	var list []map[string]any
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		return messageOf(list[0])
	}

	var object map[string]any
	if json.Unmarshal(body, &object) == nil {
		return messageOf(object)
	}
	return ""
}

func messageOf(object map[string]any) string {
	for _, key := range []string{"message", "error_description", "error"} {
		switch value := object[key].(type) {
		case string:
			if value != "" {
				return value
			}
		case map[string]any:
			if message, ok := value["message"].(string); ok && message != "" {
				return message
			}
		}
	}
	return ""
}

// readLimited reads r up to limit bytes and fails when r holds more.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return body, err
	}
	if int64(len(body)) > limit {
		return body[:limit], fmt.Errorf("response body exceeds %d bytes", limit)
	}
	return body, nil
}

// redactedURL returns u without its query, which may carry an API token
// for CRMs that accept one there.
func redactedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	short := *u
	short.RawQuery = ""
	short.User = nil
	return short.String()
}

// IsStatus reports whether err is a *StatusError with the given status.
func IsStatus(err error, status int) bool {
	var statusErr *StatusError
	return errors.As(err, &statusErr) && statusErr.Status == status
}
