package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// cursorCalls is the list name in the cursors of /v1/calls.
const cursorCalls = "calls"

// callListFilters are the parameters that select and order a call
// listing. A cursor carries them, and a request with a cursor may repeat
// them only unchanged.
var callListFilters = []string{
	"connection_id", "phonebook_id", "contact_id", "direction", "status",
	"created_since", "updated_since", "ended_since", "sort", "order",
}

// callStatuses are the values of the status filter.
var callStatuses = map[string]bool{
	string(telephony.StatusRinging): true, string(telephony.StatusAnswered): true,
	string(telephony.StatusCompleted): true, string(telephony.StatusMissed): true,
	string(telephony.StatusBusy): true, string(telephony.StatusFailed): true,
	string(telephony.StatusCancelled): true, string(telephony.StatusVoicemail): true,
}

type partyView struct {
	Raw  string `json:"raw"`
	E164 string `json:"e164"`
}

type callView struct {
	ID                string          `json:"id"`
	ConnectionID      string          `json:"connection_id"`
	Provider          string          `json:"provider"`
	ProviderCallID    string          `json:"provider_call_id"`
	Direction         string          `json:"direction"`
	From              partyView       `json:"from"`
	To                partyView       `json:"to"`
	Status            string          `json:"status"`
	Agent             string          `json:"agent"`
	StartedAt         string          `json:"started_at"`
	AnsweredAt        *string         `json:"answered_at"`
	EndedAt           *string         `json:"ended_at"`
	DurationSeconds   int             `json:"duration_seconds"`
	RecordingURL      string          `json:"recording_url"`
	Notes             string          `json:"notes"`
	ContactID         *string         `json:"contact_id"`
	PhonebookID       *string         `json:"phonebook_id"`
	MatchedContactIDs []string        `json:"matched_contact_ids"`
	Routing           json.RawMessage `json:"routing"`
	LastEventAt       string          `json:"last_event_at"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
	// CRMLog holds one entry per CRM connection that logs the call; it is
	// empty in the webhook events of call status changes.
	CRMLog []callLogView `json:"crm_log"`
}

func viewCall(c store.Call) callView {
	matched := c.MatchedContactIDs.V
	if matched == nil {
		matched = []string{}
	}
	return callView{
		ID: c.ID, ConnectionID: c.ConnectionID, Provider: c.Provider, ProviderCallID: c.ProviderCallID,
		Direction: c.Direction,
		From:      partyView{Raw: c.FromRaw, E164: c.FromE164},
		To:        partyView{Raw: c.ToRaw, E164: c.ToE164},
		Status:    c.Status, Agent: c.Agent,
		StartedAt: formatTime(c.StartedAt.Time), AnsweredAt: formatOptionalTime(c.AnsweredAt), EndedAt: formatOptionalTime(c.EndedAt),
		DurationSeconds: c.DurationSeconds, RecordingURL: c.RecordingURL, Notes: c.Notes,
		ContactID: c.ContactID, PhonebookID: c.PhonebookID, MatchedContactIDs: matched,
		Routing:     c.Routing,
		LastEventAt: formatTime(c.LastEventAt.Time),
		CreatedAt:   formatTime(c.CreatedAt.Time), UpdatedAt: formatTime(c.UpdatedAt.Time),
		CRMLog: []callLogView{},
	}
}

// callEventView is one stored webhook event of a call. The raw request is
// not shown, because some providers put their webhook token in the body.
type callEventView struct {
	ID         string          `json:"id"`
	Hook       string          `json:"hook"`
	Status     string          `json:"status"`
	OccurredAt string          `json:"occurred_at"`
	ReceivedAt string          `json:"received_at"`
	Event      json.RawMessage `json:"event"`
}

// callDetailView is one call with its events and matched contact.
type callDetailView struct {
	callView
	Contact *contactView    `json:"contact"`
	Events  []callEventView `json:"events"`
}

// listCalls pages through calls with the keyset paging and snapshot bound
// of listContacts.
func (s *Server) listCalls(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	query, pc, err := s.callListing(c, p.WorkspaceID)
	if err != nil {
		return err
	}
	includes, err := parseInclude(c, includeContact)
	if err != nil {
		return err
	}

	calls, hasMore, err := s.store.ListCalls(ctx, query)
	if err != nil {
		return err
	}

	var nextCursor, nextURL string
	if hasMore {
		last := calls[len(calls)-1]
		nextCursor, nextURL = s.nextPage("/v1/calls", pc, callSortKey(last, query.SortBy), last.ID, query.Limit)
		nextURL = withInclude(c, nextURL)
	}
	views, err := s.viewCallsWithLogs(ctx, p.WorkspaceID, calls)
	if err != nil {
		return err
	}
	if includes[includeContact] {
		withContacts, err := s.viewCallsWithContacts(ctx, p.WorkspaceID, calls, views)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, listResponse[callWithContactView]{Data: withContacts, HasMore: hasMore, NextCursor: nextCursor, NextURL: nextURL})
	}
	return c.JSON(http.StatusOK, listResponse[callView]{Data: views, HasMore: hasMore, NextCursor: nextCursor, NextURL: nextURL})
}

// callSortKey returns the value of the sort field of call.
func callSortKey(call store.Call, sortBy string) store.UnixMilli {
	switch {
	case sortBy == "updated_at":
		return call.UpdatedAt
	case sortBy == "ended_at" && call.EndedAt != nil:
		return *call.EndedAt
	default:
		return call.CreatedAt
	}
}

// callListing reads the listing parameters, or the cursor and the
// parameters sent with it, into a store query and the cursor state.
func (s *Server) callListing(c echo.Context, workspaceID string) (store.CallQuery, pageCursor, error) {
	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return store.CallQuery{}, pageCursor{}, err
	}
	params, err := callListParams(c)
	if err != nil {
		return store.CallQuery{}, pageCursor{}, err
	}

	pc := pageCursor{List: cursorCalls, WorkspaceID: workspaceID, Filters: params}
	query := store.CallQuery{WorkspaceID: workspaceID, Limit: limit}
	if raw := c.QueryParam("cursor"); raw != "" {
		pc, err = s.decodeCursor(raw, cursorCalls, workspaceID)
		if err != nil {
			return store.CallQuery{}, pageCursor{}, err
		}
		if err := sameFilters(params, pc.Filters); err != nil {
			return store.CallQuery{}, pageCursor{}, err
		}
		query.After = pc.after()
	} else {
		pc.Until = time.Now().Add(-time.Millisecond).UnixMilli()
	}

	applyCallFilters(&query, pc)
	return query, pc, nil
}

// callListParams returns the filter and order parameters present in the
// request, checked and normalised: times as Unix milliseconds.
func callListParams(c echo.Context) (map[string]string, error) {
	params := map[string]string{}
	for _, name := range callListFilters {
		if value := c.QueryParam(name); value != "" {
			params[name] = value
		}
	}

	for _, name := range []string{"created_since", "updated_since", "ended_since"} {
		if value, ok := params[name]; ok {
			t, err := parseTime(value)
			if err != nil {
				return nil, queryProblem(name, "%v", err)
			}
			params[name] = strconv.FormatInt(t.UnixMilli(), 10)
		}
	}
	if d, ok := params["direction"]; ok && d != string(telephony.DirectionInbound) && d != string(telephony.DirectionOutbound) {
		return nil, queryProblem("direction", "must be inbound or outbound, not %q", d)
	}
	if status, ok := params["status"]; ok && !callStatuses[status] {
		return nil, queryProblem("status", "must be ringing, answered, completed, missed, busy, failed, cancelled or voicemail, not %q", status)
	}
	if sort, ok := params["sort"]; ok && sort != "created_at" && sort != "updated_at" && sort != "ended_at" {
		return nil, queryProblem("sort", "must be created_at, updated_at or ended_at, not %q", sort)
	}
	if order, ok := params["order"]; ok && order != "asc" && order != "desc" {
		return nil, queryProblem("order", "must be asc or desc, not %q", order)
	}
	return params, nil
}

// applyCallFilters sets the filters, sort and snapshot bound of pc on
// query. Without an explicit sort, a listing with updated_since sorts by
// updated_at and one with ended_since by ended_at, so incremental syncs
// read changes in order.
func applyCallFilters(query *store.CallQuery, pc pageCursor) {
	f := pc.Filters
	query.ConnectionID = f["connection_id"]
	query.PhonebookID = f["phonebook_id"]
	query.ContactID = f["contact_id"]
	query.Direction = f["direction"]
	query.Status = f["status"]
	query.CreatedSince = millisParam(f["created_since"])
	query.UpdatedSince = millisParam(f["updated_since"])
	query.EndedSince = millisParam(f["ended_since"])
	query.Desc = f["order"] == "desc"
	query.Until = pc.until()

	query.SortBy = f["sort"]
	switch {
	case query.SortBy != "":
	case query.UpdatedSince != nil:
		query.SortBy = "updated_at"
	case query.EndedSince != nil:
		query.SortBy = "ended_at"
	default:
		query.SortBy = "created_at"
	}
}

// getCall returns one call with its events, oldest first, and its matched
// contact, which is null when none matched or the contact was deleted. The
// contact is always embedded, so include=contact is accepted and changes
// nothing.
func (s *Server) getCall(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	if _, err := parseInclude(c, includeContact); err != nil {
		return err
	}

	call, err := s.store.GetCall(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	records, err := s.store.ListCallEvents(ctx, p.WorkspaceID, call.ID)
	if err != nil {
		return err
	}
	views, err := s.viewCallsWithLogs(ctx, p.WorkspaceID, []store.Call{call})
	if err != nil {
		return err
	}
	view := callDetailView{callView: views[0], Events: make([]callEventView, len(records))}
	for i, r := range records {
		view.Events[i] = callEventView{
			ID: r.ID, Hook: r.Hook, Status: r.Status, Event: r.Normalized,
			OccurredAt: formatTime(r.OccurredAt.Time), ReceivedAt: formatTime(r.ReceivedAt.Time),
		}
	}

	if call.ContactID != nil {
		contact, err := s.store.GetContact(ctx, p.WorkspaceID, *call.ContactID)
		switch {
		case err == nil:
			cv := viewContact(contact)
			view.Contact = &cv
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	return c.JSON(http.StatusOK, view)
}

// rerouteRequest is the body of POST /v1/calls/{id}/route: the new route.
type rerouteRequest struct {
	Kind           telephony.TargetKind `json:"kind"`
	Target         string               `json:"target"`
	TimeoutSeconds int                  `json:"timeout_seconds"`
	CallerName     string               `json:"caller_name"`
}

// rerouteCall moves a live call to another route through the provider's
// API. The call record changes when the provider reports the new state.
func (s *Server) rerouteCall(c echo.Context) error {
	p := principalOf(c)
	if s.inbound == nil {
		return newProblem(probUnavailable, "Telephony is not enabled on this server.")
	}

	var in rerouteRequest
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}

	call, err := s.inbound.Reroute(c.Request().Context(), p.WorkspaceID, c.Param("id"), telephony.Route{
		Kind: in.Kind, Target: in.Target, TimeoutSeconds: in.TimeoutSeconds, CallerName: in.CallerName,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, viewCall(call))
}
