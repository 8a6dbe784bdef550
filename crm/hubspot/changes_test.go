package hubspot

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

const defaultPropertiesParam = "firstname,lastname,email,phone,mobilephone,company,hubspot_owner_id,lastmodifieddate"

func contactJSON(id, name, owner, modified string) string {
	return `{"id":"` + id + `","properties":{"firstname":"` + name + `","hs_object_id":"` + id +
		`","hubspot_owner_id":` + owner + `,"lastmodifieddate":"` + modified + `","phone":"020 7946 0` + id +
		`"},"createdAt":"2024-01-01T00:00:00Z","updatedAt":"` + modified + `","archived":false}`
}

func archivedJSON(id, archivedAt string) string {
	return `{"id":"` + id + `","properties":{"firstname":"Gone","hs_object_id":"` + id +
		`"},"createdAt":"2024-01-01T00:00:00Z","updatedAt":"` + archivedAt +
		`","archived":true,"archivedAt":"` + archivedAt + `"}`
}

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

func TestListChangedPagesThroughChangesAndArchive(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search",
		`{"total":2,"results":[`+contactJSON("151", "Ada", `"7001"`, "2025-02-01T08:30:00.000Z")+`],"paging":{"next":{"after":"200","link":"?after=200"}}}`)
	fake.OK(http.MethodGet, "/crm/v3/owners/7001", ownerJSON)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search",
		`{"total":2,"results":[`+contactJSON("153", "Alan", `null`, "2025-02-02T09:00:00.000Z")+`]}`)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts",
		`{"results":[`+archivedJSON("160", "2025-02-02T10:00:00.000Z")+`,`+archivedJSON("161", "2025-01-15T10:00:00.000Z")+`],"paging":{"next":{"after":"161"}}}`)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts",
		`{"results":[`+archivedJSON("162", "2025-02-05T10:00:00.000Z")+`]}`)
	connector := newTestConnector(fake, Config{PortalID: "4242"})
	since := mustTime(t, "2025-02-01T00:00:00Z")

	records := listAll(t, connector, since)

	want := []crm.Record{
		{
			ID: "151", Object: "contact",
			Properties: map[string]any{"firstname": "Ada", "hs_object_id": "151", "hubspot_owner_id": "7001", "lastmodifieddate": "2025-02-01T08:30:00.000Z", "phone": "020 7946 0151"},
			OwnerID:    "7001", OwnerName: "Grace Hopper", OwnerEmail: "grace@example.com",
			URL:       "https://app.hubspot.com/contacts/4242/record/0-1/151",
			UpdatedAt: mustTime(t, "2025-02-01T08:30:00Z"),
		},
		{
			ID: "153", Object: "contact",
			Properties: map[string]any{"firstname": "Alan", "hs_object_id": "153", "lastmodifieddate": "2025-02-02T09:00:00.000Z", "phone": "020 7946 0153"},
			URL:        "https://app.hubspot.com/contacts/4242/record/0-1/153",
			UpdatedAt:  mustTime(t, "2025-02-02T09:00:00Z"),
		},
		{
			ID: "160", Object: "contact",
			Properties: map[string]any{"firstname": "Gone", "hs_object_id": "160"},
			URL:        "https://app.hubspot.com/contacts/4242/record/0-1/160",
			UpdatedAt:  mustTime(t, "2025-02-02T10:00:00Z"),
			Archived:   true,
		},
		{
			ID: "162", Object: "contact",
			Properties: map[string]any{"firstname": "Gone", "hs_object_id": "162"},
			URL:        "https://app.hubspot.com/contacts/4242/record/0-1/162",
			UpdatedAt:  mustTime(t, "2025-02-05T10:00:00Z"),
			Archived:   true,
		},
	}
	require.Equal(t, want, records)

	calls := fake.Requests()
	require.Len(t, calls, 5)
	wantSearch := `{
	  "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1738368000000"}]}],
	  "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
	  "properties": ["firstname", "lastname", "email", "phone", "mobilephone", "company", "hubspot_owner_id", "lastmodifieddate"],
	  "limit": 200%s
	}`
	require.JSONEq(t, sprintf(wantSearch, ""), calls[0].Body)
	require.JSONEq(t, sprintf(wantSearch, `, "after": "200"`), calls[2].Body)
	require.Equal(t, map[string][]string{"archived": {"true"}, "limit": {"100"}, "properties": {defaultPropertiesParam}}, map[string][]string(calls[3].Query))
	require.Equal(t, "161", calls[4].Query.Get("after"))
	fake.AssertDone()
}

func TestListChangedFullSyncSkipsArchive(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search",
		`{"total":1,"results":[`+contactJSON("153", "Alan", `null`, "2025-02-02T09:00:00.000Z")+`]}`)
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	records := listAll(t, connector, time.Time{})

	require.Len(t, records, 1)
	require.Contains(t, fake.Requests()[0].Body, `"value":"0"`)
	fake.AssertDone()
}

func TestListChangedRestartsWindowAtSearchCap(t *testing.T) {
	tests := []struct {
		name       string
		lastChange string
		window     int64
		wantWindow int64
	}{
		{name: "moves to last change", lastChange: "2025-02-03T00:00:00.000Z", window: 1738368000000, wantWindow: 1738540800000},
		{name: "steps past a crowded millisecond", lastChange: "2025-02-01T00:00:00.000Z", window: 1738368000000, wantWindow: 1738368000001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := crmhttptest.NewServer(t)
			fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search",
				`{"total":12000,"results":[`+contactJSON("151", "Ada", `null`, "2025-02-01T00:00:00.000Z")+`,`+
					contactJSON("152", "Charles", `null`, tt.lastChange)+`],"paging":{"next":{"after":"10000"}}}`)
			fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search", `{"total":0,"results":[]}`)
			connector := newTestConnector(fake, Config{PortalID: "4242"})
			cursor := encodeCursor(changeCursor{Phase: phaseModified, After: "9800", Window: tt.window})

			page, err := connector.ListChanged(context.Background(), time.UnixMilli(tt.window), cursor)
			require.NoError(t, err)
			require.Len(t, page.Records, 2)

			next, err := decodeCursor(page.Next, time.Time{})
			require.NoError(t, err)
			require.Equal(t, changeCursor{Phase: phaseModified, Window: tt.wantWindow}, next)

			_, err = connector.ListChanged(context.Background(), time.UnixMilli(tt.window), page.Next)
			require.NoError(t, err)
			calls := fake.Requests()
			require.Contains(t, calls[0].Body, `"after":"9800"`)
			require.NotContains(t, calls[1].Body, `"after"`)
			require.Contains(t, calls[1].Body, sprintf(`"value":"%d"`, tt.wantWindow))
			fake.AssertDone()
		})
	}
}

func TestListChangedInvalidCursor(t *testing.T) {
	connector := New(Config{BaseURL: "http://127.0.0.1:1"})

	for _, cursor := range []string{"not base64!", encodeCursorRaw(`{"p":"sideways"}`)} {
		_, err := connector.ListChanged(context.Background(), time.Time{}, cursor)
		require.ErrorContains(t, err, "invalid HubSpot change cursor")
	}
}

func TestListChangedOwnerFailureFailsPage(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search",
		`{"total":1,"results":[`+contactJSON("151", "Ada", `"7001"`, "2025-02-01T08:30:00.000Z")+`]}`)
	fake.On(http.MethodGet, "/crm/v3/owners/7001", crmhttptest.Response{Status: 503, Body: `{"status":"error","message":"try later"}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	_, err := connector.ListChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorContains(t, err, "reading HubSpot owner 7001")
	fake.AssertDone()
}
