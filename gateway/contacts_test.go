package gateway

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// apiTime matches the timestamps of the API: RFC 3339 in UTC with
// milliseconds.
var apiTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// obj is a JSON object to send.
type obj = map[string]any

func createPhonebook(t *testing.T, cl *testClient, name string) phonebookView {
	t.Helper()
	var pb phonebookView
	cl.post("/v1/phonebooks", obj{"name": name}).decode(t, http.StatusCreated, &pb)
	return pb
}

func createContact(t *testing.T, cl *testClient, body obj) contactView {
	t.Helper()
	var c contactView
	cl.post("/v1/contacts", body).decode(t, http.StatusCreated, &c)
	return c
}

func getContact(t *testing.T, cl *testClient, id string) contactView {
	t.Helper()
	var c contactView
	cl.get("/v1/contacts/"+id).decode(t, http.StatusOK, &c)
	return c
}

// waitNextMillisecond sleeps past the current millisecond. A listing
// leaves out rows written in the millisecond of its first page (its
// snapshot bound is one millisecond in the past), so tests that list right
// after writing wait first.
func waitNextMillisecond() { time.Sleep(2 * time.Millisecond) }

func TestContactCRUD(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")

		resp := cl.post("/v1/contacts", obj{
			"phonebook_id":  pb.ID,
			"external_id":   "crm-1",
			"first_name":    "Ann",
			"last_name":     "Lee",
			"company":       "Acme",
			"emails":        []string{"ann@example.com"},
			"phone_numbers": []obj{{"label": "work", "number": "(415) 555-0100"}},
			"extra_data":    obj{"tier": "gold", "score": 7},
		})
		var created contactView
		resp.decode(t, http.StatusCreated, &created)

		require.Equal(t, "/v1/contacts/"+created.ID, resp.Header.Get("Location"))
		require.Regexp(t, `^ct_[0-9a-f]{32}$`, created.ID)
		require.Equal(t, pb.ID, created.PhonebookID)
		require.Equal(t, "crm-1", *created.ExternalID)
		require.Equal(t, "Ann Lee", created.DisplayName)
		require.Equal(t, []string{"ann@example.com"}, created.Emails)
		require.Equal(t, []phoneNumberView{{Label: "work", Number: "(415) 555-0100", E164: "+14155550100"}}, created.PhoneNumbers)
		require.JSONEq(t, `{"score":7,"tier":"gold"}`, string(created.ExtraData))
		require.Regexp(t, apiTime, created.CreatedAt)
		require.Equal(t, created.CreatedAt, created.UpdatedAt)

		require.Equal(t, created, getContact(t, cl, created.ID))

		var replaced contactView
		cl.put("/v1/contacts/"+created.ID, obj{"first_name": "Anna"}).decode(t, http.StatusOK, &replaced)
		require.Equal(t, "Anna", replaced.FirstName)
		require.Equal(t, "", replaced.LastName)
		require.Equal(t, "Anna", replaced.DisplayName)
		require.Equal(t, "", replaced.Company)
		require.Nil(t, replaced.ExternalID)
		require.Equal(t, []string{}, replaced.Emails)
		require.Equal(t, []phoneNumberView{}, replaced.PhoneNumbers)
		require.JSONEq(t, `{}`, string(replaced.ExtraData))
		require.Equal(t, created.CreatedAt, replaced.CreatedAt)
		require.Greater(t, replaced.UpdatedAt, created.UpdatedAt)
		require.Equal(t, replaced, getContact(t, cl, created.ID))

		del := cl.delete("/v1/contacts/" + created.ID)
		require.Equal(t, http.StatusNoContent, del.Status)
		require.Empty(t, del.Body)
		cl.get("/v1/contacts/"+created.ID).problem(t, http.StatusNotFound)
		cl.delete("/v1/contacts/"+created.ID).problem(t, http.StatusNotFound)

		var deleted listResponse[tombstoneView]
		cl.get("/v1/contacts/deleted").decode(t, http.StatusOK, &deleted)
		require.Len(t, deleted.Data, 1)
		require.Equal(t, created.ID, deleted.Data[0].ID)
		require.Equal(t, pb.ID, deleted.Data[0].PhonebookID)
		require.Nil(t, deleted.Data[0].ExternalID)
		require.Regexp(t, apiTime, deleted.Data[0].DeletedAt)
	})
}

func TestContactPutUnchangedKeepsUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		body := obj{"phonebook_id": pb.ID, "first_name": "Ann", "emails": []string{"ann@example.com"}}
		created := createContact(t, cl, body)
		waitNextMillisecond()

		var replaced contactView
		cl.put("/v1/contacts/"+created.ID, body).decode(t, http.StatusOK, &replaced)

		require.Equal(t, created, replaced)
	})
}

func TestContactMergePatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		created := createContact(t, cl, obj{
			"phonebook_id":  pb.ID,
			"external_id":   "crm-1",
			"first_name":    "Ann",
			"last_name":     "Lee",
			"emails":        []string{"ann@example.com"},
			"phone_numbers": []obj{{"label": "work", "number": "+1 415 555 0100"}},
			"extra_data":    obj{"a": 1, "b": obj{"c": 2, "d": 3}},
		})

		patch := `{"first_name":"Anna","extra_data":{"a":null,"b":{"c":null,"e":4}}}`
		var patched contactView
		cl.do(http.MethodPatch, "/v1/contacts/"+created.ID, patch, "Content-Type", "application/merge-patch+json").
			decode(t, http.StatusOK, &patched)

		require.Equal(t, "Anna", patched.FirstName)
		require.Equal(t, "Lee", patched.LastName)
		require.Equal(t, "Anna Lee", patched.DisplayName, "a default display name follows the names")
		require.Equal(t, created.Emails, patched.Emails)
		require.Equal(t, created.PhoneNumbers, patched.PhoneNumbers)
		require.Equal(t, "crm-1", *patched.ExternalID)
		require.JSONEq(t, `{"b":{"d":3,"e":4}}`, string(patched.ExtraData))
		require.Equal(t, patched, getContact(t, cl, created.ID))

		cl.patch("/v1/contacts/"+created.ID, obj{
			"external_id":   nil,
			"display_name":  "Dr. Lee",
			"phone_numbers": []obj{{"label": "mobile", "number": "+44 20 7946 0958"}},
		}).decode(t, http.StatusOK, &patched)
		require.Nil(t, patched.ExternalID)
		require.Equal(t, "Dr. Lee", patched.DisplayName)
		require.Equal(t, []phoneNumberView{{Label: "mobile", Number: "+44 20 7946 0958", E164: "+442079460958"}}, patched.PhoneNumbers)

		cl.patch("/v1/contacts/"+created.ID, obj{"first_name": "Annie"}).decode(t, http.StatusOK, &patched)
		require.Equal(t, "Dr. Lee", patched.DisplayName, "a display name of its own stays")

		cl.patch("/v1/contacts/"+created.ID, obj{"extra_data": nil, "emails": nil}).decode(t, http.StatusOK, &patched)
		require.JSONEq(t, `{}`, string(patched.ExtraData))
		require.Equal(t, []string{}, patched.Emails)

		before := getContact(t, cl, created.ID)
		waitNextMillisecond()
		cl.patch("/v1/contacts/"+created.ID, obj{}).decode(t, http.StatusOK, &patched)
		require.Equal(t, before, patched, "an empty patch changes nothing, updated_at included")
	})
}

func TestContactPatchRejected(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
		reason      string
	}{
		{name: "read-only id", body: `{"id":"ct_x"}`, status: 422, field: "id", reason: "read-only"},
		{name: "read-only updated_at", body: `{"updated_at":"2024-01-01T00:00:00.000Z"}`, status: 422, field: "updated_at", reason: "read-only"},
		{name: "read-only e164", body: `{"phone_numbers":[{"number":"+14155550100","e164":"+14155550100"}]}`, status: 422, field: "phone_numbers[0].e164", reason: "read-only"},
		{name: "invalid phone", body: `{"phone_numbers":[{"number":"12"}]}`, status: 422, field: "phone_numbers[0].number", reason: `"12"`},
		{name: "unknown field", body: `{"nickname":"A"}`, status: 422, field: "nickname", reason: "not a known field"},
		{name: "wrong type", body: `{"first_name":5}`, status: 422, field: "first_name", reason: "must be a string"},
		{name: "extra_data not an object", body: `{"extra_data":[1]}`, status: 422, field: "extra_data", reason: "must be a JSON object"},
		{name: "moving phonebook", body: `{"phonebook_id":"pb_other"}`, status: 422, field: "phonebook_id", reason: "cannot move"},
		{name: "array body", body: `[1]`, status: 400},
		{name: "broken json", body: `{"first_name":`, status: 400},
		{name: "text body", body: `{}`, contentType: "text/plain", status: 415},
	}
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		created := createContact(t, cl, obj{"phonebook_id": pb.ID, "first_name": "Ann"})

		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				contentType := tt.contentType
				if contentType == "" {
					contentType = "application/merge-patch+json"
				}

				p := cl.do(http.MethodPatch, "/v1/contacts/"+created.ID, tt.body, "Content-Type", contentType).problem(t, tt.status)

				if tt.field != "" {
					require.Len(t, p.InvalidParams, 1, "%+v", p.InvalidParams)
					require.Equal(t, tt.field, p.InvalidParams[0].Field)
					require.Contains(t, p.InvalidParams[0].Reason, tt.reason)
				}
			})
		}
		require.Equal(t, created, getContact(t, cl, created.ID))
	})
}

func TestContactLookup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		other := createPhonebook(t, cl, "Suppliers")
		ann := createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": "crm-1", "first_name": "Ann",
			"emails": []string{"Ann.Lee@Example.com"}, "phone_numbers": []obj{{"number": "+1 415-555-0100"}}})
		bob := createContact(t, cl, obj{"phonebook_id": other.ID, "first_name": "Bob",
			"phone_numbers": []obj{{"number": "415.555.0100"}}})
		createContact(t, cl, obj{"phonebook_id": pb.ID, "first_name": "Cy", "phone_numbers": []obj{{"number": "+1 415 555 0199"}}})

		lookup := func(t *testing.T, query url.Values) []string {
			t.Helper()
			var resp listResponse[contactView]
			cl.get("/v1/contacts/lookup?"+query.Encode()).decode(t, http.StatusOK, &resp)
			ids := []string{}
			for _, c := range resp.Data {
				ids = append(ids, c.ID)
			}
			return ids
		}

		for _, number := range []string{"+1 415-555-0100", "(415) 555-0100", "tel:+14155550100", "+14155550100", "011 1 415 555 0100"} {
			t.Run("phone "+number, func(t *testing.T) {
				require.Equal(t, []string{ann.ID, bob.ID}, lookup(t, url.Values{"phone": {number}}), "oldest first")
			})
		}
		require.Equal(t, []string{bob.ID}, lookup(t, url.Values{"phone": {"(415) 555-0100"}, "phonebook_id": {other.ID}}))
		require.Equal(t, []string{}, lookup(t, url.Values{"phone": {"+1 415 555 0111"}}))

		var raw listResponse[contactView]
		cl.get("/v1/contacts/lookup?phone=+14155550100").decode(t, http.StatusOK, &raw)
		require.Len(t, raw.Data, 2, "an unescaped + in the query string is read as +")

		require.Equal(t, []string{ann.ID}, lookup(t, url.Values{"email": {"ann.lee@EXAMPLE.COM"}}))
		require.Equal(t, []string{ann.ID}, lookup(t, url.Values{"external_id": {"crm-1"}, "phonebook_id": {pb.ID}}))
		require.Equal(t, []string{}, lookup(t, url.Values{"external_id": {"crm-1"}, "phonebook_id": {other.ID}}))

		cl.patch("/v1/workspace", obj{"default_region": "DE"}).decode(t, http.StatusOK, &workspaceView{})
		require.Equal(t, []string{ann.ID, bob.ID}, lookup(t, url.Values{"phone": {"001 415 555 0100"}}), "00 is the international prefix in DE")
	})
}

func TestContactLookupRejected(t *testing.T) {
	tests := []struct {
		name  string
		query string
		field string
	}{
		{name: "no key", query: "", field: "phone"},
		{name: "two keys", query: "phone=%2B14155550100&email=a@example.com", field: "phone"},
		{name: "external_id without phonebook", query: "external_id=crm-1", field: "phonebook_id"},
		{name: "invalid phone", query: "phone=12", field: "phone"},
	}
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := cl.get("/v1/contacts/lookup?"+tt.query).problem(t, http.StatusBadRequest)
				require.Equal(t, tt.field, p.InvalidParams[0].Field)
			})
		}
	})
}

func TestContactByExternalID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		for _, externalID := range []string{"crm-1", "a/b c", "100%", "ünï"} {
			t.Run(externalID, func(t *testing.T) {
				created := createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": externalID})

				var got contactView
				cl.get("/v1/phonebooks/"+pb.ID+"/contacts/by-external-id/"+url.PathEscape(externalID)).decode(t, http.StatusOK, &got)

				require.Equal(t, created.ID, got.ID)
			})
		}
		cl.get("/v1/phonebooks/"+pb.ID+"/contacts/by-external-id/missing").problem(t, http.StatusNotFound)
		cl.get("/v1/phonebooks/pb_missing/contacts/by-external-id/crm-1").problem(t, http.StatusNotFound)
	})
}

func TestContactDuplicateExternalID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": "crm-1"})
		second := createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": "crm-2"})

		p := cl.post("/v1/contacts", obj{"phonebook_id": pb.ID, "external_id": "crm-1"}).problem(t, http.StatusConflict)
		require.Contains(t, p.Detail, `"crm-1"`)
		cl.patch("/v1/contacts/"+second.ID, obj{"external_id": "crm-1"}).problem(t, http.StatusConflict)
		cl.put("/v1/contacts/"+second.ID, obj{"external_id": "crm-1"}).problem(t, http.StatusConflict)

		require.Equal(t, second, getContact(t, cl, second.ID))
		var list listResponse[contactView]
		waitNextMillisecond()
		cl.get("/v1/contacts").decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, 2)
	})
}

func TestBatchUpsert(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		batch := obj{"contacts": []any{
			obj{"external_id": "c1", "first_name": "Ann", "phone_numbers": []obj{{"number": "+14155550100"}}},
			obj{"external_id": "c2", "first_name": "Bob", "extra_data": obj{"tier": "gold"}},
			obj{"external_id": "c3", "phone_numbers": []obj{{"number": "nope"}}},
			obj{"external_id": "c1", "first_name": "Ann again"},
			obj{"first_name": "No id"},
			obj{"external_id": "c4", "first_name": 5},
			"not an object",
			obj{"external_id": "c4", "first_name": "Dee"},
		}}

		var first directory.BatchReport
		cl.post("/v1/phonebooks/"+pb.ID+"/contacts/batch", batch).decode(t, http.StatusOK, &first)

		require.Equal(t, 2, first.Created)
		require.Equal(t, 6, first.Failed)
		require.Len(t, first.Results, 8)
		statuses := []string{}
		for i, r := range first.Results {
			require.Equal(t, i, r.Index)
			statuses = append(statuses, r.Status)
		}
		require.Equal(t, []string{"created", "created", "error", "error", "error", "error", "error", "error"}, statuses)
		require.Equal(t, "c1", *first.Results[0].ExternalID)
		require.Regexp(t, `^ct_`, first.Results[0].ID)
		require.Nil(t, first.Results[0].Error)
		require.Equal(t, "phone_numbers[0].number", first.Results[2].Error.InvalidParams[0].Field)
		require.Empty(t, first.Results[2].ID)
		require.Equal(t, "external_id", first.Results[3].Error.InvalidParams[0].Field)
		require.Contains(t, first.Results[3].Error.InvalidParams[0].Reason, "item 0")
		require.Nil(t, first.Results[4].ExternalID)
		require.Equal(t, "external_id", first.Results[4].Error.InvalidParams[0].Field)
		require.Equal(t, "c4", *first.Results[5].ExternalID)
		require.Equal(t, "first_name", first.Results[5].Error.InvalidParams[0].Field)
		require.Equal(t, "contact", first.Results[6].Error.InvalidParams[0].Field)
		require.Equal(t, "external_id", first.Results[7].Error.InvalidParams[0].Field)
		require.Contains(t, first.Results[7].Error.InvalidParams[0].Reason, "item 5", "a repeat of an invalid item is still a repeat")

		ann := getContact(t, cl, first.Results[0].ID)
		require.Equal(t, "Ann", ann.FirstName)
		bob := getContact(t, cl, first.Results[1].ID)
		waitNextMillisecond()

		var second directory.BatchReport
		cl.post("/v1/phonebooks/"+pb.ID+"/contacts/batch", batch).decode(t, http.StatusOK, &second)
		require.Equal(t, 0, second.Created)
		require.Equal(t, 0, second.Updated)
		require.Equal(t, 2, second.Unchanged)
		require.Equal(t, first.Results[0].ID, second.Results[0].ID)
		require.Equal(t, ann, getContact(t, cl, ann.ID), "an unchanged item keeps updated_at")
		require.Equal(t, bob, getContact(t, cl, bob.ID))

		var third directory.BatchReport
		cl.post("/v1/phonebooks/"+pb.ID+"/contacts/batch", obj{"contacts": []obj{
			{"external_id": "c1", "first_name": "Ann"},
			{"external_id": "c2", "first_name": "Robert"},
		}}).decode(t, http.StatusOK, &third)
		require.Equal(t, 2, third.Updated)
		require.Equal(t, "updated", third.Results[0].Status)
		require.Equal(t, []phoneNumberView{}, getContact(t, cl, ann.ID).PhoneNumbers)
		replacedBob := getContact(t, cl, bob.ID)
		require.Equal(t, "Robert", replacedBob.FirstName)
		require.JSONEq(t, `{}`, string(replacedBob.ExtraData), "batch items replace every writable field")
	})
}
