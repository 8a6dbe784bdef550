package crmsync

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeToken is the private app token the fake HubSpot accepts.
const fakeToken = "pat-na1-sync-test"

// fakeContact is one contact of the fake HubSpot.
type fakeContact struct {
	ID         string
	Properties map[string]any
	Modified   time.Time
	ArchivedAt *time.Time
}

type fakeOwner struct {
	ID, Email, FirstName, LastName string
}

// fakeHubSpot is a HubSpot account on loopback holding contacts that a
// test adds, changes and archives. It serves what the connector's
// ListChanged reads, shaped as HubSpot documents it: the contact search
// (filter on lastmodifieddate GTE, sorted ascending, 200 per page, paging
// by an "after" offset), the archived contact list (100 per page) and the
// owners.
type fakeHubSpot struct {
	t   *testing.T
	URL string

	mu       sync.Mutex
	contacts map[string]*fakeContact
	owners   map[string]fakeOwner
	token    string
	// clock is the time of the next change; every change moves it one
	// second, so no two changes share a modification time.
	clock time.Time
	// searches counts the search requests received.
	searches int
	// searchAfters are the "after" values of the search requests, "" for
	// a first page.
	searchAfters []string
	// intercept, when set, may write the response to search request
	// number n (1 first) in place of HubSpot. It returns true when it did.
	intercept func(w http.ResponseWriter, r *http.Request, n int) bool
}

func newFakeHubSpot(t *testing.T) *fakeHubSpot {
	f := &fakeHubSpot{
		t:        t,
		contacts: map[string]*fakeContact{},
		owners: map[string]fakeOwner{
			"901": {ID: "901", Email: "bo@acme.example", FirstName: "Bo", LastName: "Diaz"},
			"902": {ID: "902", Email: "cy@acme.example", FirstName: "Cy", LastName: "Ng"},
			"903": {ID: "903", Email: "di@acme.example", FirstName: "Di", LastName: "Okafor"},
		},
		token: fakeToken,
		clock: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v3/objects/contacts/search", f.search)
	mux.HandleFunc("GET /crm/v3/objects/contacts", f.listArchived)
	mux.HandleFunc("GET /crm/v3/owners/{id}", f.owner)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// tick returns the time of a change and moves the clock on.
func (f *fakeHubSpot) tick() time.Time {
	at := f.clock
	f.clock = f.clock.Add(time.Second)
	return at
}

// add creates n contacts with ids from first on, each with a work phone
// and an owner, and returns their ids.
func (f *fakeHubSpot) add(first, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, n)
	for i := range n {
		number := first + i
		id := strconv.Itoa(number)
		f.contacts[id] = &fakeContact{
			ID: id,
			Properties: map[string]any{
				"firstname":        "First" + id,
				"lastname":         "Last" + id,
				"email":            "c" + id + "@example.com",
				"phone":            fmt.Sprintf("(415) 2%02d-%04d", number/10000, number%10000),
				"mobilephone":      nil,
				"company":          "Acme " + id,
				"hubspot_owner_id": []string{"901", "902", "903"}[number%3],
			},
			Modified: f.tick(),
		}
		ids[i] = id
	}
	return ids
}

// set changes properties of contact id and its modification time.
func (f *fakeHubSpot) set(id string, properties map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.contacts[id]
	for name, value := range properties {
		c.Properties[name] = value
	}
	c.Modified = f.tick()
}

// archive deletes contact id the way HubSpot does: it moves to the
// archived list with the time of the deletion.
func (f *fakeHubSpot) archive(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := f.tick()
	f.contacts[id].ArchivedAt = &at
}

// setToken replaces the token the fake accepts, as a revoked or rotated
// private app token would.
func (f *fakeHubSpot) setToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = token
}

// setIntercept sets or clears the intercept of search requests.
func (f *fakeHubSpot) setIntercept(fn func(http.ResponseWriter, *http.Request, int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

// afters returns the "after" values of the search requests so far.
func (f *fakeHubSpot) afters() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.searchAfters...)
}

// resetSearches clears the count and record of search requests.
func (f *fakeHubSpot) resetSearches() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches, f.searchAfters = 0, nil
}

// latest returns the latest modification time of a live contact.
func (f *fakeHubSpot) latest() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var latest time.Time
	for _, c := range f.contacts {
		if c.ArchivedAt == nil && c.Modified.After(latest) {
			latest = c.Modified
		}
	}
	return latest
}

// live returns the contacts not archived, by id.
func (f *fakeHubSpot) live() map[string]fakeContact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]fakeContact{}
	for id, c := range f.contacts {
		if c.ArchivedAt == nil {
			out[id] = *c
		}
	}
	return out
}

func (f *fakeHubSpot) authorized(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	token := f.token
	f.mu.Unlock()
	if r.Header.Get("Authorization") == "Bearer "+token {
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication.","correlationId":"9a3c5d1e-2b4f-4e6a-8c7d-0f1e2d3c4b5a","category":"INVALID_AUTHENTICATION"}`)
	return false
}

// searchRequest is the body of POST /crm/v3/objects/contacts/search.
type searchRequest struct {
	FilterGroups []struct {
		Filters []struct {
			PropertyName string `json:"propertyName"`
			Operator     string `json:"operator"`
			Value        string `json:"value"`
		} `json:"filters"`
	} `json:"filterGroups"`
	Sorts []struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	} `json:"sorts"`
	Limit int    `json:"limit"`
	After string `json:"after"`
}

func (f *fakeHubSpot) search(w http.ResponseWriter, r *http.Request) {
	var req searchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"status":"error","message":"Invalid input JSON"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.searches++
	n := f.searches
	f.searchAfters = append(f.searchAfters, req.After)
	intercept := f.intercept
	f.mu.Unlock()
	if intercept != nil && intercept(w, r, n) {
		return
	}
	if !f.authorized(w, r) {
		return
	}

	since, ok := f.checkSearch(req)
	if !ok {
		http.Error(w, `{"status":"error","message":"unexpected search request","category":"VALIDATION_ERROR"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var matched []*fakeContact
	for _, c := range f.contacts {
		if c.ArchivedAt == nil && c.Modified.UnixMilli() >= since {
			matched = append(matched, c)
		}
	}
	slices.SortFunc(matched, func(a, b *fakeContact) int {
		if c := a.Modified.Compare(b.Modified); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	body := f.page(matched, req.After, req.Limit, true)
	f.mu.Unlock()
	writeJSON(w, body)
}

// checkSearch returns the GTE bound of the search the connector sends,
// and false for any other search.
func (f *fakeHubSpot) checkSearch(req searchRequest) (int64, bool) {
	if len(req.FilterGroups) != 1 || len(req.FilterGroups[0].Filters) != 1 || len(req.Sorts) != 1 || req.Limit < 1 || req.Limit > 200 {
		return 0, false
	}
	filter, sort := req.FilterGroups[0].Filters[0], req.Sorts[0]
	if filter.PropertyName != "lastmodifieddate" || filter.Operator != "GTE" ||
		sort.PropertyName != "lastmodifieddate" || sort.Direction != "ASCENDING" {
		return 0, false
	}
	since, err := strconv.ParseInt(filter.Value, 10, 64)
	return since, err == nil
}

func (f *fakeHubSpot) listArchived(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if r.URL.Query().Get("archived") != "true" {
		http.Error(w, `{"status":"error","message":"only the archived list is served"}`, http.StatusBadRequest)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	f.mu.Lock()
	var archived []*fakeContact
	for _, c := range f.contacts {
		if c.ArchivedAt != nil {
			archived = append(archived, c)
		}
	}
	slices.SortFunc(archived, func(a, b *fakeContact) int { return strings.Compare(a.ID, b.ID) })
	body := f.page(archived, r.URL.Query().Get("after"), min(max(limit, 1), 100), false)
	f.mu.Unlock()
	writeJSON(w, body)
}

// page returns the HubSpot page of contacts starting at the offset after.
func (f *fakeHubSpot) page(contacts []*fakeContact, after string, limit int, withTotal bool) map[string]any {
	offset, _ := strconv.Atoi(after)
	end := min(offset+limit, len(contacts))
	results := []map[string]any{}
	for _, c := range contacts[min(offset, end):end] {
		results = append(results, contactJSON(c))
	}
	body := map[string]any{"results": results}
	if withTotal {
		body["total"] = len(contacts)
	}
	if end < len(contacts) {
		next := strconv.Itoa(end)
		body["paging"] = map[string]any{"next": map[string]any{"after": next, "link": "?after=" + next}}
	}
	return body
}

// contactJSON is a contact as the objects and search APIs return it:
// every property a string or null.
func contactJSON(c *fakeContact) map[string]any {
	properties := map[string]any{"hs_object_id": c.ID, "lastmodifieddate": c.Modified.Format(time.RFC3339Nano)}
	for name, value := range c.Properties {
		properties[name] = value
	}
	object := map[string]any{
		"id": c.ID, "properties": properties, "createdAt": "2025-06-01T08:00:00Z",
		"updatedAt": c.Modified.Format(time.RFC3339Nano), "archived": c.ArchivedAt != nil,
	}
	if c.ArchivedAt != nil {
		object["archivedAt"] = c.ArchivedAt.Format(time.RFC3339Nano)
		object["updatedAt"] = c.ArchivedAt.Format(time.RFC3339Nano)
	}
	return object
}

func (f *fakeHubSpot) owner(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	o, ok := f.owners[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"status":"error","message":"Owner not found","category":"OBJECT_NOT_FOUND"}`)
		return
	}
	writeJSON(w, map[string]any{
		"id": o.ID, "email": o.Email, "firstName": o.FirstName, "lastName": o.LastName, "userId": 7000000,
		"createdAt": "2024-02-01T10:00:00Z", "updatedAt": "2025-02-01T10:00:00Z", "archived": false,
	})
}

func writeJSON(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// failWith returns an intercept that responds to search request n with
// status, headers (name, value pairs) and body.
func failWith(n, status int, body string, headers ...string) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, _ *http.Request, got int) bool {
		if got != n {
			return false
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return true
	}
}
