package gateway

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// adminCallsShown is how many calls one page of the call list shows.
const adminCallsShown = 50

type callsPage struct {
	Calls        []store.Call
	HasMore      bool
	Connections  []choice
	Statuses     []choice
	Directions   []choice
	ConnectionID string
	// Next is the query string of the next page, empty on the last one.
	Next string
	// names maps connection ids to names.
	Names map[string]string
}

type callPage struct {
	Call       store.Call
	Connection string
	Contact    *store.Contact
	Decision   *routing.Decision
	Events     []store.CallEventRecord
}

// listAdminCalls lists calls newest first, filtered by connection, status
// and direction, paged by the keyset of the last call shown.
func (s *Server) listAdminCalls(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	query := store.CallQuery{
		WorkspaceID: p.WorkspaceID, ConnectionID: c.QueryParam("connection_id"),
		Status: c.QueryParam("status"), Direction: c.QueryParam("direction"), Desc: true, Limit: adminCallsShown,
	}
	if after := c.QueryParam("after"); after != "" {
		if before, err := s.store.GetCall(ctx, p.WorkspaceID, after); err == nil {
			query.After = &store.Keyset{At: before.CreatedAt, ID: before.ID}
		}
	}
	calls, hasMore, err := s.store.ListCalls(ctx, query)
	if err != nil {
		return err
	}

	data := callsPage{Calls: calls, HasMore: hasMore, ConnectionID: query.ConnectionID, Names: map[string]string{}}
	conns, err := s.telephonyConnections().List(ctx, p.WorkspaceID)
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
	if hasMore {
		next := c.QueryParams()
		next.Set("after", calls[len(calls)-1].ID)
		data.Next = next.Encode()
	}
	return s.renderAdmin(c, http.StatusOK, "calls.html", &adminPage{Title: "Calls", Section: "calls", Data: data})
}

// showAdminCall shows one call: its routing decision, matched contact and
// every stored event.
func (s *Server) showAdminCall(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	call, err := s.store.GetCall(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	data := callPage{Call: call, Connection: call.ConnectionID}
	if data.Events, err = s.store.ListCallEvents(ctx, p.WorkspaceID, call.ID); err != nil {
		return err
	}
	if len(call.Routing) > 0 {
		var d routing.Decision
		if err := json.Unmarshal(call.Routing, &d); err == nil {
			data.Decision = &d
		}
	}
	if call.ContactID != nil {
		contact, err := s.store.GetContact(ctx, p.WorkspaceID, *call.ContactID)
		switch {
		case err == nil:
			data.Contact = &contact
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if conn, err := s.telephonyConnections().Get(ctx, p.WorkspaceID, call.ConnectionID); err == nil {
		data.Connection = conn.Name
	}
	title := "Call from " + call.FromRaw
	return s.renderAdmin(c, http.StatusOK, "call.html", &adminPage{Title: title, Section: "calls", Data: data})
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
