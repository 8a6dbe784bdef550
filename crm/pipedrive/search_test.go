package pipedrive

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

func searchJSON(ids ...string) string {
	items := ""
	for i, id := range ids {
		if i > 0 {
			items += ","
		}
		items += `{"result_score": 0.42, "item": {"id": ` + id + `, "type": "person", "name": "Someone", "phones": ["+1 415-555-0123"], "emails": [], "visible_to": 3, "owner": {"id": 7001}, "organization": null, "custom_fields": [], "notes": []}}`
	}
	return `{"success": true, "data": {"items": [` + items + `]}, "additional_data": {"next_cursor": null}}`
}

func TestSearchByPhone(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON("301", "302"))
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON("301"))
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON())
	babbage := `{"id": 302, "name": "Charles Babbage", "owner_id": 7002, "update_time": "2025-02-03T12:00:00Z",
	  "phones": [{"value": "+1 415-555-01234", "primary": true, "label": "work"}], "is_deleted": false}`
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+adaJSON+`,`+babbage+`], "additional_data": {"next_cursor": null}}`)
	expectEnrichment(fake)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	forms := []string{"+14155550123", "+1 415-555-0123", "(415) 555-0123", "415-555-0123", "14155550123", "4155550123"}
	records, err := connector.SearchByPhone(context.Background(), forms)
	require.NoError(t, err)

	require.Equal(t, []crm.Record{{
		ID:         "301",
		Object:     "person",
		Properties: adaRecordProperties(),
		OwnerID:    "7001",
		OwnerName:  "Grace Hopper",
		OwnerEmail: "grace@example.com",
		URL:        "https://acme.pipedrive.com/person/301",
		UpdatedAt:  mustTime(t, "2025-02-01T08:30:00Z"),
	}}, records)

	requests := fake.Requests()
	require.Len(t, requests, 6)
	var terms []string
	for _, request := range requests[:3] {
		require.Equal(t, "test-api-token", request.Header.Get("x-api-token"))
		require.Equal(t, "phone", request.Query.Get("fields"))
		require.Equal(t, "false", request.Query.Get("exact_match"))
		require.Equal(t, "100", request.Query.Get("limit"))
		terms = append(terms, request.Query.Get("term"))
	}
	require.ElementsMatch(t, []string{"4155550123", "415-555-0123", "(415) 555-0123"}, terms)
	require.Equal(t, map[string][]string{"ids": {"301,302"}, "limit": {"100"}}, map[string][]string(requests[3].Query))
	require.Equal(t, map[string][]string{"ids": {"55"}, "limit": {"100"}}, map[string][]string(requests[5].Query))
	fake.AssertDone()
}

func TestSearchByPhoneNoMatch(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	for range 3 {
		fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON())
	}
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	records, err := connector.SearchByPhone(context.Background(), []string{"+442079460958"})
	require.NoError(t, err)
	require.Empty(t, records)
	fake.AssertDone()
}

func TestSearchByPhoneSearchFailure(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON("301"))
	fake.On(http.MethodGet, "/api/v2/persons/search", crmhttptest.Response{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: `{"success": false, "error": "Rate limit exceeded", "errorCode": 429}`})
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON())
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	_, err := connector.SearchByPhone(context.Background(), []string{"+442079460958"})

	var limited *crm.RateLimitedError
	require.ErrorAs(t, err, &limited)
	require.Equal(t, "CRM rate limit reached: retry after 2s", limited.Error())
	fake.AssertDone()
}

func TestSearchByPhoneNoForms(t *testing.T) {
	connector := New(Config{BaseURL: "http://127.0.0.1:1"})

	_, err := connector.SearchByPhone(context.Background(), []string{"", "7"})
	require.ErrorContains(t, err, "no phone number given")
}

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		name  string
		forms []string
		want  []string
	}{
		{name: "US", forms: []string{"+14155550123"}, want: []string{"4155550123", "415-555-0123", "(415) 555-0123"}},
		{name: "UK", forms: []string{"+442079460958", "020 7946 0958"}, want: []string{"2079460958", "20 7946 0958", "020 7946 0958"}},
		{name: "blank first form", forms: []string{" ", "+442079460958"}, want: []string{"2079460958", "20 7946 0958", "020 7946 0958"}},
		{name: "unparseable", forms: []string{"ext-204"}, want: []string{"ext-204"}},
		{name: "too short", forms: []string{"7"}, want: []string{}},
		{name: "nothing", forms: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, searchTerms(tt.forms))
		})
	}
}

func TestKeepMatching(t *testing.T) {
	record := func(id, phone string) crm.Record {
		return crm.Record{ID: id, Properties: map[string]any{"phones": []any{map[string]any{"value": phone}}}}
	}
	records := []crm.Record{
		record("1", "020 7946 0958"),
		record("2", "+44 (0)20 7946 0958"),
		record("3", "00442079460958"),
		record("4", "020 7946 09581"),
		record("5", "+44 20 7946 0959"),
		{ID: "6", Properties: map[string]any{}},
	}

	matched := keepMatching(records, matchingDigits([]string{"+442079460958"}))

	var ids []string
	for _, rec := range matched {
		ids = append(ids, rec.ID)
	}
	require.Equal(t, []string{"1", "2", "3"}, ids)
}
