// Package fakecallcrm is a stateful stand-in for the call endpoints of HubSpot
// and Pipedrive on a loopback address, for call logging tests and the
// calllog bench. It stores the call entries it receives, so tests can
// count them per Switchboard call, and it can be taken down, rate limited
// or made to lose its answers to creates.
//
// It follows the public API references of the endpoints it serves:
// HubSpot CRM v3 objects/calls (create, update, search), contacts search
// and create, and owners; Pipedrive v1 callLogs (create, get, list),
// activities (list, update), users find, and v2 persons search and create.
// Only the fields call logging sends are read.
//
// Every Pipedrive request acts as user PipedriveTokenUser. As in
// Pipedrive, GET /v1/callLogs lists only that user's call logs, while
// GET /v1/activities lists a call log's activity for its owner and, with
// user_id=0, for every user.
package fakecallcrm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PipedriveTokenUser is the Pipedrive user id of the token the fake
// assumes on every request. A call log created without user_id belongs to
// this user.
const PipedriveTokenUser = 1

// markerPattern finds the Switchboard call id in an entry's notes.
var markerPattern = regexp.MustCompile(`Switchboard call (call_[A-Za-z0-9]+)`)

// Entry is one call entry the fake CRM stores.
type Entry struct {
	ID string
	// CallID is the Switchboard call id of the entry's marker.
	CallID string
	// Fields are the entry's fields as last written: HubSpot properties,
	// or the Pipedrive call log body with the fields of its activity's
	// updates under "activity." and their name.
	Fields map[string]any
	// Associations are the HubSpot contact ids, or the Pipedrive person id.
	Associations []string
	Updates      int
	// pipedrive is true for a call log, false for a HubSpot call.
	pipedrive bool
}

// Server is the fake CRM.
type Server struct {
	URL string

	server  *httptest.Server
	mu      sync.Mutex
	entries []*Entry
	byID    map[string]*Entry
	nextID  int
	// contacts maps an E.164 number to HubSpot contact ids.
	contacts map[string][]string
	// owners maps an email address to a CRM user id.
	owners   map[string]string
	created  int // contacts created
	down     bool
	limiter  *rate.Limiter
	hangNext int
	reject   string
	requests int
	limited  int
	inFlight int
	maxIn    int
	// idsOnly drops the fields of stored entries (see KeepIDsOnly).
	idsOnly bool
}

// KeepIDsOnly makes the fake keep only the ids and call ids of the
// entries it stores, not their fields, so a benchmark of a large backlog
// measures the gateway's memory rather than the fake's. Searches by
// marker then find nothing, and updates change no field.
func (s *Server) KeepIDsOnly() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idsOnly = true
}

// New starts a fake CRM; call Close when done.
func New() *Server {
	s := &Server{byID: map[string]*Entry{}, contacts: map[string][]string{}, owners: map[string]string{}}
	s.server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.server.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.server.Close() }

// SetDown makes every request fail with 503 while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetRate limits requests to perSecond with a burst of burst; beyond it
// requests get 429 with Retry-After: 1. Zero removes the limit.
func (s *Server) SetRate(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = nil
	if perSecond > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
}

// HangCreates makes the next n creates store their entry and then never
// answer, as a CRM whose response is lost after it committed.
func (s *Server) HangCreates(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangNext = n
}

// RejectCreates makes every create fail with 400 and message, until it
// is called with "".
func (s *Server) RejectCreates(message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = message
}

// AddContact makes the HubSpot contact search find id for e164.
func (s *Server) AddContact(e164, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[e164] = append(s.contacts[e164], id)
}

// AddOwner makes the user search find id for email.
func (s *Server) AddOwner(email, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners[strings.ToLower(email)] = id
}

// Entries returns a copy of every stored entry, in creation order.
func (s *Server) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = *e
		out[i].Fields = map[string]any{}
		for k, v := range e.Fields {
			out[i].Fields[k] = v
		}
	}
	return out
}

// EntriesOf returns the entries whose marker is callID.
func (s *Server) EntriesOf(callID string) []Entry {
	var out []Entry
	for _, e := range s.Entries() {
		if e.CallID == callID {
			out = append(out, e)
		}
	}
	return out
}

// Duplicates returns the number of entries beyond the first of each call.
func (s *Server) Duplicates() int {
	seen := map[string]bool{}
	dups := 0
	for _, e := range s.Entries() {
		if seen[e.CallID] {
			dups++
		}
		seen[e.CallID] = true
	}
	return dups
}

// Stats are the counts of the requests the fake received.
type Stats struct {
	Requests    int
	RateLimited int
	MaxInFlight int
	Contacts    int
}

// Stats returns the request counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: s.requests, RateLimited: s.limited, MaxInFlight: s.maxIn, Contacts: s.created}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests++
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	down, limiter, reject := s.down, s.limiter, s.reject
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	switch {
	case down:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "service unavailable"})
		return
	case limiter != nil && !limiter.Allow():
		s.mu.Lock()
		s.limited++
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "rate limit"})
		return
	}
	if reject != "" && r.Method == http.MethodPost && (r.URL.Path == "/crm/v3/objects/calls" || r.URL.Path == "/api/v1/callLogs") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": reject, "success": false, "error": reject})
		return
	}
	s.route(w, r, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && path == "/crm/v3/objects/calls":
		s.hubspotCreate(w, r, body)
	case r.Method == http.MethodPatch && strings.HasPrefix(path, "/crm/v3/objects/calls/"):
		s.hubspotUpdate(w, strings.TrimPrefix(path, "/crm/v3/objects/calls/"), body)
	case r.Method == http.MethodPost && path == "/crm/v3/objects/calls/search":
		s.hubspotSearchCalls(w, body)
	case r.Method == http.MethodPost && path == "/crm/v3/objects/contacts/search":
		s.hubspotSearchContacts(w, body)
	case r.Method == http.MethodPost && path == "/crm/v3/objects/contacts":
		s.createContact(w, "")
	case r.Method == http.MethodGet && path == "/crm/v3/owners":
		s.hubspotOwners(w, r)
	case r.Method == http.MethodPost && path == "/api/v1/callLogs":
		s.pipedriveCreate(w, r, body)
	case r.Method == http.MethodGet && path == "/api/v1/callLogs":
		s.pipedriveList(w, r)
	case r.Method == http.MethodGet && path == "/api/v1/activities":
		s.pipedriveActivities(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/v1/callLogs/"):
		s.pipedriveGet(w, strings.TrimPrefix(path, "/api/v1/callLogs/"))
	case r.Method == http.MethodPut && strings.HasPrefix(path, "/api/v1/activities/"):
		s.pipedriveUpdateActivity(w, strings.TrimPrefix(path, "/api/v1/activities/"), body)
	case r.Method == http.MethodGet && path == "/api/v2/persons/search":
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{"items": []any{}}})
	case r.Method == http.MethodPost && path == "/api/v2/persons":
		s.createContact(w, "pipedrive")
	case r.Method == http.MethodGet && path == "/api/v1/users/find":
		s.pipedriveUsers(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no route " + r.Method + " " + path})
	}
}

// store adds an entry and returns it; it hangs the request afterwards
// when HangCreates asked for it.
func (s *Server) store(pipedrive bool, fields map[string]any, notes string, associations []string) (*Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	e := &Entry{ID: strconv.Itoa(5000 + s.nextID), Fields: fields, Associations: associations, pipedrive: pipedrive}
	if m := markerPattern.FindStringSubmatch(notes); m != nil {
		e.CallID = m[1]
	}
	if s.idsOnly {
		e.Fields, e.Associations = map[string]any{}, nil
	}
	s.entries = append(s.entries, e)
	s.byID[e.ID] = e
	hang := s.hangNext > 0
	if hang {
		s.hangNext--
	}
	return e, hang
}

func (s *Server) hubspotCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Properties   map[string]any `json:"properties"`
		Associations []struct {
			To struct {
				ID string `json:"id"`
			} `json:"to"`
		} `json:"associations"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Properties["hs_timestamp"] == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "hs_timestamp is required"})
		return
	}
	var ids []string
	for _, a := range req.Associations {
		ids = append(ids, a.To.ID)
	}
	notes, _ := req.Properties["hs_call_body"].(string)
	e, hang := s.store(false, req.Properties, notes, ids)
	if hang {
		<-r.Context().Done()
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": e.ID, "properties": req.Properties})
}

func (s *Server) hubspotUpdate(w http.ResponseWriter, id string, body []byte) {
	var req struct {
		Properties map[string]any `json:"properties"`
	}
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	e, ok := s.byID[id]
	if ok {
		for k, v := range req.Properties {
			e.Fields[k] = v
		}
		e.Updates++
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "call " + id + " not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id})
}

// hubspotSearchCalls matches CONTAINS_TOKEN filters on hs_call_body as
// whole words.
func (s *Server) hubspotSearchCalls(w http.ResponseWriter, body []byte) {
	var req struct {
		FilterGroups []struct {
			Filters []struct {
				Value string `json:"value"`
			} `json:"filters"`
		} `json:"filterGroups"`
	}
	_ = json.Unmarshal(body, &req)
	var results []map[string]any
	for _, g := range req.FilterGroups {
		for _, f := range g.Filters {
			for _, e := range s.Entries() {
				if e.CallID == f.Value {
					results = append(results, map[string]any{"id": e.ID, "properties": map[string]any{"hs_call_body": e.Fields["hs_call_body"]}})
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(results), "results": results})
}

// hubspotSearchContacts returns the contacts added for any number in the
// filters' values.
func (s *Server) hubspotSearchContacts(w http.ResponseWriter, body []byte) {
	var req struct {
		FilterGroups []struct {
			Filters []struct {
				Value  string   `json:"value"`
				Values []string `json:"values"`
			} `json:"filters"`
		} `json:"filterGroups"`
	}
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	seen := map[string]bool{}
	var results []map[string]any
	for _, g := range req.FilterGroups {
		for _, f := range g.Filters {
			for _, v := range append([]string{f.Value}, f.Values...) {
				for _, id := range s.contacts[v] {
					if !seen[id] {
						seen[id] = true
						results = append(results, map[string]any{"id": id, "properties": map[string]any{"phone": v},
							"updatedAt": time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
					}
				}
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total": len(results), "results": results})
}

func (s *Server) hubspotOwners(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	id, ok := s.owners[email]
	s.mu.Unlock()
	results := []map[string]any{}
	if ok {
		results = append(results, map[string]any{"id": id, "email": email})
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (s *Server) createContact(w http.ResponseWriter, kind string) {
	s.mu.Lock()
	s.created++
	id := 900 + s.created
	s.mu.Unlock()
	if kind == "pipedrive" {
		writeJSON(w, http.StatusCreated, map[string]any{"success": true, "data": map[string]any{"id": id}})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": strconv.Itoa(id)})
}

func (s *Server) pipedriveCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil || fields["to_phone_number"] == nil || fields["outcome"] == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": "to_phone_number and outcome are required"})
		return
	}
	notes, _ := fields["note"].(string)
	var person []string
	if id, ok := fields["person_id"].(float64); ok {
		person = []string{strconv.FormatFloat(id, 'f', -1, 64)}
	}
	e, hang := s.store(true, fields, notes, person)
	if hang {
		<-r.Context().Done()
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": s.pipedriveLog(e)})
}

// pipedriveLog is the API form of a call log; its activity id is its own
// id plus 100000.
func (s *Server) pipedriveLog(e *Entry) map[string]any {
	id, _ := strconv.Atoi(e.ID)
	return map[string]any{"id": e.ID, "activity_id": id + 100000, "user_id": pipedriveOwner(e), "note": e.Fields["note"]}
}

// pipedriveActivity is the API form of a call log's activity: its note
// and subject as last written, either by the call log or by an update of
// the activity, and the date of the call's start as its due date.
func (s *Server) pipedriveActivity(e *Entry) map[string]any {
	id, _ := strconv.Atoi(e.ID)
	activity := map[string]any{
		"id": id + 100000, "user_id": pipedriveOwner(e), "type": "call", "done": true,
		"due_date": pipedriveDueDate(e), "note": e.Fields["note"], "subject": e.Fields["subject"],
	}
	for _, name := range []string{"note", "subject"} {
		if value, ok := e.Fields["activity."+name]; ok {
			activity[name] = value
		}
	}
	return activity
}

// pipedriveOwner returns the user_id a call log was created with, or
// PipedriveTokenUser when it had none.
func pipedriveOwner(e *Entry) int {
	if id, ok := e.Fields["user_id"].(float64); ok {
		return int(id)
	}
	return PipedriveTokenUser
}

// pipedriveDueDate returns the date of a call log's start_time, "" when
// the fake kept no fields.
func pipedriveDueDate(e *Entry) string {
	start, _ := e.Fields["start_time"].(string)
	date, _, _ := strings.Cut(start, " ")
	return date
}

func (s *Server) pipedriveGet(w http.ResponseWriter, id string) {
	s.mu.Lock()
	e, ok := s.byID[id]
	var log map[string]any
	if ok {
		log = s.pipedriveLog(e)
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": "call log not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": log})
}

// pipedriveList lists the call logs of PipedriveTokenUser, newest first,
// a page of start and limit (at most 50) at a time.
func (s *Server) pipedriveList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var logs []map[string]any
	for i := len(s.entries) - 1; i >= 0; i-- {
		if e := s.entries[i]; e.pipedrive && pipedriveOwner(e) == PipedriveTokenUser {
			logs = append(logs, s.pipedriveLog(e))
		}
	}
	s.mu.Unlock()
	writePipedrivePage(w, r, logs, 50)
}

// pipedriveActivities lists the activities of the call logs of user_id:
// the token's user when it is missing, every user when it is 0. It
// filters by type and by a due date from start_date to end_date, and
// returns a page of start and limit (100 by default).
func (s *Server) pipedriveActivities(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	user := PipedriveTokenUser
	if value := query.Get("user_id"); value != "" {
		n, err := strconv.Atoi(value)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": "user_id must be a number"})
			return
		}
		user = n
	}
	types := strings.Split(query.Get("type"), ",")
	from, to := query.Get("start_date"), query.Get("end_date")

	s.mu.Lock()
	var activities []map[string]any
	for _, e := range s.entries {
		due := pipedriveDueDate(e)
		switch {
		case !e.pipedrive:
		case user != 0 && pipedriveOwner(e) != user:
		case query.Get("type") != "" && !slices.Contains(types, "call"):
		case from != "" && due < from, to != "" && due > to:
		default:
			activities = append(activities, s.pipedriveActivity(e))
		}
	}
	s.mu.Unlock()
	writePipedrivePage(w, r, activities, 500)
}

// writePipedrivePage writes the page of items that the start and limit
// parameters select, with limit at most maxLimit and 100 when missing,
// and the pagination of Pipedrive API v1 lists.
func writePipedrivePage(w http.ResponseWriter, r *http.Request, items []map[string]any, maxLimit int) {
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxLimit)
	start = min(max(start, 0), len(items))
	end := min(start+limit, len(items))
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": items[start:end],
		"additional_data": map[string]any{"pagination": map[string]any{
			"start": start, "limit": limit, "more_items_in_collection": end < len(items)}}})
}

func (s *Server) pipedriveUpdateActivity(w http.ResponseWriter, activity string, body []byte) {
	n, err := strconv.Atoi(activity)
	id := strconv.Itoa(n - 100000)
	var fields map[string]any
	_ = json.Unmarshal(body, &fields)
	s.mu.Lock()
	e, ok := s.byID[id]
	if ok && err == nil {
		for k, v := range fields {
			e.Fields["activity."+k] = v
		}
		e.Updates++
	}
	s.mu.Unlock()
	if !ok || err != nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": "activity not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{"id": n}})
}

func (s *Server) pipedriveUsers(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(r.URL.Query().Get("term"))
	s.mu.Lock()
	id, ok := s.owners[email]
	s.mu.Unlock()
	users := []map[string]any{}
	if ok {
		n, _ := strconv.Atoi(id)
		users = append(users, map[string]any{"id": n, "email": email})
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": users})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may be gone; nothing to do then
}
