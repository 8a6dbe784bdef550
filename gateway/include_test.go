package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// includeFixture is a phonebook with one contact, Ann, whose external id
// is crm-1 and who has one matched call.
type includeFixture struct {
	ts        *testServer
	c         *specClient
	admin     string
	phonebook phonebookView
	ann       contactView
}

func setupInclude(t *testing.T) includeFixture {
	t.Helper()
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	f := includeFixture{ts: ts, c: newSpecClient(t, ts), admin: bearer(ts.AdminKey)}
	ts.admin(t).post("/v1/phonebooks", map[string]any{"name": "Customers"}).decode(t, http.StatusCreated, &f.phonebook)
	ts.admin(t).post("/v1/contacts", map[string]any{
		"phonebook_id": f.phonebook.ID, "first_name": "Ann", "external_id": "crm-1",
		"phone_numbers": []map[string]string{{"number": "+14155550142"}},
	}).decode(t, http.StatusCreated, &f.ann)
	insertCall(t, st, ts.Workspace.ID, &f.ann, "c-1")
	// A listing shows only calls created before its snapshot bound, one
	// millisecond before the request.
	time.Sleep(2 * time.Millisecond)
	return f
}

func TestIncludeRepeatedParameterMerged(t *testing.T) {
	f := setupInclude(t)

	var detail contactDetailView
	resp := f.c.send(http.MethodGet, "/v1/contacts/"+f.ann.ID+"?include=calls&include=phonebook", "", "Authorization", f.admin)

	require.NoError(t, json.Unmarshal(resp.Body, &detail), "body: %s", resp.Body)
	require.NotNil(t, detail.Phonebook)
	require.Equal(t, f.phonebook.ID, detail.Phonebook.ID)
	require.NotNil(t, detail.Calls)
	require.Len(t, *detail.Calls, 1)
}

func TestIncludeRepeatedUnknownValue(t *testing.T) {
	f := setupInclude(t)
	paths := []string{
		"/v1/contacts/" + f.ann.ID + "?include=phonebook&include=bogus",
		"/v1/contacts?include=phonebook&include=bogus",
		"/v1/calls?include=contact&include=bogus",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			p := f.c.send(http.MethodGet, path, "", "Authorization", f.admin).problem(t, http.StatusBadRequest)

			require.Contains(t, p.Detail, `"bogus"`)
		})
	}
}

func TestIncludeRepeatedKeptInNextURL(t *testing.T) {
	f := setupInclude(t)
	f.ts.admin(t).post("/v1/contacts", map[string]any{"phonebook_id": f.phonebook.ID, "first_name": "Bob"}).decode(t, http.StatusCreated, &contactView{})
	// The listing's snapshot bound is one millisecond before the request.
	time.Sleep(2 * time.Millisecond)

	var page listResponse[contactDetailView]
	resp := f.c.send(http.MethodGet, "/v1/contacts?limit=1&include=phonebook&include=phonebook", "", "Authorization", f.admin)
	require.NoError(t, json.Unmarshal(resp.Body, &page), "body: %s", resp.Body)

	next, err := url.Parse(page.NextURL)
	require.NoError(t, err)
	require.Equal(t, []string{"phonebook,phonebook"}, next.Query()["include"])
	resp = f.c.send(http.MethodGet, page.NextURL, "", "Authorization", f.admin)
	require.NoError(t, json.Unmarshal(resp.Body, &page), "body: %s", resp.Body)
	require.NotNil(t, page.Data[0].Phonebook)
}

func TestIncludeByExternalID(t *testing.T) {
	f := setupInclude(t)

	var detail contactDetailView
	resp := f.c.send(http.MethodGet, "/v1/phonebooks/"+f.phonebook.ID+"/contacts/by-external-id/crm-1?include=phonebook,calls", "", "Authorization", f.admin)

	require.NoError(t, json.Unmarshal(resp.Body, &detail), "body: %s", resp.Body)
	require.Equal(t, f.ann.ID, detail.ID)
	require.NotNil(t, detail.Phonebook)
	require.Equal(t, f.phonebook.ID, detail.Phonebook.ID)
	require.NotNil(t, detail.Calls)
	require.Len(t, *detail.Calls, 1)
}

func TestIncludeLookup(t *testing.T) {
	f := setupInclude(t)

	var result listResponse[contactDetailView]
	resp := f.c.send(http.MethodGet, "/v1/contacts/lookup?phone=%2B14155550142&include=phonebook", "", "Authorization", f.admin)

	require.NoError(t, json.Unmarshal(resp.Body, &result), "body: %s", resp.Body)
	require.Len(t, result.Data, 1)
	require.NotNil(t, result.Data[0].Phonebook)
	require.Equal(t, f.phonebook.ID, result.Data[0].Phonebook.ID)

	p := f.c.send(http.MethodGet, "/v1/contacts/lookup?phone=%2B14155550142&include=calls", "", "Authorization", f.admin).problem(t, http.StatusBadRequest)
	require.Contains(t, p.Detail, "allowed values: phonebook")
}

func TestIncludeRejectedWhereUnsupported(t *testing.T) {
	f := setupInclude(t)
	client := f.ts.admin(t)
	paths := []string{
		"/v1/phonebooks?include=contacts",
		"/v1/phonebooks/" + f.phonebook.ID + "?include=contacts",
		"/v1/contacts/deleted?include=phonebook",
		"/v1/webhooks?include=deliveries",
		"/v1/meta/object-types?include=fields",
		"/v1/custom-fields?include=",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			p := client.get(path).problem(t, http.StatusBadRequest)

			require.Contains(t, p.Detail, "not supported by this endpoint")
		})
	}
}

func TestIncludeCheckedAfterScope(t *testing.T) {
	f := setupInclude(t)
	callsOnly := f.ts.newKey(t, f.ts.Workspace.ID, ScopeCallsRead)

	resp := f.ts.client(t, callsOnly).get("/v1/phonebooks?include=contacts")

	resp.problem(t, http.StatusForbidden)
}
