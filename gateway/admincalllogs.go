package gateway

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/store"
)

// saveAdminCallNotes sets the notes of a call through the call log
// service, as PATCH /v1/calls/{id} does, so its CRM entries show them.
func (s *Server) saveAdminCallNotes(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	notes := strings.ReplaceAll(c.FormValue("notes"), "\r\n", "\n")

	call, err := svc.SetNotes(c.Request().Context(), p.WorkspaceID, c.Param("id"), notes)
	if err == nil {
		return adminRedirect(c, "/admin/calls/"+call.ID+"?notice=saved#notes")
	}
	page, perr := s.callDetail(c)
	if perr != nil {
		return perr
	}
	page.Data.(*callPage).Notes = notes
	return s.renderAdminForm(c, "call.html", page, err)
}

// retryAdminCallLog writes the call of one log to its CRM again now.
func (s *Server) retryAdminCallLog(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	l, err := svc.Retry(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return adminRedirect(c, "/admin/calls/"+l.CallID+"?notice=log-retried#crm-log")
}

// skipAdminCallLog marks one log skipped after the admin confirms it, so
// its call is never written to the CRM.
func (s *Server) skipAdminCallLog(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}
	l, err := svc.Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}

	if !confirmed(c) {
		return s.askConfirmation(c, "Skip this call log?",
			"Skipping the log means Switchboard never writes this call to the CRM, unless you press Retry on it later.",
			"Skip log", "/admin/calls/"+l.CallID+"#crm-log")
	}
	if _, err := svc.Skip(c.Request().Context(), p.WorkspaceID, l.ID); err != nil {
		return err
	}
	return adminRedirect(c, "/admin/calls/"+l.CallID+"?notice=log-skipped#crm-log")
}

// retryFailedAdminCallLogs retries every failed log of the workspace, or
// of one CRM connection, and lists them as pending.
func (s *Server) retryFailedAdminCallLogs(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}
	connectionID := c.FormValue("crm_connection_id")

	if _, err := svc.RetryFailed(c.Request().Context(), p.WorkspaceID, connectionID); err != nil {
		return err
	}
	next := url.Values{"crm_log": {store.CallLogPending}, "notice": {"logs-retried"}}
	if connectionID != "" {
		next.Set("crm_connection_id", connectionID)
	}
	return adminRedirect(c, "/admin/calls?"+next.Encode())
}

// adminFailedLogsShown caps the count of failed logs a CRM connection's
// page shows, so the page reads one bounded page of logs.
const adminFailedLogsShown = 100

// countFailedCallLogs returns how many logs of the CRM connection
// connectionID failed, up to adminFailedLogsShown, and whether there are
// more.
func (s *Server) countFailedCallLogs(c echo.Context, connectionID string) (int, bool, error) {
	if s.callLogs == nil {
		return 0, false, nil
	}
	logs, more, err := s.callLogs.List(c.Request().Context(), store.CallLogQuery{
		WorkspaceID: principalOf(c).WorkspaceID, Status: store.CallLogFailed, ConnectionID: connectionID, Limit: adminFailedLogsShown,
	})
	return len(logs), more, err
}
