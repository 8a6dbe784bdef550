package gateway

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestPhonebookCRUD(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)

		resp := cl.post("/v1/phonebooks", obj{"name": " Customers ", "description": "From the\nshop"})
		var created phonebookView
		resp.decode(t, http.StatusCreated, &created)
		require.Equal(t, "/v1/phonebooks/"+created.ID, resp.Header.Get("Location"))
		require.Regexp(t, `^pb_[0-9a-f]{32}$`, created.ID)
		require.Equal(t, "Customers", created.Name)
		require.Equal(t, "From the\nshop", created.Description)
		require.Equal(t, "api", created.Source)
		require.Regexp(t, apiTime, created.CreatedAt)

		var got phonebookView
		cl.get("/v1/phonebooks/"+created.ID).decode(t, http.StatusOK, &got)
		require.Equal(t, created, got)

		var updated phonebookView
		cl.patch("/v1/phonebooks/"+created.ID, obj{"name": "Clients", "source": "csv"}).decode(t, http.StatusOK, &updated)
		require.Equal(t, "Clients", updated.Name)
		require.Equal(t, "From the\nshop", updated.Description)
		require.Equal(t, "csv", updated.Source)
		require.Equal(t, created.CreatedAt, updated.CreatedAt)

		var list listResponse[phonebookView]
		cl.get("/v1/phonebooks").decode(t, http.StatusOK, &list)
		require.Equal(t, []phonebookView{updated}, list.Data)
		require.False(t, list.HasMore)
		require.Empty(t, list.NextCursor)

		require.Equal(t, http.StatusNoContent, cl.delete("/v1/phonebooks/"+created.ID).Status)
		cl.get("/v1/phonebooks/"+created.ID).problem(t, http.StatusNotFound)
	})
}

func TestPhonebookRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")

		p := cl.post("/v1/phonebooks", obj{"name": "  "}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "name", p.InvalidParams[0].Field)
		p = cl.patch("/v1/phonebooks/"+pb.ID, obj{"name": ""}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "name", p.InvalidParams[0].Field)
		p = cl.patch("/v1/phonebooks/"+pb.ID, obj{"id": "pb_x"}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "id", p.InvalidParams[0].Field)
		p = cl.delete("/v1/phonebooks/"+pb.ID+"?force=maybe").problem(t, http.StatusBadRequest)
		require.Equal(t, "force", p.InvalidParams[0].Field)

		var got phonebookView
		cl.get("/v1/phonebooks/"+pb.ID).decode(t, http.StatusOK, &got)
		require.Equal(t, pb, got)
	})
}

func TestPhonebookDeleteWithContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		ann := createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": "c1", "first_name": "Ann"})
		bob := createContact(t, cl, obj{"phonebook_id": pb.ID, "first_name": "Bob"})

		p := cl.delete("/v1/phonebooks/"+pb.ID).problem(t, http.StatusConflict)
		require.Contains(t, p.Detail, "force=true")
		getContact(t, cl, ann.ID)

		require.Equal(t, http.StatusNoContent, cl.delete("/v1/phonebooks/"+pb.ID+"?force=true").Status)
		cl.get("/v1/phonebooks/"+pb.ID).problem(t, http.StatusNotFound)
		cl.get("/v1/contacts/"+ann.ID).problem(t, http.StatusNotFound)

		var deleted listResponse[tombstoneView]
		cl.get("/v1/contacts/deleted").decode(t, http.StatusOK, &deleted)
		ids := map[string]*string{}
		for _, d := range deleted.Data {
			ids[d.ID] = d.ExternalID
		}
		require.Len(t, ids, 2)
		require.Equal(t, "c1", *ids[ann.ID])
		require.Contains(t, ids, bob.ID)
	})
}

func TestPhonebookListPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		var want []string
		for i := range 5 {
			want = append(want, createPhonebook(t, cl, fmt.Sprintf("Book %d", i)).ID)
		}

		var got []string
		path := "/v1/phonebooks?limit=2"
		for pages := 0; path != ""; pages++ {
			require.Less(t, pages, 3)
			var page listResponse[phonebookView]
			cl.get(path).decode(t, http.StatusOK, &page)
			t.Logf("%s %+v", path, page)
			for _, pb := range page.Data {
				got = append(got, pb.ID)
			}
			require.Equal(t, page.HasMore, page.NextURL != "")
			path = page.NextURL
		}

		require.Equal(t, want, got)
	})
}
