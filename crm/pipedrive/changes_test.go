package pipedrive

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

// listAll pages through ListChanged and returns every record.
func listAll(t *testing.T, connector *Connector, since time.Time) []crm.Record {
	t.Helper()
	var records []crm.Record
	cursor := ""
	for range 10 {
		page, err := connector.ListChanged(context.Background(), since, cursor)
		require.NoError(t, err)
		records = append(records, page.Records...)
		if page.Next == "" {
			return records
		}
		cursor = page.Next
	}
	t.Fatal("ListChanged did not end within 10 pages")
	return nil
}

func recentsJSON(entries string, more bool, nextStart int) string {
	moreText := "false"
	if more {
		moreText = "true"
	}
	return `{"success": true, "data": [` + entries + `], "additional_data": {"since_timestamp": "2025-02-01 00:00:00", "last_timestamp_on_page": "2025-02-05 10:00:00",
	  "pagination": {"start": 0, "limit": 500, "more_items_in_collection": ` + moreText + `, "next_start": ` + sprint(nextStart) + `}}}`
}

func recentPerson(id string, active bool, updated string) string {
	flag := "false"
	if active {
		flag = "true"
	}
	return `{"item": "person", "id": ` + id + `, "data": {"id": ` + id + `, "name": "Gone ` + id + `", "active_flag": ` + flag + `, "update_time": "` + updated + `", "phone": [{"value": "020 7946 0` + id + `", "primary": true}]}}`
}

func TestListChangedPagesThroughChangesAndDeletions(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+adaJSON+`], "additional_data": {"next_cursor": "eyJpZCI6MzAxfQ"}}`)
	expectEnrichment(fake)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+alanJSON+`], "additional_data": {"next_cursor": null}}`)
	fake.OK(http.MethodGet, "/api/v1/recents", recentsJSON(
		recentPerson("304", false, "2025-02-02 10:00:00")+`,`+recentPerson("301", true, "2025-02-03 10:00:00")+
			`,{"item": "deal", "id": 9, "data": {"id": 9, "active_flag": false, "update_time": "2025-02-03 11:00:00"}}`, true, 500))
	fake.OK(http.MethodGet, "/api/v1/recents", recentsJSON(recentPerson("305", false, "2025-02-05 10:00:00"), false, 0))
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	records := listAll(t, connector, mustTime(t, "2025-02-01T00:00:00Z"))

	want := []crm.Record{
		{
			ID: "301", Object: "person", Properties: adaRecordProperties(),
			OwnerID: "7001", OwnerName: "Grace Hopper", OwnerEmail: "grace@example.com",
			URL: "https://acme.pipedrive.com/person/301", UpdatedAt: mustTime(t, "2025-02-01T08:30:00Z"),
		},
		{
			ID: "303", Object: "person",
			Properties: map[string]any{
				"id": float64(303), "name": "Alan Turing", "first_name": "Alan", "last_name": "Turing",
				"add_time": "2024-12-01T10:00:00Z", "update_time": "2025-02-02T09:00:00Z",
				"emails": []any{}, "phones": []any{map[string]any{"value": "020 7946 0303", "primary": true, "label": "mobile"}},
				"is_deleted": false, "visible_to": float64(3),
			},
			URL: "https://acme.pipedrive.com/person/303", UpdatedAt: mustTime(t, "2025-02-02T09:00:00Z"),
		},
		{
			ID: "304", Object: "person", Properties: map[string]any{"name": "Gone 304"}, Archived: true,
			URL: "https://acme.pipedrive.com/person/304", UpdatedAt: mustTime(t, "2025-02-02T10:00:00Z"),
		},
		{
			ID: "305", Object: "person", Properties: map[string]any{"name": "Gone 305"}, Archived: true,
			URL: "https://acme.pipedrive.com/person/305", UpdatedAt: mustTime(t, "2025-02-05T10:00:00Z"),
		},
	}
	require.Equal(t, want, records)

	requests := fake.Requests()
	require.Len(t, requests, 6)
	require.Equal(t, map[string][]string{
		"updated_since": {"2025-02-01T00:00:00Z"}, "sort_by": {"update_time"}, "sort_direction": {"asc"}, "limit": {"500"},
	}, map[string][]string(requests[0].Query))
	require.Equal(t, "eyJpZCI6MzAxfQ", requests[3].Query.Get("cursor"))
	require.Equal(t, map[string][]string{
		"since_timestamp": {"2025-02-01 00:00:00"}, "items": {"person"}, "start": {"0"}, "limit": {"500"},
	}, map[string][]string(requests[4].Query))
	require.Equal(t, "500", requests[5].Query.Get("start"))
	fake.AssertDone()
}

func TestListChangedFullSyncSkipsDeletions(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+alanJSON+`], "additional_data": {"next_cursor": null}}`)
	fake.OK(http.MethodGet, "/api/v1/users", usersJSON)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	records := listAll(t, connector, time.Time{})

	require.Len(t, records, 1)
	require.False(t, fake.Requests()[0].Query.Has("updated_since"))
	fake.AssertDone()
}

func TestListChangedUserFailureFailsPage(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+adaJSON+`], "additional_data": {"next_cursor": null}}`)
	fake.On(http.MethodGet, "/api/v1/users", crmhttptest.Response{Status: 502, Body: `<html>Bad gateway</html>`})
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	_, err := connector.ListChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorContains(t, err, "reading Pipedrive users")
	fake.AssertDone()
}

func TestListChangedCachesUsersAndOrganizations(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	page := `{"success": true, "data": [` + adaJSON + `], "additional_data": {"next_cursor": null}}`
	fake.OK(http.MethodGet, "/api/v2/persons", page)
	fake.OK(http.MethodGet, "/api/v2/persons", page)
	expectEnrichment(fake)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	for range 2 {
		records := listAll(t, connector, time.Time{})
		require.Equal(t, "Analytical Engines", records[0].Properties["org_name"])
		require.Equal(t, "Grace Hopper", records[0].OwnerName)
	}
	fake.AssertDone()
}

func TestListChangedInvalidCursor(t *testing.T) {
	connector := New(Config{BaseURL: "http://127.0.0.1:1"})

	for _, cursor := range []string{"%%%", encodeCursor(changeCursor{Phase: "archived"})} {
		_, err := connector.ListChanged(context.Background(), time.Time{}, cursor)
		require.ErrorContains(t, err, "invalid Pipedrive change cursor")
	}
}
