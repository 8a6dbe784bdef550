package salesforce

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

func TestEscapeSOSL(t *testing.T) {
	tests := []struct {
		name string
		term string
		want string
	}{
		{name: "e164", term: "+14155550100", want: `\+14155550100`},
		{name: "national with brackets", term: "+1 (415) 555-0100", want: `\+1 \(415\) 555\-0100`},
		{name: "digits only", term: "4155550100", want: "4155550100"},
		{name: "every reserved character", term: `?&|!{}[]()^~*:\"'+-`, want: `\?\&\|\!\{\}\[\]\(\)\^\~\*\:\\\"\'\+\-`},
		{name: "closing brace and quote", term: `0100"} OR {x`, want: `0100\"\} OR \{x`},
		{name: "non-ASCII kept", term: "０１００ é", want: "０１００ é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, escapeSOSL(tt.term))
		})
	}
}

func TestEscapeSOQL(t *testing.T) {
	require.Equal(t, `003\' OR Id != \'x\\`, escapeSOQL(`003' OR Id != 'x\`))
}

const contactFields = "Id, FirstName, LastName, Name, Title, Email, Phone, MobilePhone, HomePhone, OtherPhone, AssistantPhone, AccountId, Account.Name, OwnerId, Owner.Name, Owner.Email, LastModifiedDate"

const leadFields = "Id, FirstName, LastName, Name, Title, Company, Email, Phone, MobilePhone, Status, IsConverted, OwnerId, Owner.Name, Owner.Email, LastModifiedDate"

const searchBody = `{"searchRecords": [
  {"attributes": {"type": "Contact", "url": "/services/data/v63.0/sobjects/Contact/003Dn00000AdaAAA"},
   "Id": "003Dn00000AdaAAA", "FirstName": "Ada", "LastName": "Lovelace", "Name": "Ada Lovelace", "Title": "CTO",
   "Email": "ada@example.com", "Phone": "(415) 555-0100", "MobilePhone": null, "HomePhone": null,
   "OtherPhone": null, "AssistantPhone": null, "AccountId": "001Dn00000EngAAA",
   "Account": {"attributes": {"type": "Account", "url": "/services/data/v63.0/sobjects/Account/001Dn00000EngAAA"}, "Name": "Analytical Engines"},
   "OwnerId": "005Dn00000GraAAA",
   "Owner": {"attributes": {"type": "User", "url": "/services/data/v63.0/sobjects/User/005Dn00000GraAAA"}, "Name": "Grace Hopper", "Email": "grace@example.com"},
   "LastModifiedDate": "2024-05-01T09:30:00.000+0000"},
  {"attributes": {"type": "Lead", "url": "/services/data/v63.0/sobjects/Lead/00QDn00000BabAAA"},
   "Id": "00QDn00000BabAAA", "FirstName": null, "LastName": "Babbage", "Name": "Babbage", "Title": null,
   "Company": "Difference Ltd", "Email": null, "Phone": "+1 415 555 0100", "MobilePhone": null,
   "Status": "Open - Not Contacted", "IsConverted": false, "OwnerId": "00GDn00000QueAAA",
   "Owner": {"attributes": {"type": "Name", "url": "/services/data/v63.0/sobjects/Group/00GDn00000QueAAA"}, "Name": "Inbound Queue", "Email": null},
   "LastModifiedDate": "2024-05-02T10:00:00.000+0000"}
]}`

func TestSearchByPhone(t *testing.T) {
	c, org := setup(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, searchBody)
	})

	forms := []string{"+14155550100", "+1 (415) 555-0100", "", "4155550100", "+14155550100"}
	records, err := c.SearchByPhone(context.Background(), forms)
	require.NoError(t, err)

	wantSOSL := `FIND {"\+14155550100" OR "\+1 \(415\) 555\-0100" OR "4155550100"} IN PHONE FIELDS` +
		` RETURNING Contact(` + contactFields + `), Lead(` + leadFields + `) LIMIT 20`
	require.Equal(t, []request{{Path: "/services/data/v63.0/search/", Query: query(wantSOSL)}}, org.requests())

	base := org.server.URL
	want := []crm.Record{
		{
			ID:     "003Dn00000AdaAAA",
			Object: "Contact",
			Properties: map[string]any{
				"Id": "003Dn00000AdaAAA", "FirstName": "Ada", "LastName": "Lovelace", "Name": "Ada Lovelace",
				"Title": "CTO", "Email": "ada@example.com", "Phone": "(415) 555-0100", "MobilePhone": nil,
				"HomePhone": nil, "OtherPhone": nil, "AssistantPhone": nil, "AccountId": "001Dn00000EngAAA",
				"Account.Name": "Analytical Engines", "OwnerId": "005Dn00000GraAAA",
				"Owner.Name": "Grace Hopper", "Owner.Email": "grace@example.com",
				"LastModifiedDate": "2024-05-01T09:30:00.000+0000",
			},
			OwnerID:    "005Dn00000GraAAA",
			OwnerName:  "Grace Hopper",
			OwnerEmail: "grace@example.com",
			URL:        base + "/lightning/r/Contact/003Dn00000AdaAAA/view",
			UpdatedAt:  time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC),
		},
		{
			ID:     "00QDn00000BabAAA",
			Object: "Lead",
			Properties: map[string]any{
				"Id": "00QDn00000BabAAA", "FirstName": nil, "LastName": "Babbage", "Name": "Babbage", "Title": nil,
				"Company": "Difference Ltd", "Email": nil, "Phone": "+1 415 555 0100", "MobilePhone": nil,
				"Status": "Open - Not Contacted", "IsConverted": false, "OwnerId": "00GDn00000QueAAA",
				"Owner.Name": "Inbound Queue", "Owner.Email": nil,
				"LastModifiedDate": "2024-05-02T10:00:00.000+0000",
			},
			OwnerID:   "00GDn00000QueAAA",
			OwnerName: "Inbound Queue",
			URL:       base + "/lightning/r/Lead/00QDn00000BabAAA/view",
			UpdatedAt: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC),
		},
	}
	require.Equal(t, want, records)
}

func TestSearchByPhoneConfiguredObjects(t *testing.T) {
	cfg := Config{APIVersion: "v60.0", Objects: []string{"Account"}, ExtraFields: []string{"Rating", "phone", "Parent.Name"}}
	c, org := setupWith(t, cfg, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `{"searchRecords": []}`)
	})

	records, err := c.SearchByPhone(context.Background(), []string{"+4930123456"})
	require.NoError(t, err)
	require.Empty(t, records)

	wantSOSL := `FIND {"\+4930123456"} IN PHONE FIELDS RETURNING Account(Id, Name, Phone, Fax, Website, Type, Industry, OwnerId, Owner.Name, Owner.Email, LastModifiedDate, Rating, Parent.Name) LIMIT 20`
	require.Equal(t, []request{{Path: "/services/data/v60.0/search/", Query: query(wantSOSL)}}, org.requests())
}

func TestSearchByPhoneNoForms(t *testing.T) {
	c, org := setup(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, searchBody)
	})

	records, err := c.SearchByPhone(context.Background(), []string{"", "  "})
	require.NoError(t, err)
	require.Nil(t, records)
	require.Empty(t, org.requests())
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		retryAfter   string
		body         string
		unauthorized bool
		unavailable  bool
		// wait is the RetryAfter of a *crm.RateLimitedError, or -1 when
		// the error is not one.
		wait    time.Duration
		message string
	}{
		{
			name: "expired session", status: http.StatusUnauthorized,
			body:         `[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]`,
			unauthorized: true, wait: -1, message: "INVALID_SESSION_ID",
		},
		{
			name: "daily request limit", status: http.StatusForbidden,
			body: `[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]`,
			wait: 5 * time.Minute, message: "TotalRequests Limit exceeded.",
		},
		{
			name: "request limit with retry-after", status: http.StatusForbidden, retryAfter: "120",
			body: `[{"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]`,
			wait: 2 * time.Minute, message: "REQUEST_LIMIT_EXCEEDED",
		},
		{
			name: "missing permission", status: http.StatusForbidden,
			body:         `[{"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}]`,
			unauthorized: true, wait: -1, message: "API_DISABLED_FOR_ORG",
		},
		{
			name: "too many requests", status: http.StatusTooManyRequests, retryAfter: "30",
			body: `[]`, wait: 30 * time.Second, message: "rate limit",
		},
		{
			name: "server error", status: http.StatusInternalServerError,
			body:        `[{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}]`,
			unavailable: true, wait: -1, message: "UNKNOWN_EXCEPTION",
		},
		{
			name: "malformed query", status: http.StatusBadRequest,
			body: `[{"message": "unexpected token: OR", "errorCode": "MALFORMED_SEARCH"}]`,
			wait: -1, message: "salesforce MALFORMED_SEARCH: CRM request failed: HTTP 400: unexpected token: OR",
		},
		{
			name: "malformed body", status: http.StatusOK, body: `{"searchRecords": [`,
			unavailable: true, wait: -1, message: "invalid JSON",
		},
		{
			name: "record without id", status: http.StatusOK, body: `{"searchRecords": [{"attributes": {"type": "Lead"}}]}`,
			unavailable: true, wait: -1, message: "Lead record without Id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				reply(w, tt.status, tt.body)
			})

			_, err := c.SearchByPhone(context.Background(), []string{"+14155550100"})
			require.Error(t, err)
			require.Equal(t, tt.unauthorized, errors.Is(err, crm.ErrUnauthorized), "ErrUnauthorized: %v", err)
			require.Equal(t, tt.unavailable, errors.Is(err, crm.ErrUnavailable), "ErrUnavailable: %v", err)
			require.Contains(t, err.Error(), tt.message)

			var limited *crm.RateLimitedError
			if tt.wait < 0 {
				require.False(t, errors.As(err, &limited), "unexpected rate limit: %v", err)
				return
			}
			require.ErrorAs(t, err, &limited)
			require.Equal(t, tt.wait, limited.RetryAfter)
		})
	}
}

func TestSlowResponse(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	_, err := c.SearchByPhone(ctx, []string{"+14155550100"})
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRecordURL(t *testing.T) {
	c := New(Config{InstanceURL: "https://acme.my.salesforce.com/"})
	url := c.RecordURL(crm.Record{ID: "003Dn00000AdaAAA", Object: "Contact"})
	require.Equal(t, "https://acme.my.salesforce.com/lightning/r/Contact/003Dn00000AdaAAA/view", url)
}

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		fields []string
	}{
		{name: "minimal", cfg: Config{InstanceURL: "https://acme.my.salesforce.com"}},
		{
			name: "everything set",
			cfg: Config{InstanceURL: "https://acme.my.salesforce.com", APIVersion: "v61.0",
				Objects: []string{"Lead", "Account"}, ExtraFields: []string{"Rating__c", "Account.Owner.Name"}},
		},
		{name: "no instance", cfg: Config{}, fields: []string{"settings.instance_url"}},
		{name: "relative instance", cfg: Config{InstanceURL: "acme.my.salesforce.com"}, fields: []string{"settings.instance_url"}},
		{name: "instance with query", cfg: Config{InstanceURL: "https://acme.my.salesforce.com/?x=1"}, fields: []string{"settings.instance_url"}},
		{
			name:   "bad version, object and fields",
			cfg:    Config{InstanceURL: "https://acme.my.salesforce.com", APIVersion: "61", Objects: []string{"Contact", "Opportunity"}, ExtraFields: []string{"Name", "Id FROM User --", ""}},
			fields: []string{"settings.api_version", "settings.objects[1]", "settings.extra_fields[1]", "settings.extra_fields[2]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateConfig(tt.cfg)
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var invalid *validation.Error
			require.ErrorAs(t, err, &invalid)
			var names []string
			for _, f := range invalid.Fields {
				names = append(names, f.Field)
			}
			require.Equal(t, tt.fields, names)
		})
	}
}

func TestInvalidConfigFailsEveryCall(t *testing.T) {
	c := New(Config{InstanceURL: "ftp://acme"})
	_, err := c.SearchByPhone(context.Background(), []string{"+14155550100"})
	var invalid *validation.Error
	require.ErrorAs(t, err, &invalid)

	_, err = c.ListChanged(context.Background(), time.Time{}, "")
	require.ErrorAs(t, err, &invalid)
}

func TestInstanceURLWithRESTPath(t *testing.T) {
	cases := []struct {
		instanceURL string
		want        string
	}{
		{"https://acme.my.salesforce.com/services/data/v63.0", "https://acme.my.salesforce.com"},
		{"https://acme.my.salesforce.com/services/data/v63.0/", "https://acme.my.salesforce.com"},
		{"https://acme.my.salesforce.com/services/data", "https://acme.my.salesforce.com"},
		{"https://acme.my.salesforce.com/Services/Data/", "https://acme.my.salesforce.com"},
		{"https://acme.my.salesforce.com/", "https://acme.my.salesforce.com"},
		{"https://acme.my.salesforce.com/services/data/v63.0/sobjects", "https://acme.my.salesforce.com/services/data/v63.0/sobjects"},
	}
	for _, tc := range cases {
		t.Run(tc.instanceURL, func(t *testing.T) {
			connector := New(Config{InstanceURL: tc.instanceURL})
			require.NoError(t, connector.configErr)
			require.Equal(t, tc.want+"/lightning/r/Contact/003A/view", connector.RecordURL(crm.Record{ID: "003A", Object: "Contact"}))
		})
	}
}

func TestSearchByPhoneTrimsRESTPath(t *testing.T) {
	c, org := setup(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `{"searchRecords": []}`)
	})
	c.instanceURL = instanceRoot(org.server.URL + "/services/data/v63.0/")

	_, err := c.SearchByPhone(context.Background(), []string{"+14155550123"})
	require.NoError(t, err)
	require.Equal(t, "/services/data/v"+DefaultAPIVersion+"/search/", org.seen[0].Path)
}
