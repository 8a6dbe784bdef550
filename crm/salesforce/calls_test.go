package salesforce

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

func newCallConnector(t *testing.T) (*Connector, *crmhttptest.Server) {
	t.Helper()
	fake := crmhttptest.NewServer(t)
	return New(Config{InstanceURL: fake.URL, HTTPClient: fake.Client("Authorization", "Bearer 00Dtest")}), fake
}

// losAngelesCall is a call at start, logged in America/Los_Angeles.
func losAngelesCall(t *testing.T, start time.Time) crm.CallLog {
	t.Helper()
	zone, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	return crm.CallLog{
		CallID: "call_0001", Direction: "inbound", From: "+14155550123", To: "+14155550100",
		StartedAt: start, EndedAt: start.Add(95 * time.Second), DurationSeconds: 95, Outcome: crm.OutcomeCompleted,
		OwnerID: "005000000000001", Title: "Inbound call +14155550123", Notes: "Asked for a quote.",
		ContactIDs: []string{"003000000000001"}, ContactObject: "Contact", Location: zone,
	}
}

func TestLogCallCreatesCallTask(t *testing.T) {
	connector, fake := newCallConnector(t)
	fake.On(http.MethodPost, "/services/data/v63.0/sobjects/Task", crmhttptest.Response{Status: http.StatusCreated, Body: `{"id":"00T000000000001","success":true,"errors":[]}`})

	log := losAngelesCall(t, time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC))
	log.Fields = map[string]string{"Call_Reason__c": "Support"}
	logged, err := connector.LogCall(context.Background(), log)
	require.NoError(t, err)

	require.Equal(t, crm.LoggedCall{ID: "00T000000000001", URL: fake.URL + "/lightning/r/Task/00T000000000001/view"}, logged)
	require.JSONEq(t, `{
		"Subject": "Inbound call +14155550123", "Status": "Completed", "ActivityDate": "2026-03-10",
		"CallType": "Inbound", "CallDurationInSeconds": 95, "CallObject": "call_0001", "CallDisposition": "Connected",
		"Description": "Asked for a quote.\n\nSwitchboard call call_0001", "OwnerId": "005000000000001",
		"TaskSubtype": "Call", "WhoId": "003000000000001", "Call_Reason__c": "Support"
	}`, fake.Requests()[0].Body)
}

// TestActivityDateAcrossDST checks the local date around the start of
// daylight saving time in Los Angeles, 2026-03-08 02:00 PST (10:00 UTC).
func TestActivityDateAcrossDST(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		want  string
	}{
		{"evening before, PST is UTC-8", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), "2026-03-07"},
		{"after the change, PDT is UTC-7", time.Date(2026, 3, 8, 10, 30, 0, 0, time.UTC), "2026-03-08"},
		{"late evening in PDT", time.Date(2026, 3, 9, 6, 59, 0, 0, time.UTC), "2026-03-08"},
		{"midnight in PDT", time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC), "2026-03-09"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, taskFields(losAngelesCall(t, tc.start))["ActivityDate"])
		})
	}
}

func TestUpdateCallLogPatchesTask(t *testing.T) {
	connector, fake := newCallConnector(t)
	fake.On(http.MethodPatch, "/services/data/v63.0/sobjects/Task/00T000000000001", crmhttptest.Response{Status: http.StatusNoContent})

	log := losAngelesCall(t, time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC))
	log.RecordingURL = "https://api.twilio.com/rec/RE1"
	_, err := connector.UpdateCallLog(context.Background(), "00T000000000001", log)
	require.NoError(t, err)

	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &body))
	require.Contains(t, body["Description"], "Recording: https://api.twilio.com/rec/RE1")
	require.NotContains(t, body, "WhoId")
	require.NotContains(t, body, "TaskSubtype")
}

func TestFindCallLogByCallObject(t *testing.T) {
	connector, fake := newCallConnector(t)
	fake.OK(http.MethodGet, "/services/data/v63.0/query", `{"totalSize":1,"done":true,"records":[{"Id":"00T000000000001"}]}`)
	fake.OK(http.MethodGet, "/services/data/v63.0/query", `{"totalSize":0,"done":true,"records":[]}`)

	log := losAngelesCall(t, time.Now())
	found, ok, err := connector.FindCallLog(context.Background(), log)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "00T000000000001", found.ID)
	require.Equal(t, "SELECT Id FROM Task WHERE CallObject = 'call_0001' ORDER BY CreatedDate LIMIT 1", fake.Requests()[0].Query.Get("q"))

	_, ok, err = connector.FindCallLog(context.Background(), log)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestFindUserIDEscapesEmail(t *testing.T) {
	connector, fake := newCallConnector(t)
	fake.OK(http.MethodGet, "/services/data/v63.0/query", `{"records":[{"Id":"005000000000001"}]}`)

	id, err := connector.FindUserID(context.Background(), "o'hara@example.com")
	require.NoError(t, err)
	require.Equal(t, "005000000000001", id)
	require.Equal(t, `SELECT Id FROM User WHERE Email = 'o\'hara@example.com' AND IsActive = true LIMIT 1`, fake.Requests()[0].Query.Get("q"))
}

func TestCreateContactCreatesLead(t *testing.T) {
	connector, fake := newCallConnector(t)
	fake.On(http.MethodPost, "/services/data/v63.0/sobjects/Lead", crmhttptest.Response{Status: http.StatusCreated, Body: `{"id":"00Q000000000001","success":true}`})

	record, err := connector.CreateContact(context.Background(), "+14155550999")
	require.NoError(t, err)
	require.Equal(t, "Lead", record.Object)
	require.JSONEq(t, `{"LastName":"+14155550999","Company":"Unknown caller +14155550999","Phone":"+14155550999","LeadSource":"Phone Inquiry"}`, fake.Requests()[0].Body)
}
