package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// adminCallsShown is how many calls one page of the call list shows.
const adminCallsShown = 50

type callsPage struct {
	Calls        []adminCallRow
	HasMore      bool
	Connections  []choice
	Statuses     []choice
	Directions   []choice
	ConnectionID string
	// CRMLog and CRMConnectionID select calls by the status of their CRM
	// log, of one CRM connection unless empty. While CRMLog is set, the
	// list follows the logs, oldest first.
	CRMLog          string
	CRMConnectionID string
	CRMLogStatuses  []choice
	CRMConnections  []choice
	// CallLogging is false when the gateway runs without call logging.
	CallLogging bool
	// Next is the query string of the next page, empty on the last one.
	Next string
	// Names maps telephony connection ids to names.
	Names map[string]string
}

// adminCallRow is a call with what the pages show beside it.
type adminCallRow struct {
	store.Call
	// Route is the route the call took, such as "queue vip", or "".
	Route string
	// ContactName is the name of the matched contact, or "".
	ContactName string
	Logs        []adminCallLog
}

// adminCallLog is a CRM log of a call with its connection's name.
type adminCallLog struct {
	store.CallLog
	Connection string
}

type callPage struct {
	Call       store.Call
	Connection string
	Contact    *store.Contact
	Decision   *routing.Decision
	// Contacts are the contacts with the caller's number, for the
	// routing decision's list of ids.
	Contacts    []store.Contact
	Events      []store.CallEventRecord
	Logs        []adminCallLog
	CallLogging bool
	// Notes are the notes shown in the notes form: the stored ones, or
	// the submitted ones after an invalid submission.
	Notes string
	// LogPending is true while a log waits for the CRM, so its card
	// reloads itself.
	LogPending bool
}

// listAdminCalls lists calls newest first, filtered by connection, status
// and direction, paged by the keyset of the last call shown. With a CRM
// log status it lists the calls of the logs in that status instead.
func (s *Server) listAdminCalls(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	query := store.CallQuery{
		WorkspaceID: p.WorkspaceID, ConnectionID: c.QueryParam("connection_id"),
		Status: c.QueryParam("status"), Direction: c.QueryParam("direction"), Desc: true, Limit: adminCallsShown,
	}
	data := callsPage{ConnectionID: query.ConnectionID, Names: map[string]string{}, CallLogging: s.callLogs != nil}
	if data.CallLogging && slices.Contains(calllog.Statuses, c.QueryParam("crm_log")) {
		data.CRMLog, data.CRMConnectionID = c.QueryParam("crm_log"), c.QueryParam("crm_connection_id")
	}

	var calls []store.Call
	var err error
	var nextAfter string
	if data.CRMLog != "" {
		calls, nextAfter, err = s.callsByLogStatus(ctx, p.WorkspaceID, data.CRMLog, data.CRMConnectionID, c.QueryParam("after_log"), query)
	} else {
		calls, nextAfter, err = s.callsPage(ctx, c.QueryParam("after"), query)
	}
	if err != nil {
		return err
	}
	data.HasMore = nextAfter != ""
	if data.Calls, err = s.adminCallRows(ctx, p.WorkspaceID, calls); err != nil {
		return err
	}
	if err := s.fillCallFilters(ctx, p.WorkspaceID, &data, query); err != nil {
		return err
	}
	if nextAfter != "" {
		next := c.QueryParams()
		next.Del("notice")
		if data.CRMLog != "" {
			next.Set("after_log", nextAfter)
		} else {
			next.Set("after", nextAfter)
		}
		data.Next = next.Encode()
	}
	return s.renderAdmin(c, http.StatusOK, "calls.html", &adminPage{Title: "Calls", Section: "calls", Data: data})
}

// callsPage returns one page of the calls query selects after the call
// id after, and the id to continue after, "" on the last page.
func (s *Server) callsPage(ctx context.Context, after string, query store.CallQuery) ([]store.Call, string, error) {
	if after != "" {
		if before, err := s.store.GetCall(ctx, query.WorkspaceID, after); err == nil {
			query.After = &store.Keyset{At: before.CreatedAt, ID: before.ID}
		}
	}
	calls, hasMore, err := s.store.ListCalls(ctx, query)
	if err != nil || !hasMore {
		return calls, "", err
	}
	return calls, calls[len(calls)-1].ID, nil
}

// callsByLogStatus returns the calls of one page of the CRM logs in
// status, oldest log first, that also match the call filters of query,
// and the log id to continue after, "" on the last page.
func (s *Server) callsByLogStatus(ctx context.Context, workspaceID, status, crmConnectionID, afterLog string, query store.CallQuery) ([]store.Call, string, error) {
	lq := store.CallLogQuery{WorkspaceID: workspaceID, Status: status, ConnectionID: crmConnectionID, Limit: adminCallsShown}
	if afterLog != "" {
		if before, err := s.callLogs.Get(ctx, workspaceID, afterLog); err == nil {
			lq.After = &store.Keyset{At: before.CreatedAt, ID: before.ID}
		}
	}
	logs, hasMore, err := s.callLogs.List(ctx, lq)
	if err != nil {
		return nil, "", err
	}

	var calls []store.Call
	for _, l := range logs {
		if slices.ContainsFunc(calls, func(call store.Call) bool { return call.ID == l.CallID }) {
			continue
		}
		call, err := s.store.GetCall(ctx, workspaceID, l.CallID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if matchesCallQuery(call, query) {
			calls = append(calls, call)
		}
	}
	if !hasMore {
		return calls, "", nil
	}
	return calls, logs[len(logs)-1].ID, nil
}

// matchesCallQuery reports whether call has the connection, status and
// direction query selects.
func matchesCallQuery(call store.Call, query store.CallQuery) bool {
	return (query.ConnectionID == "" || call.ConnectionID == query.ConnectionID) &&
		(query.Status == "" || call.Status == query.Status) &&
		(query.Direction == "" || call.Direction == query.Direction)
}

// adminCallRows adds to calls their route, contact name and CRM logs.
func (s *Server) adminCallRows(ctx context.Context, workspaceID string, calls []store.Call) ([]adminCallRow, error) {
	rows := make([]adminCallRow, len(calls))
	var callIDs, contactIDs []string
	for i, call := range calls {
		rows[i] = adminCallRow{Call: call, Route: routeOf(call)}
		callIDs = append(callIDs, call.ID)
		if call.ContactID != nil {
			contactIDs = append(contactIDs, *call.ContactID)
		}
	}
	contacts, err := s.store.GetContactsByIDs(ctx, workspaceID, contactIDs)
	if err != nil {
		return nil, err
	}
	logs, err := s.adminCallLogs(ctx, workspaceID, callIDs)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if id := rows[i].ContactID; id != nil {
			if contact, ok := contacts[*id]; ok {
				rows[i].ContactName = contactName(contact)
			}
		}
		rows[i].Logs = logs[rows[i].ID]
	}
	return rows, nil
}

// adminCallLogs returns the CRM logs of the calls callIDs by call id,
// each with its connection's name, or none without call logging.
func (s *Server) adminCallLogs(ctx context.Context, workspaceID string, callIDs []string) (map[string][]adminCallLog, error) {
	out := map[string][]adminCallLog{}
	if s.callLogs == nil || len(callIDs) == 0 {
		return out, nil
	}
	byCall, err := s.callLogs.LogsOfCalls(ctx, workspaceID, callIDs)
	if err != nil {
		return nil, err
	}
	names, err := s.crmConnectionNames(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for callID, logs := range byCall {
		for _, l := range logs {
			out[callID] = append(out[callID], adminCallLog{CallLog: l, Connection: names[l.ConnectionID]})
		}
	}
	return out, nil
}

// crmConnectionNames maps the ids of the workspace's CRM connections to
// their names, or returns an empty map when CRM connections are off.
func (s *Server) crmConnectionNames(ctx context.Context, workspaceID string) (map[string]string, error) {
	names := map[string]string{}
	if s.crmConns == nil {
		return names, nil
	}
	conns, err := s.crmConns.List(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for _, conn := range conns {
		names[conn.ID] = conn.Name
	}
	return names, nil
}

// fillCallFilters fills the choices of the filter form.
func (s *Server) fillCallFilters(ctx context.Context, workspaceID string, data *callsPage, query store.CallQuery) error {
	conns, err := s.telephonyConnections().List(ctx, workspaceID)
	if err != nil {
		return err
	}
	data.Connections = []choice{{Value: "", Label: "All connections"}}
	for _, conn := range conns {
		data.Names[conn.ID] = conn.Name
		data.Connections = append(data.Connections, choice{Value: conn.ID, Label: conn.Name, Selected: conn.ID == query.ConnectionID})
	}
	statuses := []telephony.Status{telephony.StatusRinging, telephony.StatusAnswered, telephony.StatusCompleted, telephony.StatusMissed,
		telephony.StatusBusy, telephony.StatusFailed, telephony.StatusCancelled, telephony.StatusVoicemail}
	values := []string{""}
	for _, st := range statuses {
		values = append(values, string(st))
	}
	data.Statuses = filterChoices(query.Status, values...)
	data.Directions = filterChoices(query.Direction, "", string(telephony.DirectionInbound), string(telephony.DirectionOutbound))
	if !data.CallLogging {
		return nil
	}

	data.CRMLogStatuses = filterChoices(data.CRMLog, append([]string{""}, calllog.Statuses...)...)
	names, err := s.crmConnectionNames(ctx, workspaceID)
	if err != nil {
		return err
	}
	data.CRMConnections = []choice{{Value: "", Label: "All CRM connections"}}
	for id, name := range names {
		data.CRMConnections = append(data.CRMConnections, choice{Value: id, Label: name, Selected: id == data.CRMConnectionID})
	}
	slices.SortFunc(data.CRMConnections[1:], func(a, b choice) int { return strings.Compare(a.Label, b.Label) })
	return nil
}

// routeOf returns the route of a routed call, such as "queue vip", or ""
// for a call that was never routed.
func routeOf(call store.Call) string {
	if len(call.Routing) == 0 {
		return ""
	}
	var d routing.Decision
	if err := json.Unmarshal(call.Routing, &d); err != nil {
		return ""
	}
	return string(d.Route.Kind) + " " + d.Route.Target
}

// showAdminCall shows one call: its routing decision, matched contact,
// CRM logs, notes and every stored event.
func (s *Server) showAdminCall(c echo.Context) error {
	page, err := s.callDetail(c)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "call.html", page)
}

// callDetail builds the page of the call named in the path.
func (s *Server) callDetail(c echo.Context) (*adminPage, error) {
	p := principalOf(c)
	ctx := c.Request().Context()

	call, err := s.store.GetCall(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return nil, err
	}
	data := callPage{Call: call, Connection: call.ConnectionID, CallLogging: s.callLogs != nil, Notes: call.Notes}
	if data.Events, err = s.store.ListCallEvents(ctx, p.WorkspaceID, call.ID); err != nil {
		return nil, err
	}
	if len(call.Routing) > 0 {
		var d routing.Decision
		if err := json.Unmarshal(call.Routing, &d); err == nil {
			data.Decision = &d
		}
	}
	if err := s.fillCallContacts(ctx, p.WorkspaceID, &data); err != nil {
		return nil, err
	}
	logs, err := s.adminCallLogs(ctx, p.WorkspaceID, []string{call.ID})
	if err != nil {
		return nil, err
	}
	data.Logs = logs[call.ID]
	data.LogPending = slices.ContainsFunc(data.Logs, func(l adminCallLog) bool { return l.Status == store.CallLogPending })
	if conn, err := s.telephonyConnections().Get(ctx, p.WorkspaceID, call.ConnectionID); err == nil {
		data.Connection = conn.Name
	}
	return &adminPage{Title: "Call from " + call.FromRaw, Section: "calls", Data: &data}, nil
}

// fillCallContacts reads the call's matched contact and the contacts of
// its routing decision in one statement.
func (s *Server) fillCallContacts(ctx context.Context, workspaceID string, data *callPage) error {
	var ids []string
	if data.Call.ContactID != nil {
		ids = append(ids, *data.Call.ContactID)
	}
	if data.Decision != nil {
		ids = append(ids, data.Decision.ContactIDs...)
	}
	contacts, err := s.store.GetContactsByIDs(ctx, workspaceID, ids)
	if err != nil {
		return err
	}
	if data.Call.ContactID != nil {
		if contact, ok := contacts[*data.Call.ContactID]; ok {
			data.Contact = &contact
		}
	}
	if data.Decision != nil {
		for _, id := range data.Decision.ContactIDs {
			if contact, ok := contacts[id]; ok {
				data.Contacts = append(data.Contacts, contact)
			}
		}
	}
	return nil
}

// contactName returns the name the pages show for a contact.
func contactName(c store.Contact) string {
	if name := contactDisplayName(c.DisplayName, c.FirstName, c.LastName, c.Company); name != "" {
		return name
	}
	return c.ID
}

// filterChoices returns a select's options, the first one ("") meaning
// any.
func filterChoices(selected string, values ...string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		label := v
		if v == "" {
			label = "Any"
		}
		out[i] = choice{Value: v, Label: label, Selected: v == selected}
	}
	return out
}
