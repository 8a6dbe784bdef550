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

const accountJSON = `{"portalId":4242,"accountType":"STANDARD","timeZone":"Europe/London","companyCurrency":"GBP","additionalCurrencies":[],"utcOffset":"+00:00","utcOffsetMilliseconds":0,"uiDomain":"app-eu1.hubspot.com","dataHostingLocation":"eu1"}`

func TestTestFillsPortalAndReportsCapabilities(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/account-info/v3/details", accountJSON)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts", `{"results":[`+contactJSON("151", "Ada", `null`, "2025-02-01T08:30:00.000Z")+`]}`)
	fake.On(http.MethodGet, "/crm/v3/owners", crmhttptest.Response{Status: 403, Body: `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","category":"MISSING_SCOPES"}`})
	connector := newTestConnector(fake, Config{})

	caps, err := connector.Test(context.Background())
	require.NoError(t, err)

	require.Equal(t, crm.Capabilities{
		Account:        "HubSpot portal 4242",
		CanSearchPhone: true,
		CanListChanges: true,
		Notes: []string{
			"Owners are not readable; grant the crm.objects.owners.read scope to route calls by contact owner.",
			"Writing calls to HubSpot was not checked; it needs the crm.objects.calls.write scope.",
		},
	}, caps)
	require.Equal(t, "4242", connector.PortalID())
	require.Equal(t, "https://app-eu1.hubspot.com/contacts/4242/record/0-1/151", connector.RecordURL(crm.Record{ID: "151"}))
	require.Equal(t, "1", fake.Requests()[1].Query.Get("limit"))
	fake.AssertDone()
}

func TestTestKeepsConfiguredPortal(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/account-info/v3/details", accountJSON)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts", `{"results":[]}`)
	fake.OK(http.MethodGet, "/crm/v3/owners", `{"results":[]}`)
	connector := newTestConnector(fake, Config{PortalID: "99", AppBaseURL: "https://app.hubspot.com/"})

	caps, err := connector.Test(context.Background())
	require.NoError(t, err)

	require.Equal(t, "HubSpot portal 99", caps.Account)
	require.True(t, caps.CanReadOwners)
	require.Equal(t, "https://app.hubspot.com/contacts/99/record/0-1/7", connector.RecordURL(crm.Record{ID: "7"}))
	fake.AssertDone()
}

func TestTestRejectedToken(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.On(http.MethodGet, "/account-info/v3/details", crmhttptest.Response{Status: 401, Body: `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`})
	connector := newTestConnector(fake, Config{})

	_, err := connector.Test(context.Background())
	require.ErrorIs(t, err, crm.ErrUnauthorized)
	require.ErrorContains(t, err, "Authentication credentials not found.")
	fake.AssertDone()
}

func TestRecordURLWithoutPortal(t *testing.T) {
	connector := New(Config{})

	require.Empty(t, connector.RecordURL(crm.Record{ID: "151"}))
}

func TestFields(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/crm/v3/properties/contacts", `{"results":[
	  {"name":"firstname","label":"First Name","type":"string","fieldType":"text","groupName":"contactinformation","options":[],"hidden":false},
	  {"name":"hs_lead_status","label":"Lead Status","type":"enumeration","fieldType":"radio","groupName":"sales_properties",
	   "options":[{"label":"New","value":"NEW","displayOrder":0,"hidden":false},{"label":"Open deal","value":"OPEN_DEAL","displayOrder":1,"hidden":false}]}
	]}`)
	connector := newTestConnector(fake, Config{})

	fields, err := connector.Fields(context.Background())
	require.NoError(t, err)

	require.Equal(t, []crm.Field{
		{Name: "firstname", Label: "First Name", Type: "string", Object: "contact"},
		{Name: "hs_lead_status", Label: "Lead Status", Type: "enumeration", Object: "contact", Options: []string{"New", "Open deal"}},
	}, fields)
	fake.AssertDone()
}

func TestSample(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts", `{"results":[`+contactJSON("151", "Ada", `"7001"`, "2025-02-01T08:30:00.000Z")+`],"paging":{"next":{"after":"152"}}}`)
	fake.OK(http.MethodGet, "/crm/v3/owners/7001", ownerJSON)
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	record, err := connector.Sample(context.Background())
	require.NoError(t, err)

	require.Equal(t, "151", record.ID)
	require.Equal(t, "Grace Hopper", record.OwnerName)
	require.Equal(t, map[string][]string{"limit": {"1"}, "properties": {defaultPropertiesParam}}, map[string][]string(fake.Requests()[0].Query))
	fake.AssertDone()
}

func TestSampleEmptyAccount(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/crm/v3/objects/contacts", `{"results":[]}`)
	connector := newTestConnector(fake, Config{})

	_, err := connector.Sample(context.Background())
	require.ErrorIs(t, err, crm.ErrNoSample)
	fake.AssertDone()
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		response  crmhttptest.Response
		wantIs    error
		wantRetry time.Duration
	}{
		{name: "401", response: crmhttptest.Response{Status: 401, Body: `{"status":"error","message":"Authentication credentials not found."}`}, wantIs: crm.ErrUnauthorized},
		{name: "403", response: crmhttptest.Response{Status: 403, Body: `{"status":"error","message":"missing scopes","category":"MISSING_SCOPES"}`}, wantIs: crm.ErrUnauthorized},
		{
			name:      "429 retry after seconds",
			response:  crmhttptest.Response{Status: 429, Header: map[string]string{"Retry-After": "3"}, Body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`},
			wantRetry: 3 * time.Second,
		},
		{
			name:      "429 retry after date",
			response:  crmhttptest.Response{Status: 429, Header: map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, Body: `{}`},
			wantRetry: 89 * time.Second,
		},
		{
			name:      "429 ten secondly policy",
			response:  crmhttptest.Response{Status: 429, Body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`},
			wantRetry: 10 * time.Second,
		},
		{
			name:      "429 daily policy",
			response:  crmhttptest.Response{Status: 429, Body: `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`},
			wantRetry: 2 * time.Hour,
		},
		{name: "500", response: crmhttptest.Response{Status: 500, Body: `{"status":"error","message":"internal error"}`}, wantIs: crm.ErrUnavailable},
		{name: "malformed body", response: crmhttptest.Response{Status: 200, Body: `{"results":[{"id":`}, wantIs: crm.ErrUnavailable},
		{name: "slow response", response: crmhttptest.Response{Hang: true}, wantIs: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := crmhttptest.NewServer(t)
			fake.On(http.MethodGet, "/crm/v3/properties/contacts", tt.response)
			connector := newTestConnector(fake, Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if tt.response.Hang {
				ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
			}
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
