// Package fakecrm is a HubSpot-shaped CRM for trying Switchboard and for
// browser tests, served on loopback from memory. It serves the requests
// of the HubSpot connector (crm/hubspot) in the shapes that connector
// decodes: account details, contacts, their search, properties, owners
// and the call engagements that call logging creates and updates. Its
// OAuth 2.0 authorization-code flow approves every request at once. It
// keeps no state on disk and checks nothing but the bearer token.
package fakecrm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-oss/switchboard/internal/secret"
)

// Token is the private app token the fake accepts, besides the access
// tokens its OAuth flow issues.
const Token = "pat-fake-0123456789"

// PortalID is the account id the fake reports.
const PortalID = 4242

// Contact is one contact of the fake CRM.
type Contact struct {
	ID        string
	FirstName string
	LastName  string
	Company   string
	Email     string
	Phone     string
	Mobile    string
	// Tier fills the custom property customer_tier.
	Tier    string
	OwnerID string
}

// Owner is a HubSpot user who owns contacts.
type Owner struct {
	ID, FirstName, LastName, Email string
}

// CRM is the fake's data and HTTP handler. It is safe for concurrent use.
type CRM struct {
	mu       sync.Mutex
	contacts []Contact
	owners   []Owner
	tokens   map[string]bool
	codes    map[string]bool
	modified time.Time
	callLog  callsState
}

// New returns a fake holding contacts and owners, all last modified now.
func New(contacts []Contact, owners []Owner) *CRM {
	return &CRM{
		contacts: slices.Clone(contacts), owners: slices.Clone(owners),
		tokens: map[string]bool{Token: true}, codes: map[string]bool{},
		modified: time.Now().UTC().Truncate(time.Millisecond),
	}
}

// Sample returns the contacts and owner that `make fake-crm` serves, with
// numbers in the ranges set aside for fiction.
func Sample() ([]Contact, []Owner) {
	owners := []Owner{{ID: "77", FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com"}}
	contacts := []Contact{
		{ID: "101", FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines", Email: "ada@example.com", Phone: "+14155550101", Tier: "gold", OwnerID: "77"},
		{ID: "102", FirstName: "Alan", LastName: "Turing", Company: "Bletchley Park", Email: "alan@example.com", Mobile: "+442079460018", Tier: "silver", OwnerID: "77"},
		{ID: "103", FirstName: "Katherine", LastName: "Johnson", Company: "Langley", Email: "katherine@example.com", Phone: "+14155550103"},
	}
	return contacts, owners
}

// ServeHTTP routes a request to the API it imitates.
func (f *CRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/oauth/authorize":
		f.authorize(w, r)
		return
	case r.URL.Path == "/oauth/v1/token" && r.Method == http.MethodPost:
		f.token(w, r)
		return
	}
	if !f.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"status": "error", "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"})
		return
	}

	if f.serveCalls(w, r) {
		return
	}
	switch {
	case r.URL.Path == "/account-info/v3/details":
		writeJSON(w, http.StatusOK, map[string]any{"portalId": PortalID, "timeZone": "UTC", "uiDomain": "app.hubspot.com"})
	case r.URL.Path == "/crm/v3/properties/contacts":
		writeJSON(w, http.StatusOK, map[string]any{"results": properties})
	case r.URL.Path == "/crm/v3/owners":
		writeJSON(w, http.StatusOK, map[string]any{"results": f.ownerList()})
	case strings.HasPrefix(r.URL.Path, "/crm/v3/owners/"):
		f.owner(w, strings.TrimPrefix(r.URL.Path, "/crm/v3/owners/"))
	case r.URL.Path == "/crm/v3/objects/contacts" && r.Method == http.MethodGet:
		f.list(w, r)
	case r.URL.Path == "/crm/v3/objects/contacts/search" && r.Method == http.MethodPost:
		f.search(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "No route " + r.Method + " " + r.URL.Path + " in the fake CRM."})
	}
}

// properties are the contact properties GET /crm/v3/properties/contacts
// lists: HubSpot's built-in ones that the connector reads and one custom
// property.
var properties = []map[string]any{
	{"name": "firstname", "label": "First name", "type": "string"},
	{"name": "lastname", "label": "Last name", "type": "string"},
	{"name": "company", "label": "Company name", "type": "string"},
	{"name": "email", "label": "Email", "type": "string"},
	{"name": "phone", "label": "Phone number", "type": "string"},
	{"name": "mobilephone", "label": "Mobile phone number", "type": "string"},
	{"name": "hubspot_owner_id", "label": "Contact owner", "type": "enumeration"},
	{"name": "lastmodifieddate", "label": "Last modified date", "type": "datetime"},
	{"name": "customer_tier", "label": "Customer tier", "type": "enumeration",
		"options": []map[string]string{{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}}},
}

func (f *CRM) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return ok && f.tokens[token]
}

// authorize approves the consent at once: it sends the browser back to
// redirect_uri with a new code and the state it was given.
func (f *CRM) authorize(w http.ResponseWriter, r *http.Request) {
	redirect, err := url.Parse(r.URL.Query().Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" {
		http.Error(w, "redirect_uri is missing or not a URL", http.StatusBadRequest)
		return
	}
	code := secret.RandomToken(16)
	f.mu.Lock()
	f.codes[code] = true
	f.mu.Unlock()

	q := redirect.Query()
	q.Set("code", code)
	q.Set("state", r.URL.Query().Get("state"))
	redirect.RawQuery = q.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code or a refresh token for an access token.
func (f *CRM) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		if !f.codes[r.PostForm.Get("code")] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "unknown code"})
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
	case "refresh_token":
		if !f.tokens[r.PostForm.Get("refresh_token")] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "unknown refresh token"})
			return
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	access, refresh := secret.RandomToken(24), secret.RandomToken(24)
	f.tokens[access], f.tokens[refresh] = true, true
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "refresh_token": refresh, "expires_in": 1800, "token_type": "bearer"})
}

func (f *CRM) ownerList() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]string{}
	for _, o := range f.owners {
		out = append(out, ownerJSON(o))
	}
	return out
}

func (f *CRM) owner(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.owners {
		if o.ID == id {
			writeJSON(w, http.StatusOK, ownerJSON(o))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "owner not found"})
}

func ownerJSON(o Owner) map[string]string {
	return map[string]string{"id": o.ID, "firstName": o.FirstName, "lastName": o.LastName, "email": o.Email}
}

// list serves GET /crm/v3/objects/contacts: every contact in one page, or
// none when archived contacts are asked for, because the fake deletes
// nothing.
func (f *CRM) list(w http.ResponseWriter, r *http.Request) {
	results := f.objects(func(Contact) bool { return r.URL.Query().Get("archived") != "true" })
	if limit, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && limit < len(results) {
		results = results[:limit]
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// searchBody is the part of a search request the fake reads.
type searchBody struct {
	FilterGroups []struct {
		Filters []struct {
			PropertyName string   `json:"propertyName"`
			Operator     string   `json:"operator"`
			Value        string   `json:"value"`
			Values       []string `json:"values"`
		} `json:"filters"`
	} `json:"filterGroups"`
}

// search serves the modified-since search of a sync and the phone search
// of a lookup. A contact matches when any filter group matches. A group
// matches when its lastmodifieddate filter holds, or when one of its phone
// values equals the contact's number.
func (f *CRM) search(w http.ResponseWriter, r *http.Request) {
	var body searchBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "error", "message": err.Error()})
		return
	}
	results := f.objects(func(c Contact) bool {
		for _, g := range body.FilterGroups {
			for _, filter := range g.Filters {
				values := append([]string{filter.Value}, filter.Values...)
				switch filter.PropertyName {
				case "lastmodifieddate":
					since, _ := strconv.ParseInt(filter.Value, 10, 64)
					if f.modified.UnixMilli() >= since {
						return true
					}
				case "phone", "mobilephone", "hs_searchable_calculated_phone_number", "hs_searchable_calculated_mobile_number":
					for _, v := range values {
						if v != "" && (digits(v) == digits(c.Phone) || digits(v) == digits(c.Mobile)) {
							return true
						}
					}
				}
			}
		}
		return false
	})
	writeJSON(w, http.StatusOK, map[string]any{"total": len(results), "results": results})
}

// objects returns the contacts that keep selects as HubSpot contact
// objects.
func (f *CRM) objects(keep func(Contact) bool) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	modified := f.modified.Format(time.RFC3339Nano)
	for _, c := range f.contacts {
		if !keep(c) {
			continue
		}
		out = append(out, map[string]any{
			"id": c.ID,
			"properties": map[string]any{
				"hs_object_id": c.ID, "firstname": c.FirstName, "lastname": c.LastName, "company": c.Company,
				"email": c.Email, "phone": nullable(c.Phone), "mobilephone": nullable(c.Mobile),
				"customer_tier": nullable(c.Tier), "hubspot_owner_id": nullable(c.OwnerID), "lastmodifieddate": modified,
			},
			"createdAt": modified, "updatedAt": modified, "archived": false,
		})
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Println("fakecrm: write response:", err)
	}
}
