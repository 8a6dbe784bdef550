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

// parseInclude reads the comma-separated include parameter. A value not in
// allowed is a 400 problem listing the allowed values, and calls without
// the calls:read scope is a 403, because it would show calls.
func parseInclude(c echo.Context, allowed ...string) (map[string]bool, error) {
	includes := map[string]bool{}
	raw := c.QueryParam("include")
	if raw == "" {
		return includes, nil
	}
	for _, value := range strings.Split(raw, ",") {
		value = strings.TrimSpace(value)
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

// withInclude adds the include parameter of the request to a next_url, so
// the following pages embed the same objects.
func withInclude(c echo.Context, nextURL string) string {
	if nextURL == "" || c.QueryParam("include") == "" {
		return nextURL
	}
	return nextURL + "&" + url.Values{"include": {c.QueryParam("include")}}.Encode()
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
