package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// ProblemContentType is the media type of RFC 9457 problem documents.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document. Type is a relative URI that
// resolves to /problems/{slug} on the gateway, which describes it.
type Problem struct {
	Type          string                  `json:"type"`
	Title         string                  `json:"title"`
	Status        int                     `json:"status"`
	Detail        string                  `json:"detail,omitempty"`
	Instance      string                  `json:"instance,omitempty"`
	RequestID     string                  `json:"request_id,omitempty"`
	InvalidParams []validation.FieldError `json:"invalid_params,omitempty"`

	// OAuthError and OAuthErrorDescription carry the RFC 6749 error code on
	// token endpoint errors, so OAuth client libraries read them.
	OAuthError            string `json:"error,omitempty"`
	OAuthErrorDescription string `json:"error_description,omitempty"`
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

// problemType describes one kind of problem.
type problemType struct {
	Slug   string
	Title  string
	Status int
	About  string
}

// problemTypes lists every problem the API returns, by slug.
var problemTypes = map[string]problemType{}

func defineProblem(slug string, status int, title, about string) problemType {
	pt := problemType{Slug: slug, Title: title, Status: status, About: about}
	problemTypes[slug] = pt
	return pt
}

// Problem kinds.
var (
	probMalformed    = defineProblem("malformed-request", 400, "Malformed request", "The request body or a parameter could not be read: broken JSON, a bad cursor, or a value of the wrong form.")
	probUnauthorized = defineProblem("unauthorized", 401, "Unauthorized", "The request has no credential, or the API key or access token is invalid, expired or revoked. Send `Authorization: Bearer <key or token>`.")
	probForbidden    = defineProblem("forbidden", 403, "Forbidden", "The credential is valid but lacks the scope this operation needs, or a webhook signature did not verify.")
	probNotFound     = defineProblem("not-found", 404, "Not found", "No such object in your workspace, or no such route.")
	probMethod       = defineProblem("method-not-allowed", 405, "Method not allowed", "The route exists but does not accept this HTTP method.")
	probConflict     = defineProblem("conflict", 409, "Conflict", "The request conflicts with the current state, such as a duplicate external_id in a phonebook or deleting a phonebook that still has contacts.")
	probTooLarge     = defineProblem("payload-too-large", 413, "Payload too large", "The request body is larger than the limit for this endpoint.")
	probMediaType    = defineProblem("unsupported-media-type", 415, "Unsupported media type", "The request body's Content-Type is not one this endpoint accepts.")
	probValidation   = defineProblem("validation-failed", 422, "Validation failed", "The body was read but some fields are invalid; invalid_params names each one with the reason.")
	probRateLimited  = defineProblem("rate-limited", 429, "Too many requests", "The credential sent more requests than its rate limit allows; wait for the seconds in Retry-After.")
	probInternal     = defineProblem("internal-error", 500, "Internal server error", "Something failed inside the gateway. It is logged with the request id; no internals are shown.")
	probUnavailable  = defineProblem("service-unavailable", 503, "Service unavailable", "A dependency such as the database is not reachable.")
	probBadSignature = defineProblem("invalid-signature", 403, "Invalid webhook signature", "The webhook signature, token or timestamp did not verify for this connection. Nothing was stored.")
	probOAuthRequest = defineProblem("oauth-invalid-request", 400, "Invalid token request", "The token request is missing a parameter or uses an unsupported grant type (RFC 6749 section 5.2).")
	probOAuthClient  = defineProblem("oauth-invalid-client", 401, "Invalid client", "The client id or secret is wrong, or the key is revoked (RFC 6749 section 5.2).")
	probProvider     = defineProblem("provider-error", 502, "Telephony provider error", "The telephony provider's API rejected the request or could not be reached; detail carries the provider's message.")
)

func newProblem(pt problemType, detail string, args ...any) *Problem {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &Problem{Type: "/problems/" + pt.Slug, Title: pt.Title, Status: pt.Status, Detail: detail}
}

// errorHandler turns any error a handler returns into a problem response
// and logs it: 5xx at error level with the cause, 4xx at warn level.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.toProblem(err)
	p.Instance = c.Request().URL.Path
	p.RequestID = requestID(c)

	fields := append(requestFields(c), zap.Int("status", p.Status))
	switch {
	case p.Status >= 500:
		s.log.Error("request failed", append(fields, zap.Error(err))...)
	case p.Status == http.StatusTooManyRequests:
		// A client over its limit sends many requests in a burst; the
		// request metrics count them, one debug line each is enough.
		s.log.Debug("request rate limited", fields...)
	default:
		s.log.Warn("request rejected", append(fields, zap.String("problem", p.Type), zap.String("detail", p.Detail))...)
	}

	if p.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "5")
	}
	if p.Status == http.StatusTooManyRequests {
		if retry, ok := errorRetryAfter(err); ok {
			c.Response().Header().Set("Retry-After", retry)
		}
	}
	writeProblem(c, p)
}

func writeProblem(c echo.Context, p *Problem) {
	c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
	if c.Request().Method == http.MethodHead {
		c.Response().WriteHeader(p.Status)
		return
	}
	c.JSON(p.Status, p)
}

// toProblem maps domain and echo errors to problems. Unknown errors become
// a 500 whose detail reveals nothing.
func (s *Server) toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		cp := *p
		return &cp
	}

	var verr *validation.Error
	if errors.As(err, &verr) {
		prob := newProblem(probValidation, "%s; invalid_params names each with the reason.", countFields(len(verr.Fields)))
		prob.InvalidParams = verr.Fields
		return prob
	}

	var rl *errRateLimited
	if errors.As(err, &rl) {
		return newProblem(probRateLimited, "This credential is over its rate limit; retry after %d second(s).", rl.retryAfter)
	}

	var he *echo.HTTPError
	if errors.As(err, &he) {
		return httpErrorProblem(he)
	}

	if tp := telephonyProblem(err); tp != nil {
		return tp
	}

	switch {
	case store.IsUnavailable(err):
		return newProblem(probUnavailable, "The database is unavailable; try again in a few seconds.")
	case errors.Is(err, store.ErrNotFound):
		return newProblem(probNotFound, "Not found: %s.", strings.TrimSuffix(err.Error(), ": "+store.ErrNotFound.Error()))
	case errors.Is(err, store.ErrConflict):
		return newProblem(probConflict, "Conflict: %s.", strings.TrimSuffix(err.Error(), ": "+store.ErrConflict.Error()))
	}
	return newProblem(probInternal, "The request failed inside the gateway; quote the request id when you report it.")
}

func httpErrorProblem(he *echo.HTTPError) *Problem {
	switch he.Code {
	case http.StatusNotFound:
		return newProblem(probNotFound, "No route matches this path.")
	case http.StatusMethodNotAllowed:
		return newProblem(probMethod, "This route does not accept the method used.")
	case http.StatusRequestEntityTooLarge:
		return newProblem(probTooLarge, "The request body is over the size limit.")
	case http.StatusUnsupportedMediaType:
		return newProblem(probMediaType, "%v", he.Message)
	case http.StatusUnauthorized:
		return newProblem(probUnauthorized, "%v", he.Message)
	case http.StatusTooManyRequests:
		return newProblem(probRateLimited, "Rate limit exceeded.")
	case http.StatusServiceUnavailable:
		return newProblem(probUnavailable, "%v", he.Message)
	}
	if he.Code >= 500 {
		return newProblem(probInternal, "The request failed inside the gateway; quote the request id when you report it.")
	}
	return newProblem(probMalformed, "%v", he.Message)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func countFields(n int) string {
	if n == 1 {
		return "1 field is invalid"
	}
	return fmt.Sprintf("%d fields are invalid", n)
}
