package salesforce

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
)

// responses maps a request to its JSON response body. A request is written as
// its path, "?" and the decoded q, or the encoded query when there is no q.
type responses map[string]string

func (a responses) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if q := r.URL.Query().Get("q"); q != "" {
			key += "?" + q
		} else if r.URL.RawQuery != "" {
			key += "?" + r.URL.Query().Encode()
		}
		body, ok := a[key]
		if !ok {
			t.Errorf("unexpected request %s", key)
			reply(w, http.StatusNotFound, `[{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]`)
			return
		}
		reply(w, http.StatusOK, body)
	}
}

// sobjectJSON is a minimal record of object as the query resource returns
// it, with a null owner.
func sobjectJSON(object, id string, modified time.Time) string {
	return fmt.Sprintf(`{"attributes": {"type": %q, "url": "/services/data/v63.0/sobjects/%s/%s"}, "Id": %q, "LastName": "Name of %s", "Owner": null, "LastModifiedDate": %q}`,
		object, object, id, id, id, modified.Format("2006-01-02T15:04:05.000-0700"))
}

// batch is a query response with records. next is its nextRecordsUrl, or ""
// for the last batch.
func batch(next string, records ...string) string {
	if next == "" {
		return fmt.Sprintf(`{"totalSize": %d, "done": true, "records": [%s]}`, len(records), strings.Join(records, ", "))
	}
	return fmt.Sprintf(`{"totalSize": 5000, "done": false, "nextRecordsUrl": %q, "records": [%s]}`, next, strings.Join(records, ", "))
}

// changedRecord is the record that sobjectJSON describes.
func changedRecord(base, object, id string, modified time.Time) crm.Record {
	return crm.Record{
		ID:     id,
		Object: object,
		Properties: map[string]any{
			"Id": id, "LastName": "Name of " + id, "LastModifiedDate": modified.Format("2006-01-02T15:04:05.000-0700"),
		},
		URL:       base + "/lightning/r/" + object + "/" + id + "/view",
		UpdatedAt: modified,
	}
}

func deletedRecord(object, id string, deleted time.Time) crm.Record {
	return crm.Record{ID: id, Object: object, Properties: map[string]any{"Id": id}, UpdatedAt: deleted, Archived: true}
}

// listAll calls ListChanged until the last page and returns every page.
func listAll(t *testing.T, c *Connector, since time.Time) []crm.Page {
	t.Helper()
	var pages []crm.Page
	cursor := ""
	for range 10 {
		page, err := c.ListChanged(context.Background(), since, cursor)
		require.NoError(t, err)
		pages = append(pages, page)
		if page.Next == "" {
			return pages
		}
		cursor = page.Next
	}
	t.Fatal("listing did not end after 10 pages")
	return nil
}

func TestListChangedFullMergesPages(t *testing.T) {
	const (
		contactQuery = "SELECT " + contactFields + " FROM Contact WHERE LastModifiedDate < 2024-05-10T12:00:30Z ORDER BY LastModifiedDate, Id"
		leadQuery    = "SELECT " + leadFields + " FROM Lead WHERE LastModifiedDate < 2024-05-10T12:00:30Z ORDER BY LastModifiedDate, Id"
		leadRequery  = "SELECT " + leadFields + " FROM Lead WHERE LastModifiedDate < 2024-05-10T12:00:30Z" +
			" AND (LastModifiedDate > 2024-05-10T10:00:02Z OR (LastModifiedDate = 2024-05-10T10:00:02Z AND Id > '00QL1')) ORDER BY LastModifiedDate, Id"
		locator1 = "/services/data/v63.0/query/01gC0000000001-2000"
		locator2 = "/services/data/v63.0/query/01gC0000000001-4000"
	)
	org := responses{
		"/services/data/v63.0/query?" + contactQuery: batch(locator1,
			sobjectJSON("Contact", "003C1", at(10, 0, 1)), sobjectJSON("Contact", "003C2", at(10, 0, 3))),
		"/services/data/v63.0/query?" + leadQuery: batch("",
			sobjectJSON("Lead", "00QL1", at(10, 0, 2)), sobjectJSON("Lead", "00QL2", at(10, 0, 5))),
		locator1: batch(locator2,
			sobjectJSON("Contact", "003C3", at(10, 0, 4)), sobjectJSON("Contact", "003C4", at(10, 0, 6))),
		"/services/data/v63.0/query?" + leadRequery: batch("", sobjectJSON("Lead", "00QL2", at(10, 0, 5))),
		locator2: batch("", sobjectJSON("Contact", "003C5", at(10, 0, 7))),
	}
	c, fake := setup(t, org.handler(t))
	base := fake.server.URL

	pages := listAll(t, c, time.Time{})

	require.Len(t, pages, 3)
	require.Equal(t, []crm.Record{
		changedRecord(base, "Contact", "003C1", at(10, 0, 1)),
		changedRecord(base, "Lead", "00QL1", at(10, 0, 2)),
		changedRecord(base, "Contact", "003C2", at(10, 0, 3)),
	}, pages[0].Records)
	require.Equal(t, []crm.Record{
		changedRecord(base, "Contact", "003C3", at(10, 0, 4)),
		changedRecord(base, "Lead", "00QL2", at(10, 0, 5)),
		changedRecord(base, "Contact", "003C4", at(10, 0, 6)),
	}, pages[1].Records)
	require.Equal(t, []crm.Record{changedRecord(base, "Contact", "003C5", at(10, 0, 7))}, pages[2].Records)

	require.Equal(t, []request{
		{Path: "/services/data/v63.0/query", Query: query(contactQuery)},
		{Path: "/services/data/v63.0/query", Query: query(leadQuery)},
		{Path: locator1, Query: url.Values{}},
		{Path: "/services/data/v63.0/query", Query: query(leadRequery)},
		{Path: locator2, Query: url.Values{}},
	}, fake.requests())
}

func TestListChangedIncrementalWithDeletions(t *testing.T) {
	const (
		contactQuery = "SELECT " + contactFields + " FROM Contact WHERE LastModifiedDate >= 2024-05-10T11:00:00Z AND LastModifiedDate < 2024-05-10T11:59:00Z ORDER BY LastModifiedDate, Id"
		leadQuery    = "SELECT " + leadFields + " FROM Lead WHERE LastModifiedDate >= 2024-05-10T11:00:00Z AND LastModifiedDate < 2024-05-10T11:59:00Z ORDER BY LastModifiedDate, Id"
		locator      = "/services/data/v63.0/query/01gC0000000002-2000"
	)
	deletedQuery := func(start, end string) string {
		return "?" + url.Values{"start": {start}, "end": {end}}.Encode()
	}
	contactDeleted := `{"deletedRecords": [
	    {"id": "003D2", "deletedDate": "2024-05-10T12:00:10.000+0000"},
	    {"id": "003D1", "deletedDate": "2024-05-10T11:30:00.000+0000"}],
	  "earliestDateAvailable": "2024-04-20T00:00:00.000+0000", "latestDateCovered": "2024-05-10T12:00:00.000+0000"}`
	org := responses{
		"/services/data/v63.0/sobjects/Contact/deleted/" + deletedQuery("2024-05-10T11:00:00+00:00", "2024-05-10T12:00:30+00:00"): contactDeleted,
		"/services/data/v63.0/sobjects/Lead/deleted/" + deletedQuery("2024-05-10T11:00:00+00:00", "2024-05-10T12:00:30+00:00"):    `{"deletedRecords": [], "latestDateCovered": "2024-05-10T11:59:00.000+0000"}`,
		"/services/data/v63.0/query?" + contactQuery: batch(locator, sobjectJSON("Contact", "003C1", at(11, 10, 0))),
		"/services/data/v63.0/query?" + leadQuery:    batch(""),
		locator: batch("", sobjectJSON("Contact", "003C2", at(11, 45, 0))),
		"/services/data/v63.0/sobjects/Contact/deleted/" + deletedQuery("2024-05-10T11:00:00+00:00", "2024-05-10T11:59:00+00:00"): contactDeleted,
	}
	c, fake := setup(t, org.handler(t))
	base := fake.server.URL

	pages := listAll(t, c, at(11, 0, 0))

	require.Len(t, pages, 2)
	require.Equal(t, []crm.Record{changedRecord(base, "Contact", "003C1", at(11, 10, 0))}, pages[0].Records)
	require.Equal(t, []crm.Record{
		deletedRecord("Contact", "003D1", at(11, 30, 0)),
		changedRecord(base, "Contact", "003C2", at(11, 45, 0)),
	}, pages[1].Records, "the deletion after the bound of 11:59 waits for the next listing")
	require.Len(t, fake.requests(), 6)
}

func TestListChangedExpiredLocator(t *testing.T) {
	const requery = "SELECT " + contactFields + " FROM Contact WHERE LastModifiedDate < 2024-05-10T12:00:30Z" +
		" AND (LastModifiedDate > 2024-05-10T10:00:03Z OR (LastModifiedDate = 2024-05-10T10:00:03Z AND Id > '003C2')) ORDER BY LastModifiedDate, Id"
	const locator = "/services/data/v63.0/query/01gC0000000003-2000"
	c, fake := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == locator {
			reply(w, http.StatusBadRequest, `[{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]`)
			return
		}
		reply(w, http.StatusOK, batch("", sobjectJSON("Contact", "003C3", at(10, 0, 4))))
	})
	cur := encodeCursor(&cursor{Until: testNow, Objects: map[string]*objectState{
		"Contact": {After: &position{Time: at(10, 0, 3), ID: "003C2"}, Next: locator},
		"Lead":    {Done: true},
	}})

	page, err := c.ListChanged(context.Background(), time.Time{}, cur)
	require.NoError(t, err)

	require.Equal(t, crm.Page{Records: []crm.Record{changedRecord(fake.server.URL, "Contact", "003C3", at(10, 0, 4))}}, page)
	require.Equal(t, []request{
		{Path: locator, Query: url.Values{}},
		{Path: "/services/data/v63.0/query", Query: query(requery)},
	}, fake.requests())
}

func TestListChangedDeletionWindow(t *testing.T) {
	tests := []struct {
		name  string
		since time.Time
		// start is the start of the deleted-records request, or "" when
		// there is no such request.
		start string
	}{
		{name: "since older than the window", since: testNow.AddDate(0, 0, -30), start: "2024-04-26T12:00:30+00:00"},
		{name: "since inside the window", since: at(9, 15, 42), start: "2024-05-10T09:15:42+00:00"},
		{name: "since less than a minute ago", since: at(12, 0, 0)},
		{name: "since in the future", since: at(13, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setupWith(t, Config{Objects: []string{"Lead"}}, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/deleted/") {
					reply(w, http.StatusOK, `{"deletedRecords": [], "latestDateCovered": "2024-05-10T12:00:00.000+0000"}`)
					return
				}
				reply(w, http.StatusOK, batch(""))
			})

			page, err := c.ListChanged(context.Background(), tt.since, "")
			require.NoError(t, err)
			require.Equal(t, crm.Page{}, page)

			requests := fake.requests()
			if tt.start == "" {
				require.Empty(t, requests)
				return
			}
			require.Len(t, requests, 2)
			require.Equal(t, request{
				Path:  "/services/data/v63.0/sobjects/Lead/deleted/",
				Query: url.Values{"start": {tt.start}, "end": {"2024-05-10T12:00:30+00:00"}},
			}, requests[0])
			require.Contains(t, requests[1].Query.Get("q"), "LastModifiedDate < 2024-05-10T12:00:00Z ORDER BY")
		})
	}
}

func TestListChangedRejectsBadCursor(t *testing.T) {
	encode := func(body string) string { return base64.RawURLEncoding.EncodeToString([]byte(body)) }
	tests := []struct {
		name    string
		cursor  string
		message string
	}{
		{name: "not base64", cursor: "%%%", message: "invalid salesforce cursor"},
		{name: "not json", cursor: encode("{"), message: "invalid salesforce cursor"},
		{name: "no bound", cursor: encode(`{"objects": {"Contact": {}, "Lead": {}}}`), message: "no upper bound"},
		{name: "other objects", cursor: encode(`{"until": "2024-05-10T12:00:30Z", "objects": {"Account": {}}}`), message: "other objects"},
		{
			name:    "next outside the API",
			cursor:  encode(`{"until": "2024-05-10T12:00:30Z", "objects": {"Contact": {"next": "https://example.com/x"}, "Lead": {}}}`),
			message: "outside /services/data/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t, func(w http.ResponseWriter, r *http.Request) {
				reply(w, http.StatusOK, batch(""))
			})

			_, err := c.ListChanged(context.Background(), time.Time{}, tt.cursor)
			require.ErrorContains(t, err, tt.message)
			require.Empty(t, fake.requests())
		})
	}
}

func TestListChangedRateLimited(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusForbidden, `[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]`)
	})

	_, err := c.ListChanged(context.Background(), at(11, 0, 0), "")
	var limited *crm.RateLimitedError
	require.ErrorAs(t, err, &limited)
	require.ErrorContains(t, err, "listing deleted salesforce Contact records")
}

func TestListChangedDeletionsNearBound(t *testing.T) {
	const (
		leadQuery = "SELECT " + leadFields + " FROM Lead WHERE LastModifiedDate >= 2024-05-10T11:00:00Z AND LastModifiedDate < 2024-05-10T12:00:30Z ORDER BY LastModifiedDate, Id"
		locator   = "/services/data/v63.0/query/01gL0000000004-2000"
	)
	deleted := `{"deletedRecords": [
	    {"id": "00QD1", "deletedDate": "2024-05-10T12:00:05.000+0000"},
	    {"id": "00QD2", "deletedDate": "2024-05-10T12:00:25.000+0000"}]}`
	deletedPath := "/services/data/v63.0/sobjects/Lead/deleted/?"
	org := responses{
		deletedPath + url.Values{"start": {"2024-05-10T11:00:00+00:00"}, "end": {"2024-05-10T12:00:30+00:00"}}.Encode(): deleted,
		"/services/data/v63.0/query?" + leadQuery: batch(locator, sobjectJSON("Lead", "00QC1", at(12, 0, 10))),
		locator: batch("", sobjectJSON("Lead", "00QC2", at(12, 0, 20))),
		deletedPath + url.Values{"start": {"2024-05-10T11:59:30+00:00"}, "end": {"2024-05-10T12:00:30+00:00"}}.Encode(): deleted,
	}
	c, fake := setupWith(t, Config{Objects: []string{"Lead"}}, org.handler(t))
	base := fake.server.URL

	pages := listAll(t, c, at(11, 0, 0))

	require.Len(t, pages, 2)
	require.Equal(t, []crm.Record{
		deletedRecord("Lead", "00QD1", at(12, 0, 5)),
		changedRecord(base, "Lead", "00QC1", at(12, 0, 10)),
	}, pages[0].Records)
	require.Equal(t, []crm.Record{
		changedRecord(base, "Lead", "00QC2", at(12, 0, 20)),
		deletedRecord("Lead", "00QD2", at(12, 0, 25)),
	}, pages[1].Records, "the second deleted-records request starts a minute before the bound")
	require.Len(t, fake.requests(), 4)
}
