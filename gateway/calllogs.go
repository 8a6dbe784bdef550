package gateway

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// cursorCallLogs is the list name in the cursors of /v1/call-logs.
const cursorCallLogs = "call-logs"

// callLogView is the state of logging one call to one CRM connection.
type callLogView struct {
	ID           string `json:"id"`
	CallID       string `json:"call_id"`
	ConnectionID string `json:"connection_id"`
	Status       string `json:"status"`
	// UpdatePending is true while a change of the call waits to reach the
	// CRM entry.
	UpdatePending bool    `json:"update_pending"`
	CRMID         *string `json:"crm_id"`
	CRMURL        *string `json:"crm_url"`
	Attempts      int     `json:"attempts"`
	LastError     string  `json:"last_error"`
	LoggedAt      *string `json:"logged_at"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
}

func viewCallLog(l store.CallLog) callLogView {
	return callLogView{
		ID: l.ID, CallID: l.CallID, ConnectionID: l.ConnectionID, Status: l.Status,
		UpdatePending: l.Status == store.CallLogLogged && l.Due(),
		CRMID:         optionalText(l.CRMID), CRMURL: optionalText(l.CRMURL),
		Attempts: l.Attempts, LastError: l.LastError, LoggedAt: formatOptionalTime(l.LoggedAt),
		CreatedAt: formatTime(l.CreatedAt.Time), UpdatedAt: formatTime(l.UpdatedAt.Time),
	}
}

func optionalText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// retryCallLogsRequest is the optional body of POST /v1/call-logs/retry.
type retryCallLogsRequest struct {
	ConnectionID string `json:"connection_id"`
}

type retryCallLogsView struct {
	Retried int `json:"retried"`
}

// callNotesRequest is the body of PATCH /v1/calls/{id}.
type callNotesRequest struct {
	Notes *string `json:"notes"`
}

// callLogService returns the call log service, or a 503 when the gateway
// runs without one.
func (s *Server) callLogService() (*calllog.Service, error) {
	if s.callLogs == nil {
		return nil, newProblem(probUnavailable, "Call logging to CRMs is not configured on this gateway.")
	}
	return s.callLogs, nil
}

// listCallLogs pages through the call logs of the workspace, oldest
// first, optionally of one status or CRM connection.
func (s *Server) listCallLogs(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return err
	}
	params := map[string]string{}
	for _, name := range []string{"status", "connection_id"} {
		if value := c.QueryParam(name); value != "" {
			params[name] = value
		}
	}
	if status, ok := params["status"]; ok && !slices.Contains(calllog.Statuses, status) {
		return queryProblem("status", "must be %s, not %q", strings.Join(calllog.Statuses, ", "), status)
	}
	pc := pageCursor{List: cursorCallLogs, WorkspaceID: p.WorkspaceID, Filters: params}
	if raw := c.QueryParam("cursor"); raw != "" {
		if pc, err = s.decodeCursor(raw, cursorCallLogs, p.WorkspaceID); err != nil {
			return err
		}
		if err := sameFilters(params, pc.Filters); err != nil {
			return err
		}
	}

	query := store.CallLogQuery{
		WorkspaceID: p.WorkspaceID, Status: pc.Filters["status"], ConnectionID: pc.Filters["connection_id"],
		After: pc.after(), Limit: limit,
	}
	logs, hasMore, err := svc.List(c.Request().Context(), query)
	if err != nil {
		return err
	}

	resp := listResponse[callLogView]{Data: make([]callLogView, len(logs)), HasMore: hasMore}
	for i, l := range logs {
		resp.Data[i] = viewCallLog(l)
	}
	if hasMore {
		last := logs[len(logs)-1]
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/call-logs", pc, last.CreatedAt, last.ID, limit)
	}
	return c.JSON(http.StatusOK, resp)
}

// getCallLog returns one call log.
func (s *Server) getCallLog(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	l, err := svc.Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCallLog(l))
}

// retryCallLog writes the call of one log to its CRM again now.
func (s *Server) retryCallLog(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	l, err := svc.Retry(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, viewCallLog(l))
}

// retryFailedCallLogs retries every failed log of the workspace, or of
// one CRM connection.
func (s *Server) retryFailedCallLogs(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	var in retryCallLogsRequest
	if err := s.decodeOptionalJSON(c, &in); err != nil {
		return err
	}

	n, err := svc.RetryFailed(c.Request().Context(), p.WorkspaceID, in.ConnectionID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, retryCallLogsView{Retried: n})
}

// skipCallLog marks one log skipped, so its call is never written.
func (s *Server) skipCallLog(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	l, err := svc.Skip(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCallLog(l))
}

// patchCall sets the notes of a call, which its CRM entries then show.
func (s *Server) patchCall(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.callLogService()
	if err != nil {
		return err
	}

	var in callNotesRequest
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Notes == nil {
		return validation.New("notes", "is required: the call's notes, \"\" to clear them")
	}

	call, err := svc.SetNotes(c.Request().Context(), p.WorkspaceID, c.Param("id"), *in.Notes)
	if err != nil {
		return err
	}
	views, err := s.viewCallsWithLogs(c.Request().Context(), p.WorkspaceID, []store.Call{call})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, views[0])
}

// viewCallsWithLogs returns the views of calls with their CRM logs.
func (s *Server) viewCallsWithLogs(ctx context.Context, workspaceID string, calls []store.Call) ([]callView, error) {
	views := make([]callView, len(calls))
	for i, call := range calls {
		views[i] = viewCall(call)
	}
	if s.callLogs == nil || len(calls) == 0 {
		return views, nil
	}
	ids := make([]string, len(calls))
	for i, call := range calls {
		ids[i] = call.ID
	}
	byCall, err := s.callLogs.LogsOfCalls(ctx, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	for i := range views {
		for _, l := range byCall[views[i].ID] {
			views[i].CRMLog = append(views[i].CRMLog, viewCallLog(l))
		}
	}
	return views, nil
}
