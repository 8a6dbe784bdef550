package salesforce

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
)

const versionsBody = `[
  {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"},
  {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"}
]`

const organizationBody = `{"totalSize": 1, "done": true, "records": [
  {"attributes": {"type": "Organization", "url": "/services/data/v63.0/sobjects/Organization/00DDn00000AcmAAA"}, "Id": "00DDn00000AcmAAA", "Name": "Acme Inc"}]}`

func TestTest(t *testing.T) {
	tests := []struct {
		name    string
		objects string
		want    crm.Capabilities
	}{
		{
			name: "full access",
			objects: `{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
			  {"name": "Contact", "queryable": true, "searchable": true, "createable": true, "replicateable": true},
			  {"name": "Lead", "queryable": true, "searchable": true, "createable": true, "replicateable": true},
			  {"name": "Task", "queryable": true, "searchable": true, "createable": true, "replicateable": true},
			  {"name": "User", "queryable": true, "searchable": true, "createable": false, "replicateable": true}]}`,
			want: crm.Capabilities{
				Account: "Acme Inc (00DDn00000AcmAAA)", CanSearchPhone: true, CanListChanges: true,
				CanReadOwners: true, CanWriteCalls: new(true),
			},
		},
		{
			name: "no leads, no users, no tasks",
			objects: `{"sobjects": [
			  {"name": "Contact", "queryable": true, "searchable": false, "createable": false, "replicateable": false}]}`,
			want: crm.Capabilities{
				Account: "Acme Inc (00DDn00000AcmAAA)", CanWriteCalls: new(false),
				Notes: []string{
					"Contact records are not searchable, so calls cannot be matched to them.",
					"Contact is not replicateable, so a sync cannot read its deletions.",
					"The user has no access to Lead records. Grant read access or remove Lead from the objects.",
					"The user cannot query User records, so record owners are missing. Grant read access to users.",
					"The user cannot create Task records, so calls cannot be logged as activities.",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := responses{
				"/services/data/": versionsBody,
				"/services/data/v63.0/query?SELECT Id, Name FROM Organization": organizationBody,
				"/services/data/v63.0/sobjects/":                               tt.objects,
			}
			c, fake := setup(t, org.handler(t))

			caps, err := c.Test(context.Background())
			require.NoError(t, err)
			require.Equal(t, tt.want, caps)
			require.Len(t, fake.requests(), 3)
		})
	}
}

func TestTestVersionNotOffered(t *testing.T) {
	c, fake := setupWith(t, Config{APIVersion: "64.0"}, responses{"/services/data/": versionsBody}.handler(t))

	_, err := c.Test(context.Background())
	require.EqualError(t, err, "salesforce org does not offer REST API version 64.0 (latest offered: 63.0); set settings.api_version to an offered version")
	require.Len(t, fake.requests(), 1)
}

func TestTestRejectedToken(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/data/" {
			reply(w, http.StatusOK, versionsBody)
			return
		}
		reply(w, http.StatusUnauthorized, `[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]`)
	})

	_, err := c.Test(context.Background())
	require.ErrorIs(t, err, crm.ErrUnauthorized)
}

const contactDescribe = `{"name": "Contact", "label": "Contact", "queryable": true, "fields": [
  {"name": "Id", "label": "Contact ID", "type": "id", "picklistValues": []},
  {"name": "MobilePhone", "label": "Mobile Phone", "type": "phone", "picklistValues": []},
  {"name": "LeadSource", "label": "Lead Source", "type": "picklist", "picklistValues": [
    {"active": true, "defaultValue": false, "label": "Web", "validFor": null, "value": "Web"},
    {"active": false, "defaultValue": false, "label": "Fax", "validFor": null, "value": "Fax"},
    {"active": true, "defaultValue": false, "label": "Phone Inquiry", "validFor": null, "value": "Phone Inquiry"}]}]}`

const leadDescribe = `{"name": "Lead", "label": "Lead", "fields": [
  {"name": "Company", "label": "Company", "type": "string", "picklistValues": []}]}`

func TestFields(t *testing.T) {
	org := responses{
		"/services/data/v63.0/sobjects/Contact/describe": contactDescribe,
		"/services/data/v63.0/sobjects/Lead/describe":    leadDescribe,
	}
	c, _ := setupWith(t, Config{ExtraFields: []string{"ReportsTo.Name"}}, org.handler(t))

	fields, err := c.Fields(context.Background())
	require.NoError(t, err)

	require.Equal(t, []crm.Field{
		{Name: "Id", Label: "Contact ID", Type: "id", Object: "Contact"},
		{Name: "MobilePhone", Label: "Mobile Phone", Type: "phone", Object: "Contact"},
		{Name: "LeadSource", Label: "Lead Source", Type: "picklist", Object: "Contact", Options: []string{"Web", "Phone Inquiry"}},
		{Name: "Account.Name", Label: "Account Name", Type: "string", Object: "Contact"},
		{Name: "Owner.Name", Label: "Owner Name", Type: "string", Object: "Contact"},
		{Name: "Owner.Email", Label: "Owner Email", Type: "string", Object: "Contact"},
		{Name: "ReportsTo.Name", Label: "ReportsTo.Name", Type: "string", Object: "Contact"},
		{Name: "Company", Label: "Company", Type: "string", Object: "Lead"},
		{Name: "Owner.Name", Label: "Owner Name", Type: "string", Object: "Lead"},
		{Name: "Owner.Email", Label: "Owner Email", Type: "string", Object: "Lead"},
		{Name: "ReportsTo.Name", Label: "ReportsTo.Name", Type: "string", Object: "Lead"},
	}, fields)
}

func TestSample(t *testing.T) {
	const (
		contactSample = "SELECT " + contactFields + " FROM Contact ORDER BY LastModifiedDate DESC LIMIT 1"
		leadSample    = "SELECT " + leadFields + " FROM Lead ORDER BY LastModifiedDate DESC LIMIT 1"
	)
	leadRecord := `{"attributes": {"type": "Lead"}, "Id": "00QDn00000BabAAA", "LastName": "Babbage",
	  "OwnerId": "005Dn00000GraAAA", "Owner": {"attributes": {"type": "Name"}, "Name": "Grace Hopper", "Email": "grace@example.com"},
	  "LastModifiedDate": "2024-05-02T10:00:00.000+0000"}`
	org := responses{
		"/services/data/v63.0/query?" + contactSample: `{"totalSize": 0, "done": true, "records": []}`,
		"/services/data/v63.0/query?" + leadSample:    `{"totalSize": 1, "done": true, "records": [` + leadRecord + `]}`,
	}
	c, fake := setup(t, org.handler(t))

	record, err := c.Sample(context.Background())
	require.NoError(t, err)

	require.Equal(t, crm.Record{
		ID:     "00QDn00000BabAAA",
		Object: "Lead",
		Properties: map[string]any{
			"Id": "00QDn00000BabAAA", "LastName": "Babbage", "OwnerId": "005Dn00000GraAAA",
			"Owner.Name": "Grace Hopper", "Owner.Email": "grace@example.com",
			"LastModifiedDate": "2024-05-02T10:00:00.000+0000",
		},
		OwnerID: "005Dn00000GraAAA", OwnerName: "Grace Hopper", OwnerEmail: "grace@example.com",
		URL:       fake.server.URL + "/lightning/r/Lead/00QDn00000BabAAA/view",
		UpdatedAt: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC),
	}, record)
	require.Equal(t, []request{
		{Path: "/services/data/v63.0/query", Query: url.Values{"q": {contactSample}}},
		{Path: "/services/data/v63.0/query", Query: url.Values{"q": {leadSample}}},
	}, fake.requests())
}

func TestSampleEmptyOrg(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `{"totalSize": 0, "done": true, "records": []}`)
	})

	_, err := c.Sample(context.Background())
	require.ErrorIs(t, err, crm.ErrNoSample)
	require.ErrorContains(t, err, "no Contact or Lead in the salesforce org")
}

func TestRecordWithoutAccount(t *testing.T) {
	c := New(Config{InstanceURL: "https://acme.my.salesforce.com"})
	record, err := c.toRecord(sobject{
		"attributes": map[string]any{"type": "Contact"},
		"Id":         "003Dn00000AdaAAA", "Account": nil, "Owner": nil, "Email": nil,
	}, "Contact")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"Id": "003Dn00000AdaAAA", "Email": nil}, record.Properties)
}
