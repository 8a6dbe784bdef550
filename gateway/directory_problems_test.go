package gateway

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// directoryState is everything a client of the workspace can see of its
// directory, to compare before and after requests that must fail.
type directoryState struct {
	Phonebooks []phonebookView
	Contacts   []contactView
	Deleted    []tombstoneView
}

func readDirectory(t *testing.T, cl *testClient) directoryState {
	t.Helper()
	waitNextMillisecond()
	var state directoryState
	var phonebooks listResponse[phonebookView]
	cl.get("/v1/phonebooks?limit=1000").decode(t, http.StatusOK, &phonebooks)
	state.Phonebooks = phonebooks.Data
	state.Contacts, _ = listAll(t, cl, "/v1/contacts?limit=1000")
	var deleted listResponse[tombstoneView]
	cl.get("/v1/contacts/deleted?limit=1000").decode(t, http.StatusOK, &deleted)
	state.Deleted = deleted.Data
	return state
}

func TestDirectoryProblems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		admin := ts.admin(t)
		readOnly := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeDirectoryRead))
		anonymous := ts.client(t, "")
		pb := createPhonebook(t, admin, "Customers")
		ann := createContact(t, admin, obj{"phonebook_id": pb.ID, "external_id": "crm-1", "first_name": "Ann"})
		createContact(t, admin, obj{"phonebook_id": pb.ID, "first_name": "Bob"})
		before := readDirectory(t, admin)

		var page listResponse[contactView]
		admin.get("/v1/contacts?limit=1").decode(t, http.StatusOK, &page)
		require.True(t, page.HasMore)
		forged := []byte(page.NextCursor)
		forged[len(forged)/3] ^= 1

		tests := []struct {
			name   string
			client *testClient
			method string
			path   string
			body   any
			header []string
			status int
			field  string
			detail string
		}{
			{name: "malformed json", method: "POST", path: "/v1/contacts", body: `{"phonebook_id":`, header: jsonType, status: 400, detail: "not valid JSON"},
			{name: "two json values", method: "POST", path: "/v1/contacts", body: `{} {}`, header: jsonType, status: 400},
			{name: "null body on put", method: "PUT", path: "/v1/contacts/" + ann.ID, body: `null`, header: jsonType, status: 400, detail: "null"},
			{name: "null merge patch", method: "PATCH", path: "/v1/contacts/" + ann.ID, body: `null`, header: []string{"Content-Type", "application/merge-patch+json"}, status: 400},
			{name: "string merge patch", method: "PATCH", path: "/v1/contacts/" + ann.ID, body: `"x"`, header: []string{"Content-Type", "application/merge-patch+json"}, status: 400},
			{name: "empty body", method: "POST", path: "/v1/contacts", body: ``, header: jsonType, status: 400, detail: "empty"},
			{name: "wrong type", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "emails": "ann@example.com"}, status: 422, field: "emails"},
			{name: "wrong nested type", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "phone_numbers": []obj{{"number": 4155550100}}}, status: 422, field: "phone_numbers.number"},
			{name: "unknown field", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "nickname": "A"}, status: 422, field: "nickname"},
			{name: "read-only field", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "id": "ct_x"}, status: 422, field: "id"},
			{name: "missing phonebook_id", method: "POST", path: "/v1/contacts", body: obj{"first_name": "A"}, status: 422, field: "phonebook_id"},
			{name: "body over limit", method: "POST", path: "/v1/contacts", body: bytes.Repeat([]byte(" "), 10<<20), header: jsonType, status: 413},
			{name: "wrong content type", method: "POST", path: "/v1/contacts", body: `{}`, header: []string{"Content-Type", "text/plain"}, status: 415, detail: "text/plain"},
			{name: "no content type", method: "POST", path: "/v1/contacts", body: `{}`, status: 415},
			{name: "invalid phone", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "phone_numbers": []obj{{"number": "555-CALL-ME-MAYBE-NOW"}}}, status: 422, field: "phone_numbers[0].number", detail: ""},
			{name: "invalid email on put", method: "PUT", path: "/v1/contacts/" + ann.ID, body: obj{"emails": []string{"ann"}}, status: 422, field: "emails[0]"},
			{name: "duplicate external_id", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "external_id": "crm-1"}, status: 409, detail: "crm-1"},
			{name: "phonebook with contacts", method: "DELETE", path: "/v1/phonebooks/" + pb.ID, status: 409},
			{name: "forged cursor", method: "GET", path: "/v1/contacts?cursor=" + url.QueryEscape(string(forged)), status: 400, field: "cursor", detail: "cursor is invalid"},
			{name: "truncated cursor", method: "GET", path: "/v1/contacts?cursor=" + url.QueryEscape(page.NextCursor[:20]), status: 400, field: "cursor"},
			{name: "cursor of another list", method: "GET", path: "/v1/contacts/deleted?cursor=" + url.QueryEscape(page.NextCursor), status: 400, field: "cursor"},
			{name: "limit zero", method: "GET", path: "/v1/contacts?limit=0", status: 400, field: "limit"},
			{name: "limit over max", method: "GET", path: "/v1/contacts?limit=1001", status: 400, field: "limit"},
			{name: "limit not a number", method: "GET", path: "/v1/phonebooks?limit=ten", status: 400, field: "limit"},
			{name: "bad sort", method: "GET", path: "/v1/contacts?sort=name", status: 400, field: "sort"},
			{name: "bad order", method: "GET", path: "/v1/contacts?order=up", status: 400, field: "order"},
			{name: "bad time", method: "GET", path: "/v1/contacts?updated_since=2024-13-01", status: 400, field: "updated_since"},
			{name: "no credential", client: anonymous, method: "GET", path: "/v1/contacts", status: 401},
			{name: "invalid credential", client: ts.client(t, "sbk_nope"), method: "GET", path: "/v1/contacts", status: 401},
			{name: "read-only key creates", client: readOnly, method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID}, status: 403, detail: "directory:write"},
			{name: "read-only key patches", client: readOnly, method: "PATCH", path: "/v1/contacts/" + ann.ID, body: obj{"first_name": "B"}, status: 403},
			{name: "read-only key deletes", client: readOnly, method: "DELETE", path: "/v1/contacts/" + ann.ID, status: 403},
			{name: "read-only key imports", client: readOnly, method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/import", body: "first_name\nA\n", header: csvType, status: 403},
			{name: "unknown contact", method: "GET", path: "/v1/contacts/ct_missing", status: 404},
			{name: "unknown contact patch", method: "PATCH", path: "/v1/contacts/ct_missing", body: obj{"first_name": "B"}, status: 404},
			{name: "unknown contact put", method: "PUT", path: "/v1/contacts/ct_missing", body: obj{"first_name": "B"}, status: 404},
			{name: "unknown phonebook", method: "GET", path: "/v1/phonebooks/pb_missing", status: 404},
			{name: "create in unknown phonebook", method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": "pb_missing"}, status: 404},
			{name: "batch into unknown phonebook", method: "POST", path: "/v1/phonebooks/pb_missing/contacts/batch", body: obj{"contacts": []obj{{"external_id": "x"}}}, status: 404},
			{name: "empty batch", method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/batch", body: obj{"contacts": []obj{}}, status: 422, field: "contacts"},
			{name: "batch over limit", method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/batch", body: obj{"contacts": make([]obj, 1001)}, status: 422, field: "contacts"},
			{name: "batch not an array", method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/batch", body: obj{"contacts": obj{}}, status: 422, field: "contacts"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cl := tt.client
				if cl == nil {
					cl = admin
				}

				p := cl.do(tt.method, tt.path, tt.body, tt.header...).problem(t, tt.status)

				if tt.field != "" {
					require.NotEmpty(t, p.InvalidParams)
					require.Equal(t, tt.field, p.InvalidParams[0].Field)
				}
				if tt.detail != "" {
					require.Contains(t, p.Detail, tt.detail)
				}
				require.Equal(t, strings.SplitN(tt.path, "?", 2)[0], p.Instance)
			})
		}

		require.Equal(t, before, readDirectory(t, admin), "no rejected request changed anything")
	})
}

var (
	jsonType = []string{"Content-Type", "application/json"}
	csvType  = []string{"Content-Type", "text/csv"}
)

func TestTenantIsolation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		owner := ts.admin(t)
		pb := createPhonebook(t, owner, "Customers")
		ann := createContact(t, owner, obj{"phonebook_id": pb.ID, "external_id": "crm-1", "first_name": "Ann",
			"emails": []string{"ann@example.com"}, "phone_numbers": []obj{{"number": "+14155550100"}}})
		require.Equal(t, http.StatusNoContent, owner.delete("/v1/contacts/"+createContact(t, owner, obj{"phonebook_id": pb.ID}).ID).Status)
		var page listResponse[contactView]
		waitNextMillisecond()
		createContact(t, owner, obj{"phonebook_id": pb.ID})
		waitNextMillisecond()
		owner.get("/v1/contacts?limit=1").decode(t, http.StatusOK, &page)
		before := readDirectory(t, owner)

		_, otherKey := ts.newWorkspace(t, "Other", "US")
		other := ts.client(t, otherKey)

		notFound := []struct {
			method string
			path   string
			body   any
		}{
			{method: "GET", path: "/v1/contacts/" + ann.ID},
			{method: "PATCH", path: "/v1/contacts/" + ann.ID, body: obj{"first_name": "Eve"}},
			{method: "PUT", path: "/v1/contacts/" + ann.ID, body: obj{"first_name": "Eve"}},
			{method: "DELETE", path: "/v1/contacts/" + ann.ID},
			{method: "GET", path: "/v1/phonebooks/" + pb.ID},
			{method: "PATCH", path: "/v1/phonebooks/" + pb.ID, body: obj{"name": "Mine"}},
			{method: "DELETE", path: "/v1/phonebooks/" + pb.ID + "?force=true"},
			{method: "GET", path: "/v1/phonebooks/" + pb.ID + "/contacts/by-external-id/crm-1"},
			{method: "POST", path: "/v1/contacts", body: obj{"phonebook_id": pb.ID, "first_name": "Eve"}},
			{method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/batch", body: obj{"contacts": []obj{{"external_id": "crm-1"}}}},
			{method: "POST", path: "/v1/phonebooks/" + pb.ID + "/contacts/import", body: "external_id\ncrm-1\n"},
		}
		for _, tt := range notFound {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				var headers []string
				if _, ok := tt.body.(string); ok {
					headers = csvType
				}
				other.do(tt.method, tt.path, tt.body, headers...).problem(t, http.StatusNotFound)
			})
		}

		emptyLists := []string{
			"/v1/contacts",
			"/v1/contacts?phonebook_id=" + pb.ID,
			"/v1/phonebooks",
			"/v1/contacts/deleted",
			"/v1/contacts/lookup?phone=%2B14155550100",
			"/v1/contacts/lookup?email=ann@example.com",
			"/v1/contacts/lookup?external_id=crm-1&phonebook_id=" + pb.ID,
		}
		for _, path := range emptyLists {
			t.Run("empty "+path, func(t *testing.T) {
				var list listResponse[map[string]any]
				other.get(path).decode(t, http.StatusOK, &list)
				require.Equal(t, []map[string]any{}, list.Data)
			})
		}

		p := other.get("/v1/contacts?cursor="+url.QueryEscape(page.NextCursor)).problem(t, http.StatusBadRequest)
		require.Contains(t, p.Detail, "cursor is invalid")

		require.Equal(t, before, readDirectory(t, owner))
	})
}
