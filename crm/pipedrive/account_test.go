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

const meJSON = `{"success": true, "data": {"id": 7001, "name": "Grace Hopper", "email": "grace@example.com", "company_id": 880, "company_name": "Acme Ltd", "company_domain": "acme", "company_country": "GB", "locale": "en_GB", "timezone_name": "Europe/London", "is_you": true}}`

const forbiddenJSON = `{"success": false, "error": "Scope and URL mismatch", "errorCode": 403, "error_info": "Please check developers.pipedrive.com for more information"}`

func TestTestFillsCompanyAndReportsCapabilities(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/users/me", meJSON)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+alanJSON+`], "additional_data": {"next_cursor": "eyJpZCI6MzAzfQ"}}`)
	fake.OK(http.MethodGet, "/api/v2/persons/search", searchJSON())
	fake.On(http.MethodGet, "/api/v1/recents", crmhttptest.Response{Status: 403, Body: forbiddenJSON})
	fake.OK(http.MethodGet, "/api/v1/users", usersJSON)
	connector := newTestConnector(fake, Config{})

	caps, err := connector.Test(context.Background())
	require.NoError(t, err)

	require.Equal(t, crm.Capabilities{
		Account:        "Acme Ltd (acme.pipedrive.com)",
		CanSearchPhone: true,
		CanReadOwners:  true,
		Notes: []string{
			"Recent changes are not readable; grant the recents:read scope so the sync sees deleted persons.",
			"Writing call logs to Pipedrive was not checked; OAuth apps need the phone-integration scope.",
		},
	}, caps)
	require.Equal(t, "acme", connector.CompanyDomain())
	require.Equal(t, "https://acme.pipedrive.com/person/303", connector.RecordURL(crm.Record{ID: "303"}))

	requests := fake.Requests()
	require.Equal(t, map[string][]string{"term": {"00"}, "fields": {"phone"}, "exact_match": {"true"}, "limit": {"1"}}, map[string][]string(requests[2].Query))
	require.Equal(t, map[string][]string{"since_timestamp": {"2025-03-04 21:00:00"}, "items": {"person"}, "limit": {"1"}}, map[string][]string(requests[3].Query))
	fake.AssertDone()
}

func TestTestKeepsConfiguredDomain(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/users/me", meJSON)
	fake.On(http.MethodGet, "/api/v2/persons", crmhttptest.Response{Status: 403, Body: forbiddenJSON})
	connector := newTestConnector(fake, Config{CompanyDomain: "acme-eu"})

	_, err := connector.Test(context.Background())
	require.ErrorIs(t, err, crm.ErrUnauthorized)
	require.ErrorContains(t, err, "contacts:read")
	require.Equal(t, "acme-eu", connector.CompanyDomain())
	fake.AssertDone()
}

func TestRecordURLWithoutDomain(t *testing.T) {
	require.Empty(t, New(Config{}).RecordURL(crm.Record{ID: "301"}))
}

func TestFields(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/personFields", `{"success": true, "data": [
	  {"field_name": "Name", "field_code": "name", "field_type": "varchar", "options": null, "is_custom_field": false, "is_optional_response_field": false},
	  {"field_name": "Phone", "field_code": "phones", "field_type": "phone", "options": null, "is_custom_field": false, "is_optional_response_field": false}
	], "additional_data": {"next_cursor": "cGFnZTI"}}`)
	fake.OK(http.MethodGet, "/api/v2/personFields", `{"success": true, "data": [
	  {"field_name": "Tier", "field_code": "d4de1c1518b4531717c676029a45911c340390a6", "field_type": "enum",
	   "options": [{"id": 1, "label": "VIP"}, {"id": 2, "label": "Standard"}], "is_custom_field": true, "is_optional_response_field": false}
	], "additional_data": {"next_cursor": null}}`)
	connector := newTestConnector(fake, Config{})

	fields, err := connector.Fields(context.Background())
	require.NoError(t, err)

	require.Equal(t, []crm.Field{
		{Name: "name", Label: "Name", Type: "varchar", Object: "person"},
		{Name: "phones", Label: "Phone", Type: "phone", Object: "person"},
		{Name: "d4de1c1518b4531717c676029a45911c340390a6", Label: "Tier", Type: "enum", Object: "person", Options: []string{"VIP", "Standard"}},
		{Name: "emails", Label: "Email", Type: "varchar", Object: "person"},
		{Name: "org_name", Label: "Organization name", Type: "varchar", Object: "person"},
	}, fields)
	requests := fake.Requests()
	require.Equal(t, map[string][]string{"limit": {"500"}}, map[string][]string(requests[0].Query))
	require.Equal(t, "cGFnZTI", requests[1].Query.Get("cursor"))
	fake.AssertDone()
}

func TestSample(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [`+adaJSON+`], "additional_data": {"next_cursor": "eyJpZCI6MzAxfQ"}}`)
	expectEnrichment(fake)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	record, err := connector.Sample(context.Background())
	require.NoError(t, err)

	require.Equal(t, adaRecordProperties(), record.Properties)
	require.Equal(t, "Grace Hopper", record.OwnerName)
	require.Equal(t, "1", fake.Requests()[0].Query.Get("limit"))
	fake.AssertDone()
}

func TestSampleEmptyAccount(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v2/persons", `{"success": true, "data": [], "additional_data": {"next_cursor": null}}`)
	connector := newTestConnector(fake, Config{})

	_, err := connector.Sample(context.Background())
	require.ErrorIs(t, err, crm.ErrNoSample)
	fake.AssertDone()
}

func TestUnsupportedAPIVersion(t *testing.T) {
	connector := New(Config{BaseURL: "http://127.0.0.1:1", APIVersion: "v1"})

	_, err := connector.Fields(context.Background())
	require.ErrorContains(t, err, `pipedrive API version "v1" is not supported`)
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		response  crmhttptest.Response
		wantIs    error
		wantRetry time.Duration
	}{
		{name: "401", response: crmhttptest.Response{Status: 401, Body: `{"success": false, "error": "unauthorized access", "errorCode": 401, "error_info": "Please check developers.pipedrive.com for more information"}`}, wantIs: crm.ErrUnauthorized},
		{name: "403", response: crmhttptest.Response{Status: 403, Body: forbiddenJSON}, wantIs: crm.ErrUnauthorized},
		{
			name:      "429 retry after seconds",
			response:  crmhttptest.Response{Status: 429, Header: map[string]string{"Retry-After": "4", "X-Ratelimit-Reset": "2"}, Body: `{"success": false, "error": "Rate limit exceeded", "errorCode": 429}`},
			wantRetry: 4 * time.Second,
		},
		{
			name:      "429 retry after date",
			response:  crmhttptest.Response{Status: 429, Header: map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, Body: `{}`},
			wantRetry: 89 * time.Second,
		},
		{
			name:      "429 ratelimit reset",
			response:  crmhttptest.Response{Status: 429, Header: map[string]string{"X-Ratelimit-Reset": "2"}, Body: `{"success": false, "error": "Rate limit exceeded", "errorCode": 429}`},
			wantRetry: 2 * time.Second,
		},
		{name: "500", response: crmhttptest.Response{Status: 500, Body: `{"success": false, "error": "Internal server error"}`}, wantIs: crm.ErrUnavailable},
		{name: "malformed body", response: crmhttptest.Response{Status: 200, Body: `{"success": true, "data": [{"field_code": `}, wantIs: crm.ErrUnavailable},
		{name: "slow response", response: crmhttptest.Response{Hang: true}, wantIs: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := crmhttptest.NewServer(t)
			fake.On(http.MethodGet, "/api/v2/personFields", tt.response)
			connector := newTestConnector(fake, Config{})
			timeout := 2 * time.Second
			if tt.response.Hang {
				timeout = 20 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()

			_, err := connector.Fields(ctx)
			require.Error(t, err)

			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
			if tt.response.Status == 429 {
				var limited *crm.RateLimitedError
				require.ErrorAs(t, err, &limited)
				require.InDelta(t, tt.wantRetry, limited.RetryAfter, float64(time.Second))
			}
			if tt.response.Hang {
				require.ErrorIs(t, err, crm.ErrUnavailable)
			}
		})
	}
}

func TestBaseURLWithAPIPath(t *testing.T) {
	suffixes := []string{"/api/v1", "/api/v1/", "/API/V1", "/api/v2", "/v1", "/v2/", "/api", ""}
	for _, suffix := range suffixes {
		t.Run(suffix, func(t *testing.T) {
			fake := crmhttptest.NewServer(t)
			fake.OK(http.MethodGet, "/api/v1/users/find", `{"success":true,"data":[{"id":9001,"email":"grace@example.com"}]}`)
			connector := New(Config{BaseURL: fake.URL + suffix, HTTPClient: fake.Client("x-api-token", "test-api-token")})

			id, err := connector.FindUserID(context.Background(), "grace@example.com")
			require.NoError(t, err)
			require.Equal(t, "9001", id)
			require.Equal(t, "/api/v1/users/find", fake.Requests()[0].Path)
		})
	}
}
