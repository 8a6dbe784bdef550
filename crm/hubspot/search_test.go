package hubspot

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

const searchJSON = `{
  "total": 2,
  "results": [
    {
      "id": "151",
      "properties": {
        "company": "Analytical Engines",
        "createdate": "2024-11-02T09:15:00.000Z",
        "email": "ada@example.com",
        "firstname": "Ada",
        "hs_object_id": "151",
        "hubspot_owner_id": "7001",
        "lastmodifieddate": "2025-02-01T08:30:00.000Z",
        "lastname": "Lovelace",
        "mobilephone": null,
        "phone": "+1 415-555-0123"
      },
      "createdAt": "2024-11-02T09:15:00.000Z",
      "updatedAt": "2025-02-01T08:30:00.000Z",
      "archived": false
    },
    {
      "id": "152",
      "properties": {
        "firstname": "Charles",
        "hs_object_id": "152",
        "hubspot_owner_id": "7002",
        "lastmodifieddate": "2025-02-03T12:00:00.000Z",
        "lastname": "Babbage",
        "mobilephone": "4155550123"
      },
      "createdAt": "2024-12-01T10:00:00.000Z",
      "updatedAt": "2025-02-03T12:00:00.000Z",
      "archived": false
    }
  ]
}`

const ownerJSON = `{"id":"7001","email":"grace@example.com","firstName":"Grace","lastName":"Hopper","userId":9001,"createdAt":"2023-01-01T00:00:00Z","updatedAt":"2024-01-01T00:00:00Z","archived":false}`

func TestSearchByPhone(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search", searchJSON)
	fake.OK(http.MethodGet, "/crm/v3/owners/7001", ownerJSON)
	fake.On(http.MethodGet, "/crm/v3/owners/7002", crmhttptest.Response{Status: 404, Body: `{"status":"error","message":"Owner not found","category":"OBJECT_NOT_FOUND"}`})
	connector := newTestConnector(fake, Config{PortalID: "4242", Properties: []string{"hs_lead_status", "phone"}})

	forms := []string{"+14155550123", "+1 415-555-0123", "(415) 555-0123", "415-555-0123", "14155550123", "4155550123"}
	records, err := connector.SearchByPhone(context.Background(), forms)
	require.NoError(t, err)

	want := []crm.Record{
		{
			ID:     "151",
			Object: "contact",
			Properties: map[string]any{
				"company": "Analytical Engines", "createdate": "2024-11-02T09:15:00.000Z", "email": "ada@example.com",
				"firstname": "Ada", "hs_object_id": "151", "hubspot_owner_id": "7001",
				"lastmodifieddate": "2025-02-01T08:30:00.000Z", "lastname": "Lovelace", "phone": "+1 415-555-0123",
			},
			OwnerID:    "7001",
			OwnerName:  "Grace Hopper",
			OwnerEmail: "grace@example.com",
			URL:        "https://app.hubspot.com/contacts/4242/record/0-1/151",
			UpdatedAt:  mustTime(t, "2025-02-01T08:30:00Z"),
		},
		{
			ID:     "152",
			Object: "contact",
			Properties: map[string]any{
				"firstname": "Charles", "hs_object_id": "152", "hubspot_owner_id": "7002",
				"lastmodifieddate": "2025-02-03T12:00:00.000Z", "lastname": "Babbage", "mobilephone": "4155550123",
			},
			OwnerID:   "7002",
			URL:       "https://app.hubspot.com/contacts/4242/record/0-1/152",
			UpdatedAt: mustTime(t, "2025-02-03T12:00:00Z"),
		},
	}
	require.Equal(t, want, records)

	calls := fake.Requests()
	require.Len(t, calls, 3)
	require.Equal(t, "Bearer pat-na1-test", calls[0].Header.Get("Authorization"))
	require.JSONEq(t, `{
	  "filterGroups": [
	    {"filters": [{"propertyName": "phone", "operator": "IN", "values": ["+14155550123", "+1 415-555-0123", "(415) 555-0123", "415-555-0123", "14155550123", "4155550123"]}]},
	    {"filters": [{"propertyName": "mobilephone", "operator": "IN", "values": ["+14155550123", "+1 415-555-0123", "(415) 555-0123", "415-555-0123", "14155550123", "4155550123"]}]},
	    {"filters": [{"propertyName": "hs_searchable_calculated_phone_number", "operator": "EQ", "value": "4155550123"}]},
	    {"filters": [{"propertyName": "hs_searchable_calculated_mobile_number", "operator": "EQ", "value": "4155550123"}]}
	  ],
	  "properties": ["firstname", "lastname", "email", "phone", "mobilephone", "company", "hubspot_owner_id", "lastmodifieddate", "hs_lead_status"],
	  "limit": 100
	}`, calls[0].Body)
	fake.AssertDone()
}

func TestSearchByPhoneCachesOwners(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search", searchJSON)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search", searchJSON)
	fake.OK(http.MethodGet, "/crm/v3/owners/7001", ownerJSON)
	fake.On(http.MethodGet, "/crm/v3/owners/7002", crmhttptest.Response{Status: 404, Body: `{"status":"error","message":"Owner not found"}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	for range 2 {
		records, err := connector.SearchByPhone(context.Background(), []string{"+14155550123"})
		require.NoError(t, err)
		require.Equal(t, "Grace Hopper", records[0].OwnerName)
	}

	require.Len(t, fake.Requests(), 4)
	fake.AssertDone()
}

func TestSearchByPhoneOwnerFailureIsSkipped(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/contacts/search", searchJSON)
	fake.On(http.MethodGet, "/crm/v3/owners/7001", crmhttptest.Response{Status: 502, Body: `bad gateway`})
	fake.On(http.MethodGet, "/crm/v3/owners/7002", crmhttptest.Response{Status: 502, Body: `bad gateway`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	records, err := connector.SearchByPhone(context.Background(), []string{"+14155550123"})
	require.NoError(t, err)
	require.Len(t, records, 2)
	require.Empty(t, records[0].OwnerName)
	fake.AssertDone()
}

func TestSearchByPhoneNoForms(t *testing.T) {
	connector := New(Config{BaseURL: "http://127.0.0.1:1"})

	_, err := connector.SearchByPhone(context.Background(), []string{" ", ""})
	require.ErrorContains(t, err, "no phone number given")
}

func TestPhoneFilterGroups(t *testing.T) {
	tests := []struct {
		name         string
		forms        []string
		wantValues   []string
		wantNational string
	}{
		{
			name:         "UK forms",
			forms:        []string{"+442079460958", "+44 20 7946 0958", "020 7946 0958", "020 7946 0958"},
			wantValues:   []string{"+442079460958", "+44 20 7946 0958", "020 7946 0958"},
			wantNational: "2079460958",
		},
		{
			name:       "unparseable first form",
			forms:      []string{"ext-204"},
			wantValues: []string{"ext-204"},
		},
		{
			name:  "nothing",
			forms: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := phoneFilterGroups(tt.forms)
			if tt.wantValues == nil {
				require.Empty(t, groups)
				return
			}

			require.Equal(t, filter{PropertyName: "phone", Operator: "IN", Values: tt.wantValues}, groups[0].Filters[0])
			require.Equal(t, filter{PropertyName: "mobilephone", Operator: "IN", Values: tt.wantValues}, groups[1].Filters[0])
			if tt.wantNational == "" {
				require.Len(t, groups, 2)
				return
			}
			require.Len(t, groups, 4)
			require.Equal(t, filter{PropertyName: "hs_searchable_calculated_phone_number", Operator: "EQ", Value: tt.wantNational}, groups[2].Filters[0])
			require.Equal(t, filter{PropertyName: "hs_searchable_calculated_mobile_number", Operator: "EQ", Value: tt.wantNational}, groups[3].Filters[0])
		})
	}
}
