package gateway

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/store"
)

// Values of the include query parameter, which embeds related objects in a
// response to save round trips.
const (
	includeContact   = "contact"
	includePhonebook = "phonebook"
	includeCalls     = "calls"
)

// includedCallsLimit is how many calls include=calls embeds in a contact:
// the most recent ones, by created_at. GET /v1/calls?contact_id= pages
// through all of them.
const includedCallsLimit = 10

// parseInclude reads the include parameter: comma-separated values, and
// a repeated parameter adds its values, so include=a&include=b is
// include=a,b. A value not in allowed is a 400 problem listing the allowed
// values, and calls without the calls:read scope is a 403, because it
// would show calls.
func parseInclude(c echo.Context, allowed ...string) (map[string]bool, error) {
	includes := map[string]bool{}
	for _, value := range includeValues(c) {
		if !slices.Contains(allowed, value) {
			return nil, queryProblem("include", "has %q, which this endpoint cannot include; allowed values: %s", value, strings.Join(allowed, ", "))
		}
		includes[value] = true
	}
	if includes[includeCalls] && !principalOf(c).Has(ScopeCallsRead) {
		return nil, newProblem(probForbidden, "include=calls needs the %q scope, which this credential lacks.", ScopeCallsRead)
	}
	return includes, nil
}

// includeValues returns the values of every include parameter of the
// request, split at commas, with blanks dropped.
func includeValues(c echo.Context) []string {
	var values []string
	for _, raw := range c.QueryParams()["include"] {
		for _, value := range strings.Split(raw, ",") {
			if value = strings.TrimSpace(value); value != "" {
				values = append(values, value)
			}
		}
	}
	return values
}

// rejectInclude returns a 400 for a request with an include parameter. It
// runs on every /v1 route whose handler does not read include, so a client
// can tell "not supported here" from "nothing to embed".
func rejectInclude(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, sent := c.QueryParams()["include"]; sent {
			return queryProblem("include", "is not supported by this endpoint, which embeds no related objects; remove the parameter")
		}
		return next(c)
	}
}

// withInclude adds the include values of the request to a next_url, so
// the following pages embed the same objects.
func withInclude(c echo.Context, nextURL string) string {
	values := includeValues(c)
	if nextURL == "" || len(values) == 0 {
		return nextURL
	}
	return nextURL + "&" + url.Values{"include": {strings.Join(values, ",")}}.Encode()
}

// contactDetailView is a contact with the related objects include asked
// for. Fields not asked for are left out, so without include the response
// is a plain contact.
type contactDetailView struct {
	contactView
	Phonebook *phonebookView `json:"phonebook,omitempty"`
	// Calls holds the most recent calls matched to the contact, newest
	// first.
	Calls *[]callView `json:"calls,omitempty"`
}

// viewContactsWith returns the views of contacts, with their phonebooks
// when includes contains phonebook, read with one query for the page.
func (s *Server) viewContactsWith(ctx context.Context, workspaceID string, contacts []store.Contact, includes map[string]bool) ([]contactDetailView, error) {
	views := make([]contactDetailView, len(contacts))
	for i, c := range contacts {
		views[i] = contactDetailView{contactView: viewContact(c)}
	}
	if !includes[includePhonebook] || len(contacts) == 0 {
		return views, nil
	}

	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.PhonebookID
	}
	phonebooks, err := s.store.GetPhonebooksByIDs(ctx, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	for i, c := range contacts {
		if p, ok := phonebooks[c.PhonebookID]; ok {
			pv := viewPhonebook(p)
			views[i].Phonebook = &pv
		}
	}
	return views, nil
}

// viewContactDetail returns the view of one contact with the related
// objects includes names.
func (s *Server) viewContactDetail(ctx context.Context, workspaceID string, contact store.Contact, includes map[string]bool) (contactDetailView, error) {
	views, err := s.viewContactsWith(ctx, workspaceID, []store.Contact{contact}, includes)
	if err != nil {
		return contactDetailView{}, err
	}
	view := views[0]
	if includes[includeCalls] {
		calls, err := s.recentCalls(ctx, workspaceID, contact.ID)
		if err != nil {
			return contactDetailView{}, err
		}
		view.Calls = &calls
	}
	return view, nil
}

// recentCalls returns the views of the most recent calls matched to the
// contact, newest first.
func (s *Server) recentCalls(ctx context.Context, workspaceID, contactID string) ([]callView, error) {
	calls, _, err := s.store.ListCalls(ctx, store.CallQuery{
		WorkspaceID: workspaceID, ContactID: contactID, SortBy: "created_at", Desc: true, Limit: includedCallsLimit,
	})
	if err != nil {
		return nil, err
	}
	views := make([]callView, len(calls))
	for i, call := range calls {
		views[i] = viewCall(call)
	}
	return views, nil
}

// callWithContactView is a call of a listing with include=contact: its
// matched contact, null when none matched or the contact was deleted.
type callWithContactView struct {
	callView
	Contact *contactView `json:"contact"`
}

// viewCallsWithContacts adds their contacts to views, the views of calls,
// read with one query for the whole page.
func (s *Server) viewCallsWithContacts(ctx context.Context, workspaceID string, calls []store.Call, views []callView) ([]callWithContactView, error) {
	var ids []string
	for _, call := range calls {
		if call.ContactID != nil {
			ids = append(ids, *call.ContactID)
		}
	}
	contacts, err := s.store.GetContactsByIDs(ctx, workspaceID, ids)
	if err != nil {
		return nil, err
	}

	out := make([]callWithContactView, len(calls))
	for i, call := range calls {
		out[i] = callWithContactView{callView: views[i]}
		if call.ContactID == nil {
			continue
		}
		if c, ok := contacts[*call.ContactID]; ok {
			cv := viewContact(c)
			out[i].Contact = &cv
		}
	}
	return out, nil
}
