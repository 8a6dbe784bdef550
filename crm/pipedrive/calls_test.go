package pipedrive

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

// answeredCall is a 95-second outbound call to person 31.
func answeredCall() crm.CallLog {
	return crm.CallLog{
		CallID: "call_0001", Direction: "outbound", From: "+14155550100", To: "+14155550123",
		StartedAt: time.Date(2025, 3, 4, 21, 30, 0, 0, time.UTC), EndedAt: time.Date(2025, 3, 4, 21, 31, 40, 0, time.UTC),
		DurationSeconds: 95, Outcome: crm.OutcomeCompleted, OwnerID: "9001",
		RecordingURL: "https://api.twilio.com/rec/RE1", Notes: "Asked for a quote & a demo.", Title: "Outbound call to +14155550123",
		ContactIDs: []string{"31"}, ContactObject: "person",
	}
}

func TestLogCallFieldsAndUnits(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/api/v1/callLogs", `{"success":true,"data":{"id":"a1b2c3","activity_id":77}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	logged, err := connector.LogCall(context.Background(), answeredCall())
	require.NoError(t, err)

	require.Equal(t, crm.LoggedCall{ID: "a1b2c3", URL: "https://acme.pipedrive.com/person/31"}, logged)
	require.JSONEq(t, `{
		"user_id": 9001, "subject": "Outbound call to +14155550123", "duration": "95", "outcome": "connected",
		"from_phone_number": "+14155550100", "to_phone_number": "+14155550123",
		"start_time": "2025-03-04 21:30:00", "end_time": "2025-03-04 21:31:40", "person_id": 31,
		"note": "<p>Asked for a quote &amp; a demo.</p><p>Recording: https://api.twilio.com/rec/RE1</p><p>Switchboard call call_0001</p>"
	}`, fake.Requests()[0].Body)
}

func TestLogCallOutcomes(t *testing.T) {
	cases := []struct {
		outcome string
		want    string
	}{
		{crm.OutcomeCompleted, "connected"},
		{crm.OutcomeMissed, "no_answer"},
		{crm.OutcomeBusy, "busy"},
		{crm.OutcomeVoicemail, "left_voicemail"},
		{crm.OutcomeCancelled, "no_answer"},
		{crm.OutcomeFailed, "no_answer"},
	}
	for _, tc := range cases {
		t.Run(tc.outcome, func(t *testing.T) {
			require.Equal(t, tc.want, callOutcome(tc.outcome))
		})
	}
}

func TestLogCallWithoutEndUsesDuration(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/api/v1/callLogs", `{"success":true,"data":{"id":"a1b2c4"}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	log := answeredCall()
	log.EndedAt, log.ContactIDs, log.OwnerID = time.Time{}, nil, ""
	_, err := connector.LogCall(context.Background(), log)
	require.NoError(t, err)

	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &body))
	require.Equal(t, "2025-03-04 21:31:35", body["end_time"])
	require.NotContains(t, body, "person_id")
	require.NotContains(t, body, "user_id")
}

func TestLogCallRejectsNonNumericPerson(t *testing.T) {
	connector := newTestConnector(crmhttptest.NewServer(t), Config{CompanyDomain: "acme"})
	log := answeredCall()
	log.ContactIDs = []string{"abc"}
	_, err := connector.LogCall(context.Background(), log)
	require.ErrorContains(t, err, `the person id "abc" is not a Pipedrive id`)
}

func TestUpdateCallLogUpdatesItsActivity(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/callLogs/a1b2c3", `{"success":true,"data":{"id":"a1b2c3","activity_id":77}}`)
	fake.OK(http.MethodPut, "/api/v1/activities/77", `{"success":true,"data":{"id":77}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	log := answeredCall()
	log.Notes = "Quote sent."
	logged, err := connector.UpdateCallLog(context.Background(), "a1b2c3", log)
	require.NoError(t, err)

	require.Equal(t, "a1b2c3", logged.ID)
	require.JSONEq(t, `{"subject": "Outbound call to +14155550123", "duration": "00:02", "done": 1,
		"note": "<p>Quote sent.</p><p>Recording: https://api.twilio.com/rec/RE1</p><p>Switchboard call call_0001</p>"}`,
		fake.Requests()[1].Body)
}

func TestFindCallLogPagesThroughNotes(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/callLogs", `{"success":true,"data":[{"id":"x1","note":"<p>Switchboard call call_00012</p>"}],
		"additional_data":{"pagination":{"more_items_in_collection":true}}}`)
	fake.OK(http.MethodGet, "/api/v1/callLogs", `{"success":true,"data":[{"id":"a1b2c3","note":"<p>Switchboard call call_0001</p>"}],
		"additional_data":{"pagination":{"more_items_in_collection":false}}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	found, ok, err := connector.FindCallLog(context.Background(), answeredCall())
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "a1b2c3", found.ID)
	require.Equal(t, "50", fake.Requests()[1].Query.Get("start"))
}

func TestFindCallLogThroughActivity(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/callLogs", `{"success":true,"data":[],
		"additional_data":{"pagination":{"more_items_in_collection":false}}}`)
	fake.OK(http.MethodGet, "/api/v1/activities", `{"success":true,"data":[{"id":76,"note":"<p>Switchboard call call_00012</p>"}],
		"additional_data":{"pagination":{"more_items_in_collection":true}}}`)
	fake.OK(http.MethodGet, "/api/v1/activities", `{"success":true,"data":[{"id":77,"note":"<p>Switchboard call call_0001</p>"}],
		"additional_data":{"pagination":{"more_items_in_collection":false}}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	found, ok, err := connector.FindCallLog(context.Background(), answeredCall())
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, crm.LoggedCall{ID: "activity:77", URL: "https://acme.pipedrive.com/person/31"}, found)

	first := fake.Requests()[1].Query
	require.Equal(t, "0", first.Get("user_id"), "user_id 0 lists the activities of every user")
	require.Equal(t, "call", first.Get("type"))
	require.Equal(t, "2025-03-03", first.Get("start_date"))
	require.Equal(t, "2025-03-05", first.Get("end_date"))
	require.Equal(t, "0", first.Get("start"))
	require.Equal(t, "100", first.Get("limit"))
	require.Equal(t, "100", fake.Requests()[2].Query.Get("start"))
	fake.AssertDone()
}

func TestFindCallLogNotFound(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/callLogs", `{"success":true,"data":[{"id":"x1","note":"<p>Switchboard call call_00012</p>"}],
		"additional_data":{"pagination":{"more_items_in_collection":false}}}`)
	fake.OK(http.MethodGet, "/api/v1/activities", `{"success":true,"data":null,
		"additional_data":{"pagination":{"more_items_in_collection":false}}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	_, ok, err := connector.FindCallLog(context.Background(), answeredCall())
	require.NoError(t, err)
	require.False(t, ok)
	fake.AssertDone()
}

func TestUpdateCallLogByActivityID(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPut, "/api/v1/activities/77", `{"success":true,"data":{"id":77}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	logged, err := connector.UpdateCallLog(context.Background(), "activity:77", answeredCall())
	require.NoError(t, err)
	require.Equal(t, "activity:77", logged.ID)
	require.Len(t, fake.Requests(), 1, "the activity id needs no call log read")
	fake.AssertDone()
}

func TestUpdateCallLogInvalidActivityID(t *testing.T) {
	connector := newTestConnector(crmhttptest.NewServer(t), Config{CompanyDomain: "acme"})
	_, err := connector.UpdateCallLog(context.Background(), "activity:x7", answeredCall())
	require.ErrorContains(t, err, `Pipedrive call log "activity:x7": the activity id is not a positive number`)
}

func TestFindUserIDByEmail(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/api/v1/users/find", `{"success":true,"data":[{"id":9001,"email":"grace@example.com"}]}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	id, err := connector.FindUserID(context.Background(), "Grace@example.com")
	require.NoError(t, err)
	require.Equal(t, "9001", id)
	require.Equal(t, "1", fake.Requests()[0].Query.Get("search_by_email"))
}

func TestCreateContactForUnknownCaller(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/api/v2/persons", `{"success":true,"data":{"id":40}}`)
	connector := newTestConnector(fake, Config{CompanyDomain: "acme"})

	record, err := connector.CreateContact(context.Background(), "+14155550999")
	require.NoError(t, err)
	require.Equal(t, crm.Record{ID: "40", Object: "person", URL: "https://acme.pipedrive.com/person/40"}, record)
}
