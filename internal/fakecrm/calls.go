package fakecrm

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Call is a call engagement the fake stores, as the HubSpot call logger
// wrote it.
type Call struct {
	ID string
	// Properties are the engagement's properties as last written, such as
	// hs_call_body and hs_call_status.
	Properties map[string]string
	// ContactIDs are the contacts the call is associated with.
	ContactIDs []string
	// Updates counts the PATCH requests that changed the call.
	Updates int
}

// callsState is the call engagements of the fake and its failure switch.
type callsState struct {
	calls []*Call
	// failing, when not empty, is the message every create and update of
	// a call is rejected with.
	failing string
}

// Calls returns a copy of the stored call engagements, oldest first.
func (f *CRM) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Call, len(f.callLog.calls))
	for i, c := range f.callLog.calls {
		out[i] = Call{ID: c.ID, Properties: maps.Clone(c.Properties), ContactIDs: slices.Clone(c.ContactIDs), Updates: c.Updates}
	}
	return out
}

// FailCalls makes every later create and update of a call fail with 400
// and message, the status HubSpot returns for invalid property values.
// An empty message ends the failures.
func (f *CRM) FailCalls(message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callLog.failing = message
}

// serveCalls routes the calls API: create, update, search by the
// Switchboard marker in hs_call_body, and a list of every call. It
// reports false for a path it does not serve.
func (f *CRM) serveCalls(w http.ResponseWriter, r *http.Request) bool {
	const prefix = "/crm/v3/objects/calls"
	if r.URL.Path != prefix && !strings.HasPrefix(r.URL.Path, prefix+"/") {
		return false
	}
	id := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, prefix), "/")
	switch {
	case id == "" && r.Method == http.MethodGet:
		f.listCalls(w)
	case id == "" && r.Method == http.MethodPost:
		f.createCall(w, r)
	case id == "search" && r.Method == http.MethodPost:
		f.searchCalls(w, r)
	case id != "" && r.Method == http.MethodPatch:
		f.updateCall(w, r, id)
	default:
		return false
	}
	return true
}

// rejectCall writes the failure FailCalls set as the response, and
// reports whether it did.
func (f *CRM) rejectCall(w http.ResponseWriter) bool {
	f.mu.Lock()
	message := f.callLog.failing
	f.mu.Unlock()
	if message == "" {
		return false
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": message, "category": "VALIDATION_ERROR"})
	return true
}

func (f *CRM) createCall(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Properties   map[string]string `json:"properties"`
		Associations []struct {
			To struct {
				ID string `json:"id"`
			} `json:"to"`
		} `json:"associations"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Properties["hs_timestamp"] == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": "Property hs_timestamp is required.", "category": "VALIDATION_ERROR"})
		return
	}
	if f.rejectCall(w) {
		return
	}

	f.mu.Lock()
	call := &Call{ID: strconv.Itoa(9001 + len(f.callLog.calls)), Properties: body.Properties}
	for _, a := range body.Associations {
		call.ContactIDs = append(call.ContactIDs, a.To.ID)
	}
	f.callLog.calls = append(f.callLog.calls, call)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, callJSON(call))
}

func (f *CRM) updateCall(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Properties map[string]string `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": err.Error(), "category": "VALIDATION_ERROR"})
		return
	}
	if f.rejectCall(w) {
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	for _, call := range f.callLog.calls {
		if call.ID == id {
			maps.Copy(call.Properties, body.Properties)
			call.Updates++
			writeJSON(w, http.StatusOK, callJSON(call))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "Object not found. objectId: " + id, "category": "OBJECT_NOT_FOUND"})
}

// searchCalls matches the calls whose hs_call_body contains the value of
// a CONTAINS_TOKEN filter. The call logger searches this way for a call
// it may have created before it lost the response.
func (f *CRM) searchCalls(w http.ResponseWriter, r *http.Request) {
	var body searchBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	results := []map[string]any{}
	for _, call := range f.callLog.calls {
		for _, g := range body.FilterGroups {
			for _, filter := range g.Filters {
				if filter.PropertyName == "hs_call_body" && filter.Value != "" && strings.Contains(call.Properties["hs_call_body"], filter.Value) {
					results = append(results, callJSON(call))
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(results), "results": results})
}

// listCalls serves GET /crm/v3/objects/calls: every call in one page, so
// a person trying Switchboard can see what was logged.
func (f *CRM) listCalls(w http.ResponseWriter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	results := []map[string]any{}
	for _, call := range f.callLog.calls {
		results = append(results, callJSON(call))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func callJSON(c *Call) map[string]any {
	return map[string]any{"id": c.ID, "properties": c.Properties, "archived": false}
}
