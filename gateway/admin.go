package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/web"
)

// adminPolicy is the Content-Security-Policy of every admin page: scripts,
// styles and images from the gateway alone, no inline code, forms posted
// to the gateway only, and no framing.
const adminPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// adminPage is the data of every admin template.
type adminPage struct {
	// Title is the page's heading and the start of its <title>.
	Title string
	// Section names the navigation entry to mark as current.
	Section   string
	User      store.User
	Workspace store.Workspace
	// CSRF is the token every form posts back as _csrf.
	CSRF string
	// Notice is a confirmation shown above the content, such as "Saved.".
	Notice string
	// Errors are the invalid fields of the last submission.
	Errors fieldErrors
	// Labels names fields the common table in adminFieldLabels cannot,
	// such as credentials, mapping rows and routing rules, by field name
	// or list entry (routing_rules[1]).
	Labels map[string]string
	// Failure is an error that belongs to no field, such as a CRM that
	// could not be reached.
	Failure string
	Data    any
}

// fieldErrors maps a field name, as the domain's validation.FieldError
// names it (such as routing_rules[1].when), to its reasons.
type fieldErrors struct {
	byName map[string][]string
	all    []validation.FieldError
	labels map[string]string
}

func newFieldErrors(list []validation.FieldError, labels map[string]string) fieldErrors {
	fe := fieldErrors{byName: map[string][]string{}, all: list, labels: labels}
	for _, f := range list {
		fe.byName[f.Field] = append(fe.byName[f.Field], f.Reason)
	}
	return fe
}

// For returns the reasons field is invalid, joined, or "".
func (fe fieldErrors) For(field string) string { return strings.Join(fe.byName[field], "; ") }

// Has reports whether field is invalid.
func (fe fieldErrors) Has(field string) bool { return len(fe.byName[field]) > 0 }

// All returns every field error in the order the domain reported them.
func (fe fieldErrors) All() []validation.FieldError { return fe.all }

// Label returns the form's label of field, for the error summary.
func (fe fieldErrors) Label(field string) string { return adminFieldLabel(field, fe.labels) }

// adminTemplates holds one parsed template set per page.
var adminTemplates = sync.OnceValue(parseAdminTemplates)

// adminFuncs are the functions the admin templates call.
var adminFuncs = template.FuncMap{
	"dict":        templateDict,
	"fieldID":     fieldID,
	"json":        prettyJSON,
	"time":        formatAdminTime,
	"join":        strings.Join,
	"add":         func(a, b int) int { return a + b },
	"contains":    slices.Contains[[]string],
	"contactName": contactName,
}

// parseAdminTemplates parses each page with the layout and the partials
// (files named _*.html). A template that does not parse panics at the
// first request, and TestAdminTemplatesParse catches it before then.
func parseAdminTemplates() map[string]*template.Template {
	root := web.AdminTemplates()
	names, err := fs.Glob(root, "*.html")
	if err != nil {
		panic(err)
	}
	shared := []string{"layout.html"}
	partials, _ := fs.Glob(root, "_*.html")
	shared = append(shared, partials...)

	pages := map[string]*template.Template{}
	for _, name := range names {
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		files := append(append([]string{}, shared...), name)
		pages[name] = template.Must(template.New(name).Funcs(adminFuncs).ParseFS(root, files...))
	}
	return pages
}

// renderAdmin writes the page template name with page as its data, under
// the admin pages' security headers.
func (s *Server) renderAdmin(c echo.Context, status int, name string, page *adminPage) error {
	t, ok := adminTemplates()[name]
	if !ok {
		return fmt.Errorf("admin template %q does not exist", name)
	}
	if page.User.ID == "" {
		if u, ok := c.Get(ctxAdminUser).(store.User); ok {
			page.User = u
		}
	}
	if w, ok := c.Get(ctxAdminWorkspace).(store.Workspace); ok && page.Workspace.ID == "" {
		page.Workspace = w
	}
	if token, ok := c.Get(adminCSRFContextKey).(string); ok {
		page.CSRF = token
	}
	if page.Notice == "" {
		page.Notice = adminNotices[c.QueryParam("notice")]
	}

	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", page); err != nil {
		return fmt.Errorf("render admin template %s: %w", name, err)
	}
	setAdminHeaders(c)
	return c.HTMLBlob(status, buf.Bytes())
}

func setAdminHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", adminPolicy)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// adminNotices are the confirmations a redirect can ask for with
// ?notice=KEY. Only these texts are ever shown, so a link cannot put words
// on an admin page.
var adminNotices = map[string]string{
	"created":            "Created.",
	"saved":              "Saved.",
	"deleted":            "Deleted.",
	"authorized":         "The CRM granted access. Test the connection, then map its fields.",
	"sync":               "A sync run is queued. Its result appears in the history below when it ends.",
	"revoked":            "The API key is revoked. Requests with it now get 401.",
	"signed-out":         "You are signed out.",
	"session-ended":      "Your session has ended. Sign in again to go back to the page.",
	"session-ended-form": "Your session ended before the form was sent, so nothing was saved. Sign in again to go back to the form.",
	"log-retried":        "The log is queued for the CRM again. Its state below updates when the CRM answers.",
	"log-skipped":        "The log is skipped: this call is not written to the CRM.",
	"logs-retried":       "Every failed log is queued for the CRM again. They show here as pending until the CRM answers.",
}

// renderAdminForm renders a form page again after a failed submission:
// field errors beside their fields and any other error as a failure. An
// error that is neither a validation error nor a known problem is returned
// for the error page.
func (s *Server) renderAdminForm(c echo.Context, name string, page *adminPage, err error) error {
	var verr *validation.Error
	if errors.As(err, &verr) {
		page.Errors = newFieldErrors(verr.Fields, page.Labels)
		return s.renderAdmin(c, http.StatusUnprocessableEntity, name, page)
	}

	p := s.toProblem(err)
	if p.Status >= 500 && !isUpstreamProblem(p) {
		return err
	}
	page.Failure = p.Detail
	return s.renderAdmin(c, p.Status, name, page)
}

// isUpstreamProblem reports whether p is a failure of a CRM or provider,
// which an admin can act on, rather than of the gateway.
func isUpstreamProblem(p *Problem) bool {
	return p.Status == http.StatusBadGateway || p.Status == http.StatusGatewayTimeout ||
		p.Status == http.StatusServiceUnavailable
}

// adminErrors renders an error page for any error an admin handler
// returns, and logs it as the API's error handler does.
func (s *Server) adminErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		p := s.toProblem(err)
		fields := append(requestFields(c), zap.Int("status", p.Status))
		if p.Status >= 500 {
			s.log.Error("admin request failed", append(fields, zap.Error(err))...)
		} else {
			s.log.Warn("admin request rejected", append(fields, zap.String("problem", p.Type), zap.String("detail", p.Detail))...)
		}
		page := &adminPage{Title: p.Title, Data: map[string]string{"Detail": p.Detail, "RequestID": requestID(c)}}
		return s.renderAdmin(c, p.Status, "error.html", page)
	}
}

// adminRedirect sends the browser to path with a 303, so a reload after a
// posted form does not post it again. htmx requests get HX-Redirect, which
// htmx follows with a full page load.
func adminRedirect(c echo.Context, path string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", path)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// fieldIDUnsafe matches the characters of a field name that an HTML id
// should not carry.
var fieldIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// fieldID returns the id of the input for a field name such as
// routing_rules[1].when: "f-routing_rules-1-when".
func fieldID(name string) string {
	return "f-" + strings.Trim(fieldIDUnsafe.ReplaceAllString(name, "-"), "-")
}

// templateDict builds a map from name, value pairs, so a template can
// pass several values to a partial.
func templateDict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict needs name, value pairs, got %d arguments", len(pairs))
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: argument %d is %T, not a name", i, pairs[i])
		}
		m[name] = pairs[i+1]
	}
	return m, nil
}

// prettyJSON indents a JSON document, or any value encoded as JSON, for a
// <pre> block.
func prettyJSON(v any) string {
	var raw []byte
	switch d := v.(type) {
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		encoded, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("(not JSON: %v)", err)
		}
		raw = encoded
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return string(raw)
	}
	return out.String()
}

// formatAdminTime shows a time in UTC to the second, the way the pages
// read every time.
func formatAdminTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "–"
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	case store.UnixMilli:
		return formatAdminTime(v.Time)
	case *store.UnixMilli:
		if v == nil {
			return "–"
		}
		return formatAdminTime(v.Time)
	case *time.Time:
		if v == nil {
			return "–"
		}
		return formatAdminTime(*v)
	}
	return fmt.Sprint(t)
}
