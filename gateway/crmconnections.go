package gateway

import (
	"context"
	"errors"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/mapping"
)

// CRMCallbackPath is the path CRMs send the admin's browser back to after
// an OAuth consent. Register {public base URL}/oauth/callback/crm as the
// redirect URL of the OAuth app at the CRM.
const CRMCallbackPath = "/oauth/callback/crm"

// CRM problems. A CRM that rejects the stored credentials is a 502, not a
// 401 or 403, because the client's own credential was fine: the gateway
// acted for it and the CRM refused the gateway.
var (
	probCRMNotAuthorized = defineProblem("crm-not-authorized", 409, "CRM connection not authorized", "The OAuth connection has no tokens yet: get an authorize_url from GET /v1/crm-connections/{id}/oauth/authorize and approve the access at the CRM.")
	probCRMRejected      = defineProblem("crm-credentials-rejected", 502, "CRM rejected the credentials", "The CRM answered 401 or 403 to the connection's stored token, or refused its OAuth refresh token. Update the token, or authorize the connection again.")
	probCRMRateLimited   = defineProblem("crm-rate-limited", 503, "CRM rate limit reached", "The CRM's rate limit for this connection is reached; retry after the seconds in Retry-After.")
	probCRMUnavailable   = defineProblem("crm-unavailable", 502, "CRM unavailable", "The CRM could not be reached, answered with a server error, or sent a body that could not be read.")
	probCRMTimeout       = defineProblem("crm-timeout", 504, "CRM timed out", "The CRM did not answer in time.")
	probCRMRequest       = defineProblem("crm-request-failed", 502, "CRM request failed", "The CRM rejected a request of the gateway; detail carries the CRM's message.")
	probCRMAuthorization = defineProblem("crm-authorization-failed", 400, "CRM authorization failed", "The CRM denied the consent, or its token endpoint rejected the authorization code or the OAuth client; detail carries the CRM's error code.")
	probOAuthState       = defineProblem("oauth-invalid-state", 400, "Invalid OAuth state", "The state parameter of the OAuth callback is altered, expired or from another deployment; start again at GET /v1/crm-connections/{id}/oauth/authorize.")
)

// crmConnectionView is a CRM connection as the API shows it. Auth shows
// which secrets are set, never a secret.
type crmConnectionView struct {
	ID                  string              `json:"id"`
	Kind                string              `json:"kind"`
	Name                string              `json:"name"`
	BaseURL             string              `json:"base_url"`
	Auth                crmconn.AuthSummary `json:"auth"`
	Settings            crmconn.Settings    `json:"settings"`
	PhonebookID         *string             `json:"phonebook_id"`
	SyncEnabled         bool                `json:"sync_enabled"`
	SyncIntervalSeconds int                 `json:"sync_interval_seconds"`
	MappingIsDefault    bool                `json:"mapping_is_default"`
	CreatedAt           string              `json:"created_at"`
	UpdatedAt           string              `json:"updated_at"`
}

func viewCRMConnection(c crmconn.Connection) crmConnectionView {
	v := crmConnectionView{
		ID:                  c.ID,
		Kind:                string(c.Kind),
		Name:                c.Name,
		BaseURL:             c.BaseURL,
		Auth:                crmconn.Summarize(c.Kind, c.Auth),
		Settings:            c.Settings,
		SyncEnabled:         c.SyncEnabled,
		SyncIntervalSeconds: c.SyncIntervalSeconds,
		MappingIsDefault:    c.Mapping == nil,
		CreatedAt:           formatTime(c.CreatedAt),
		UpdatedAt:           formatTime(c.UpdatedAt),
	}
	if c.PhonebookID != "" {
		v.PhonebookID = &c.PhonebookID
	}
	return v
}

// mappingView is a connection's field mapping.
type mappingView struct {
	Fields []mapping.FieldMapping `json:"fields"`
	// IsDefault is true while the connection uses its kind's default
	// mapping.
	IsDefault bool `json:"is_default"`
}

// crmRecordView is a CRM record as a preview shows it.
type crmRecordView struct {
	ID         string         `json:"id"`
	Object     string         `json:"object"`
	Properties map[string]any `json:"properties"`
	OwnerID    string         `json:"owner_id"`
	OwnerName  string         `json:"owner_name"`
	OwnerEmail string         `json:"owner_email"`
	URL        string         `json:"url"`
	UpdatedAt  *string        `json:"updated_at"`
	Archived   bool           `json:"archived"`
}

func viewCRMRecord(r crm.Record) crmRecordView {
	v := crmRecordView{
		ID: r.ID, Object: r.Object, Properties: r.Properties, OwnerID: r.OwnerID, OwnerName: r.OwnerName,
		OwnerEmail: r.OwnerEmail, URL: r.URL, Archived: r.Archived,
	}
	if v.Properties == nil {
		v.Properties = map[string]any{}
	}
	if !r.UpdatedAt.IsZero() {
		updated := formatTime(r.UpdatedAt)
		v.UpdatedAt = &updated
	}
	return v
}

type mappingPreviewView struct {
	Record        crmRecordView          `json:"record"`
	Contact       directory.ContactInput `json:"contact"`
	Mapping       mappingView            `json:"mapping"`
	MappingSource string                 `json:"mapping_source"`
}

type authorizeView struct {
	AuthorizeURL string `json:"authorize_url"`
	RedirectURI  string `json:"redirect_uri"`
	ExpiresAt    string `json:"expires_at"`
}

// crmConnections returns the CRM connection service, which New builds
// when Deps has none and a keyring is set.
func (s *Server) crmConnections() (*crmconn.Service, error) {
	if s.crmConns == nil {
		return nil, newProblem(probUnavailable, "CRM connections are not configured on this gateway.")
	}
	return s.crmConns, nil
}

// crmConnectionOf returns the CRM connection service and the connection
// that the path parameter id names in the caller's workspace.
func (s *Server) crmConnectionOf(c echo.Context) (*crmconn.Service, crmconn.Connection, error) {
	svc, err := s.crmConnections()
	if err != nil {
		return nil, crmconn.Connection{}, err
	}
	conn, err := svc.Get(c.Request().Context(), principalOf(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return nil, crmconn.Connection{}, err
	}
	return svc, conn, nil
}

// listCRMConnections lists every CRM connection of the workspace, oldest
// first, in one page: a workspace has a handful.
func (s *Server) listCRMConnections(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	list, err := svc.List(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]crmConnectionView, len(list))
	for i, conn := range list {
		views[i] = viewCRMConnection(conn)
	}
	return c.JSON(http.StatusOK, listResponse[crmConnectionView]{Data: views})
}

func (s *Server) createCRMConnection(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	var in crmconn.Input
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}

	conn, err := svc.Create(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/crm-connections/"+conn.ID)
	return c.JSON(http.StatusCreated, viewCRMConnection(conn))
}

func (s *Server) getCRMConnection(c echo.Context) error {
	_, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCRMConnection(conn))
}

// updateCRMConnection changes the fields the body names; settings replace
// the stored settings, and auth merges as crmconn.Patch describes.
func (s *Server) updateCRMConnection(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	var patch crmconn.Patch
	if err := s.decodeJSON(c, &patch); err != nil {
		return err
	}

	conn, err := svc.Update(c.Request().Context(), p.WorkspaceID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCRMConnection(conn))
}

// deleteCRMConnection deletes the connection and its sync history. Its
// phonebook and contacts stay.
func (s *Server) deleteCRMConnection(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	if err := svc.Delete(c.Request().Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// testCRMConnection checks the stored credentials at the CRM and reports
// what they allow.
func (s *Server) testCRMConnection(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	capabilities, err := svc.Test(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return crmProblem(c, err)
	}
	if capabilities.Scopes == nil {
		capabilities.Scopes = []string{}
	}
	if capabilities.Notes == nil {
		capabilities.Notes = []string{}
	}
	return c.JSON(http.StatusOK, capabilities)
}

// listCRMFields lists the CRM's fields, live, for writing a mapping.
func (s *Server) listCRMFields(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	fields, err := svc.Fields(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return crmProblem(c, err)
	}
	if fields == nil {
		fields = []crm.Field{}
	}
	return c.JSON(http.StatusOK, listResponse[crm.Field]{Data: fields})
}

func (s *Server) getCRMMapping(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	m, isDefault, err := svc.Mapping(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, mappingView{Fields: m.Fields, IsDefault: isDefault})
}

// putCRMMapping replaces the mapping after checking it against the fields
// the CRM lists now.
func (s *Server) putCRMMapping(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	var m mapping.Mapping
	if err := s.decodeJSON(c, &m); err != nil {
		return err
	}

	conn, err := svc.SetMapping(c.Request().Context(), p.WorkspaceID, c.Param("id"), m)
	if err != nil {
		return crmProblem(c, err)
	}
	return c.JSON(http.StatusOK, mappingView{Fields: conn.EffectiveMapping().Fields, IsDefault: false})
}

// previewCRMMapping maps a record, from the body or sampled from the CRM,
// with the mapping in the body or the connection's own. The body may be
// left out.
func (s *Server) previewCRMMapping(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	var in crmconn.PreviewInput
	if err := s.decodeOptionalJSON(c, &in); err != nil {
		return err
	}

	preview, err := svc.Preview(c.Request().Context(), p.WorkspaceID, c.Param("id"), in)
	if err != nil {
		return crmProblem(c, err)
	}
	return c.JSON(http.StatusOK, mappingPreviewView{
		Record:        viewCRMRecord(preview.Record),
		Contact:       preview.Contact,
		Mapping:       mappingView{Fields: preview.Mapping.Fields, IsDefault: preview.MappingSource == "default"},
		MappingSource: preview.MappingSource,
	})
}

// authorizeCRMConnection returns the CRM's consent page for an OAuth
// connection. redirect_uri defaults to the gateway's own callback.
func (s *Server) authorizeCRMConnection(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}
	redirect := c.QueryParam("redirect_uri")
	if redirect == "" {
		redirect = s.cfg.PublicBaseURL + CRMCallbackPath
	}

	authorizeURL, err := svc.AuthorizeURL(c.Request().Context(), p.WorkspaceID, c.Param("id"), redirect)
	if err != nil {
		return crmProblem(c, err)
	}
	return c.JSON(http.StatusOK, authorizeView{
		AuthorizeURL: authorizeURL,
		RedirectURI:  redirect,
		ExpiresAt:    formatTime(time.Now().Add(crmconn.StateTTL)),
	})
}

// crmCallbackPage is the page a browser lands on after the consent.
var crmCallbackPage = template.Must(template.New("callback").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>CRM connection authorized</title></head>
<body>
<h1>CRM connection authorized</h1>
<p>Switchboard can now use the {{.Kind}} connection “{{.Name}}” ({{.ID}}). You can close this window.</p>
</body>
</html>
`))

// completeCRMAuthorization is the OAuth redirect target. It takes no API
// credential: the signed state names the workspace and connection. A
// browser gets a small HTML page, a client that accepts JSON the
// connection.
func (s *Server) completeCRMAuthorization(c echo.Context) error {
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}
	if code := c.QueryParam("error"); code != "" {
		return newProblem(probCRMAuthorization, "The CRM did not grant access: %s%s.", code, describe(c.QueryParam("error_description")))
	}

	conn, err := svc.CompleteAuthorization(c.Request().Context(), c.QueryParam("state"), c.QueryParam("code"), "")
	if err != nil {
		return crmProblem(c, err)
	}

	if prefersJSON(c.Request()) {
		return c.JSON(http.StatusOK, viewCRMConnection(conn))
	}
	// An admin who started the consent in the admin UI goes back to the
	// connection's page there.
	if s.adminSessionWorkspace(c) == conn.WorkspaceID {
		return c.Redirect(http.StatusSeeOther, "/admin/crm/"+conn.ID+"?notice=authorized")
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return crmCallbackPage.Execute(c.Response(), conn)
}

func describe(description string) string {
	if description == "" {
		return ""
	}
	return " (" + description + ")"
}

// prefersJSON reports whether the request's Accept header names
// application/json and not text/html.
func prefersJSON(r *http.Request) bool {
	accept := r.Header.Get(echo.HeaderAccept)
	return containsMediaType(accept, echo.MIMEApplicationJSON) && !containsMediaType(accept, echo.MIMETextHTML)
}

func containsMediaType(accept, mediaType string) bool {
	for _, part := range strings.Split(accept, ",") {
		name, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(name), mediaType) {
			return true
		}
	}
	return false
}

// crmProblem maps the errors of CRM calls and OAuth onto problems, and sets
// Retry-After on a CRM rate limit. Other errors are returned as they are.
// Token errors reach here wrapped in crm.ErrUnavailable too, so the
// credential cases are tested first.
func crmProblem(c echo.Context, err error) error {
	var rateLimited *crm.RateLimitedError
	var authErr *crmconn.AuthorizationError
	var statusErr *crmhttp.StatusError
	switch {
	case errors.Is(err, crmconn.ErrNotAuthorized):
		return newProblem(probCRMNotAuthorized, "%s.", capitalise(err.Error()))
	case errors.Is(err, crmconn.ErrNotOAuth):
		return newProblem(probConflict, "%s: OAuth authorization applies to oauth2 connections only.", capitalise(err.Error()))
	case errors.Is(err, crmconn.ErrInvalidState):
		return newProblem(probOAuthState, "%s.", capitalise(err.Error()))
	case errors.Is(err, crm.ErrUnauthorized):
		// Before AuthorizationError: a rejected refresh token is both, and
		// it is the stored credentials that failed.
		return newProblem(probCRMRejected, "%s. Update the token, or authorize the connection again.", capitalise(err.Error()))
	case errors.As(err, &authErr):
		return newProblem(probCRMAuthorization, "%s. Check the client id and secret, then start again at the authorize URL.", capitalise(authErr.Error()))
	case errors.As(err, &rateLimited):
		seconds := max(1, int(math.Ceil(rateLimited.RetryAfter.Seconds())))
		c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
		return newProblem(probCRMRateLimited, "The CRM's rate limit is reached; retry after %d second(s).", seconds)
	case errors.Is(err, crm.ErrUnavailable) && errors.Is(err, context.DeadlineExceeded):
		return newProblem(probCRMTimeout, "The CRM did not answer in time; try again later.")
	case errors.Is(err, crm.ErrUnavailable):
		return newProblem(probCRMUnavailable, "%s.", capitalise(err.Error()))
	case errors.Is(err, crm.ErrNoSample):
		return newProblem(probConflict, "The CRM has no record to preview the mapping with; add one, or send a record in the body.")
	case errors.As(err, &statusErr):
		return newProblem(probCRMRequest, "The CRM answered HTTP %d: %s.", statusErr.Status, statusErr.Message)
	}
	return err
}
