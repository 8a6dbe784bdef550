package gateway

import (
	"bytes"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/web"
)

var adminStaticFiles = sync.OnceValue(func() map[string]staticFile {
	return loadStaticFiles(web.AdminStatic(), "admin UI")
})

// serveAdminStatic serves the admin UI's stylesheet and scripts. They need
// no session: they hold nothing of any workspace.
func (s *Server) serveAdminStatic(c echo.Context) error {
	f, ok := adminStaticFiles()[c.Param("*")]
	if !ok {
		return newProblem(probNotFound, "No file %q in the admin UI assets.", c.Param("*"))
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

// adminBodyLimit caps request bodies of the admin pages at limit bytes
// before any form is parsed. A larger body gets 413 when it declares its
// length, and otherwise fails to parse.
func (s *Server) adminBodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return newProblem(probTooLarge, "The form is over the limit of %s.", byteSize(limit))
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

func (s *Server) adminNotFound(c echo.Context) error {
	return newProblem(probNotFound, "No admin page at %s.", c.Request().URL.Path)
}

// setupStep is one step of the start page's checklist.
type setupStep struct {
	Title string
	Text  string
	Link  string
	Done  bool
}

// showAdminHome shows the setup checklist: what is configured and what to
// do next.
func (s *Server) showAdminHome(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	tel, err := s.telephonyConnections().List(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}
	crms, err := svc.List(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	users, err := s.store.ListUsers(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	hasAgents := slices.ContainsFunc(users, func(u store.User) bool { return u.Role == agents.RoleAgent })
	hasRules, hasSynced, hasMapping := false, false, false
	for _, t := range tel {
		hasRules = hasRules || len(t.RoutingRules) > 0
	}
	for _, conn := range crms {
		hasMapping = hasMapping || conn.Mapping != nil
		hasSynced = hasSynced || conn.PhonebookID != ""
	}

	steps := []setupStep{
		{"Connect your VoIP platform", "Add a Twilio, Telnyx, Vonage, Aircall or generic connection and paste its webhook URLs into the platform.", "/admin/telephony", len(tel) > 0},
		{"Connect your CRM", "Add a HubSpot, Pipedrive, Salesforce or generic REST connection with a token or OAuth, then test it.", "/admin/crm", len(crms) > 0},
		{"Map CRM fields", "Choose which CRM fields fill each phonebook field, and preview the result on a real record.", "/admin/crm", hasMapping},
		{"Sync contacts", "Copy the CRM's contacts into a phonebook, or import a CSV file.", "/admin/phonebooks", hasSynced},
		{"Write routing rules", "Send callers to a queue, an extension or a number, and test a caller's number before a real call.", "/admin/telephony", hasRules},
		{"Invite agents", "Create agent users with their extensions; they sign in at /agent for screen pops.", "/admin/users", hasAgents},
	}
	return s.renderAdmin(c, http.StatusOK, "home.html", &adminPage{Title: "Set up Switchboard", Data: steps})
}
