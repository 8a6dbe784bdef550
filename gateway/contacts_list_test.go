package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// listAll follows next_url from path to the last page and returns every
// contact in order, and the number of pages read.
func listAll(t *testing.T, cl *testClient, path string) ([]contactView, int) {
	t.Helper()
	var all []contactView
	pages := 0
	for path != "" {
		var page listResponse[contactView]
		cl.get(path).decode(t, http.StatusOK, &page)
		all = append(all, page.Data...)
		pages++
		require.Equal(t, page.HasMore, page.NextURL != "", "page %d", pages)
		require.Less(t, pages, 200, "paging does not end")
		path = page.NextURL
	}
	return all, pages
}

func idsOf(contacts []contactView) []string {
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.ID
	}
	return ids
}

// importCSV imports csvText into the phonebook and returns the report.
func importCSV(t *testing.T, cl *testClient, phonebookID, csvText string) directory.ImportReport {
	t.Helper()
	var report directory.ImportReport
	cl.do(http.MethodPost, "/v1/phonebooks/"+phonebookID+"/contacts/import", csvText, "Content-Type", "text/csv").
		decode(t, http.StatusOK, &report)
	return report
}

func TestListContactsTiesPageOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		var b strings.Builder
		b.WriteString("external_id,first_name,phone\n")
		for i := range 2500 {
			fmt.Fprintf(&b, "c%04d,Name %d,+1415555%04d\n", i, i, i)
		}
		report := importCSV(t, cl, pb.ID, b.String())
		require.Equal(t, 2500, report.Created)
		waitNextMillisecond()

		all, pages := listAll(t, cl, "/v1/contacts?limit=100")

		require.Equal(t, 25, pages)
		require.Len(t, all, 2500)
		seen := map[string]bool{}
		createdAt := map[string]bool{}
		for _, c := range all {
			require.False(t, seen[c.ID], "contact %s listed twice", c.ID)
			seen[c.ID] = true
			createdAt[c.CreatedAt] = true
		}
		require.Len(t, createdAt, 1, "one import chunk shares one created_at, so every page boundary is a tie")
		for i := 1; i < len(all); i++ {
			require.Less(t, all[i-1].ID, all[i].ID, "ties are ordered by id")
		}

		desc, _ := listAll(t, cl, "/v1/contacts?limit=100&order=desc")
		require.Len(t, desc, 2500)
		require.Equal(t, all[0].ID, desc[2499].ID)
		require.Equal(t, all[2499].ID, desc[0].ID)
	})
}

func TestListContactsIncrementalWhileUpdating(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		var ids []string
		for i := range 30 {
			ids = append(ids, createContact(t, cl, obj{"phonebook_id": pb.ID, "first_name": fmt.Sprintf("N%02d", i)}).ID)
		}
		waitNextMillisecond()

		var firstRun []contactView
		var page listResponse[contactView]
		cl.get("/v1/contacts?updated_since=0&limit=10").decode(t, http.StatusOK, &page)
		firstRun = append(firstRun, page.Data...)
		seenEarly := page.Data[3].ID
		notYetSeen := ids[25]
		cl.patch("/v1/contacts/"+seenEarly, obj{"last_name": "Changed"}).decode(t, http.StatusOK, &contactView{})
		cl.patch("/v1/contacts/"+notYetSeen, obj{"last_name": "Changed"}).decode(t, http.StatusOK, &contactView{})
		rest, _ := listAll(t, cl, page.NextURL)
		firstRun = append(firstRun, rest...)

		require.Len(t, firstRun, 29, "the contact updated before it was reached moves past the snapshot")
		seen := map[string]bool{}
		for _, c := range firstRun {
			require.False(t, seen[c.ID], "contact %s listed twice", c.ID)
			seen[c.ID] = true
			require.Equal(t, "", c.LastName, "the run shows the state when it started")
		}
		require.False(t, seen[notYetSeen])

		lastSeen := firstRun[len(firstRun)-1].UpdatedAt
		waitNextMillisecond()
		nextRun, _ := listAll(t, cl, "/v1/contacts?limit=10&updated_since="+url.QueryEscape(lastSeen))
		changed := map[string]string{}
		for _, c := range nextRun {
			changed[c.ID] = c.LastName
		}
		require.Equal(t, "Changed", changed[seenEarly])
		require.Equal(t, "Changed", changed[notYetSeen])
	})
}

func TestListContactsFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		customers := createPhonebook(t, cl, "Customers")
		suppliers := createPhonebook(t, cl, "Suppliers")
		ann := createContact(t, cl, obj{"phonebook_id": customers.ID, "first_name": "Ann", "company": "Acme 50%"})
		bob := createContact(t, cl, obj{"phonebook_id": suppliers.ID, "first_name": "Bob", "emails": []string{"bob@widgets.example"}})
		waitNextMillisecond()
		cy := createContact(t, cl, obj{"phonebook_id": customers.ID, "first_name": "Cy", "phone_numbers": []obj{{"number": "+1 415 555 0123"}}})
		waitNextMillisecond()
		cl.patch("/v1/contacts/"+ann.ID, obj{"last_name": "Lee"}).decode(t, http.StatusOK, &ann)
		waitNextMillisecond()

		list := func(t *testing.T, query string) []string {
			t.Helper()
			all, _ := listAll(t, cl, "/v1/contacts?"+query)
			return idsOf(all)
		}

		require.Equal(t, []string{ann.ID, bob.ID, cy.ID}, list(t, ""))
		require.Equal(t, []string{ann.ID, cy.ID}, list(t, "phonebook_id="+customers.ID))
		require.Equal(t, []string{}, list(t, "phonebook_id=pb_missing"))
		require.Equal(t, []string{bob.ID}, list(t, "q=WIDGETS"))
		require.Equal(t, []string{ann.ID}, list(t, "q="+url.QueryEscape("50%")))
		require.Equal(t, []string{cy.ID}, list(t, "q=5550123"))
		require.Equal(t, []string{cy.ID, bob.ID, ann.ID}, list(t, "order=desc"))
		require.Equal(t, []string{bob.ID, cy.ID, ann.ID}, list(t, "sort=updated_at"))
		require.Equal(t, []string{cy.ID}, list(t, "created_since="+url.QueryEscape(cy.CreatedAt)))
		require.Equal(t, []string{cy.ID, ann.ID}, list(t, "updated_since="+url.QueryEscape(cy.UpdatedAt)), "sorted by updated_at")

		created, err := time.Parse(time.RFC3339, cy.CreatedAt)
		require.NoError(t, err)
		epoch := fmt.Sprintf("%d.%03d", created.Unix(), created.Nanosecond()/1e6)
		require.Equal(t, []string{cy.ID}, list(t, "created_since="+epoch))
		offset := created.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000-07:00")
		require.Equal(t, []string{cy.ID}, list(t, "created_since="+offset), "an unescaped + reads as +")
	})
}

func TestListContactsCursorParameters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		for i := range 3 {
			createContact(t, cl, obj{"phonebook_id": pb.ID, "first_name": fmt.Sprintf("Ann %d", i)})
		}
		waitNextMillisecond()

		var page listResponse[contactView]
		cl.get("/v1/contacts?limit=1&q=ann&sort=updated_at&phonebook_id="+pb.ID).decode(t, http.StatusOK, &page)
		require.True(t, page.HasMore)
		cursor := url.QueryEscape(page.NextCursor)

		var same listResponse[contactView]
		cl.get("/v1/contacts?limit=2&q=ann&sort=updated_at&cursor="+cursor).decode(t, http.StatusOK, &same)
		require.Len(t, same.Data, 2)

		var explicit listResponse[contactView]
		cl.get("/v1/contacts?order=asc&sort=updated_at&phonebook_id="+pb.ID+"&cursor="+cursor).decode(t, http.StatusOK, &explicit)
		require.Len(t, explicit.Data, 2, "the default order may be repeated")

		for _, changed := range []string{"q=bob", "sort=created_at", "order=desc", "phonebook_id=pb_other", "updated_since=0"} {
			t.Run(changed, func(t *testing.T) {
				p := cl.get("/v1/contacts?cursor="+cursor+"&"+changed).problem(t, http.StatusBadRequest)
				require.Equal(t, strings.Split(changed, "=")[0], p.InvalidParams[0].Field)
			})
		}
	})
}

func TestListDeletedContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		var ids []string
		for i := range 5 {
			c := createContact(t, cl, obj{"phonebook_id": pb.ID, "external_id": fmt.Sprintf("c%d", i)})
			require.Equal(t, http.StatusNoContent, cl.delete("/v1/contacts/"+c.ID).Status)
			ids = append(ids, c.ID)
			waitNextMillisecond()
		}

		var got []tombstoneView
		path := "/v1/contacts/deleted?limit=2"
		for path != "" {
			var page listResponse[tombstoneView]
			cl.get(path).decode(t, http.StatusOK, &page)
			got = append(got, page.Data...)
			path = page.NextURL
		}
		require.Len(t, got, 5)
		for i, d := range got {
			require.Equal(t, ids[i], d.ID)
			require.Equal(t, fmt.Sprintf("c%d", i), *d.ExternalID)
		}

		var since listResponse[tombstoneView]
		cl.get("/v1/contacts/deleted?since="+url.QueryEscape(got[4].DeletedAt)).decode(t, http.StatusOK, &since)
		require.Contains(t, tombstoneIDs(since.Data), ids[4])
		require.NotContains(t, tombstoneIDs(since.Data), ids[0])

		var future listResponse[tombstoneView]
		cl.get("/v1/contacts/deleted?since=4102444800").decode(t, http.StatusOK, &future)
		require.Equal(t, []tombstoneView{}, future.Data)

		p := cl.get("/v1/contacts/deleted?since=yesterday").problem(t, http.StatusBadRequest)
		require.Equal(t, "since", p.InvalidParams[0].Field)
	})
}

func tombstoneIDs(tombstones []tombstoneView) []string {
	ids := make([]string, len(tombstones))
	for i, d := range tombstones {
		ids[i] = d.ID
	}
	return ids
}
