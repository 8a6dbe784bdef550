package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

// answeredCall is a 95-second inbound call on contact 151.
func answeredCall() crm.CallLog {
	return crm.CallLog{
		CallID: "call_0001", Direction: "inbound", From: "+14155550123", To: "+14155550100",
		StartedAt: time.Date(2025, 3, 4, 21, 30, 0, 0, time.UTC), EndedAt: time.Date(2025, 3, 4, 21, 31, 40, 0, time.UTC),
		DurationSeconds: 95, Outcome: crm.OutcomeCompleted, OwnerID: "7001",
		RecordingURL: "https://api.twilio.com/rec/RE1", Notes: "Asked for a quote.", Title: "Inbound call from +14155550123",
		ContactIDs: []string{"151"}, ContactObject: "contact",
	}
}

func TestLogCallFieldsAndUnits(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.On(http.MethodPost, "/crm/v3/objects/calls", crmhttptest.Response{Status: http.StatusCreated, Body: `{"id":"5001","properties":{}}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	log := answeredCall()
	log.Fields = map[string]string{"hs_call_title": "Support line", "hs_activity_type": "Support"}
	logged, err := connector.LogCall(context.Background(), log)
	require.NoError(t, err)

	require.Equal(t, crm.LoggedCall{ID: "5001", URL: "https://app.hubspot.com/contacts/4242/record/0-1/151"}, logged)
	var body struct {
		Properties   map[string]string `json:"properties"`
		Associations []association     `json:"associations"`
	}
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &body))
	require.Equal(t, map[string]string{
		"hs_timestamp":          "2025-03-04T21:30:00.000Z",
		"hs_call_title":         "Support line",
		"hs_activity_type":      "Support",
		"hs_call_body":          "<p>Asked for a quote.</p><p>Recording: https://api.twilio.com/rec/RE1</p><p>Switchboard call call_0001</p>",
		"hs_call_direction":     "INBOUND",
		"hs_call_from_number":   "+14155550123",
		"hs_call_to_number":     "+14155550100",
		"hs_call_duration":      "95000",
		"hs_call_status":        "COMPLETED",
		"hs_call_disposition":   dispositionConnected,
		"hubspot_owner_id":      "7001",
		"hs_call_recording_url": "https://api.twilio.com/rec/RE1",
	}, body.Properties)
	require.Equal(t, []association{{To: associationTarget{ID: "151"},
		Types: []associationType{{Category: "HUBSPOT_DEFINED", TypeID: callToContactAssociation}}}}, body.Associations)
}

func TestLogCallMissedWithoutContact(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.On(http.MethodPost, "/crm/v3/objects/calls", crmhttptest.Response{Status: http.StatusCreated, Body: `{"id":"5002"}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	log := answeredCall()
	log.Outcome, log.DurationSeconds, log.ContactIDs, log.OwnerID, log.RecordingURL = crm.OutcomeMissed, 0, nil, "", ""
	logged, err := connector.LogCall(context.Background(), log)
	require.NoError(t, err)

	require.Equal(t, crm.LoggedCall{ID: "5002"}, logged)
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &body))
	require.NotContains(t, body, "associations")
	properties := body["properties"].(map[string]any)
	require.Equal(t, "NO_ANSWER", properties["hs_call_status"])
	require.Equal(t, dispositionNoAnswer, properties["hs_call_disposition"])
	require.Equal(t, "0", properties["hs_call_duration"])
	require.NotContains(t, properties, "hubspot_owner_id")
}

func TestUpdateCallLogPatchesProperties(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPatch, "/crm/v3/objects/calls/5001", `{"id":"5001"}`)
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	log := answeredCall()
	log.Notes = "Quote sent."
	_, err := connector.UpdateCallLog(context.Background(), "5001", log)
	require.NoError(t, err)

	var body map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &body))
	require.Contains(t, body["properties"]["hs_call_body"], "Quote sent.")
	require.NotContains(t, body, "associations")
}

func TestFindCallLogByMarker(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodPost, "/crm/v3/objects/calls/search", `{"total":2,"results":[
		{"id":"4000","properties":{"hs_call_body":"Switchboard call call_00012"}},
		{"id":"5001","properties":{"hs_call_body":"<p>Asked.</p><p>Switchboard call call_0001</p>"}}]}`)
	fake.OK(http.MethodPost, "/crm/v3/objects/calls/search", `{"total":0,"results":[]}`)
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	found, ok, err := connector.FindCallLog(context.Background(), answeredCall())
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "5001", found.ID)
	var search searchRequest
	require.NoError(t, json.Unmarshal([]byte(fake.Requests()[0].Body), &search))
	require.Equal(t, []filter{{PropertyName: "hs_call_body", Operator: "CONTAINS_TOKEN", Value: "call_0001"}}, search.FilterGroups[0].Filters)

	_, ok, err = connector.FindCallLog(context.Background(), answeredCall())
	require.NoError(t, err)
	require.False(t, ok)
}

func TestLogCallRateLimited(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.On(http.MethodPost, "/crm/v3/objects/calls", crmhttptest.Response{Status: http.StatusTooManyRequests,
		Header: map[string]string{"Retry-After": "7"}, Body: `{"status":"error","message":"limit","policyName":"TEN_SECONDLY_ROLLING"}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	_, err := connector.LogCall(context.Background(), answeredCall())
	var limited *crm.RateLimitedError
	require.True(t, errors.As(err, &limited), "error %v", err)
	require.Equal(t, 7*time.Second, limited.RetryAfter)
}

func TestFindUserIDByEmail(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.OK(http.MethodGet, "/crm/v3/owners", `{"results":[{"id":"7001","email":"Grace@Example.com"}]}`)
	fake.OK(http.MethodGet, "/crm/v3/owners", `{"results":[]}`)
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	id, err := connector.FindUserID(context.Background(), "grace@example.com")
	require.NoError(t, err)
	require.Equal(t, "7001", id)
	require.Equal(t, "grace@example.com", fake.Requests()[0].Query.Get("email"))
	id, err = connector.FindUserID(context.Background(), "nobody@example.com")
	require.NoError(t, err)
	require.Empty(t, id)
}

func TestCreateContactForUnknownCaller(t *testing.T) {
	fake := crmhttptest.NewServer(t)
	fake.On(http.MethodPost, "/crm/v3/objects/contacts", crmhttptest.Response{Status: http.StatusCreated, Body: `{"id":"160","properties":{"phone":"+14155550999"}}`})
	connector := newTestConnector(fake, Config{PortalID: "4242"})

	record, err := connector.CreateContact(context.Background(), "+14155550999")
	require.NoError(t, err)
	require.Equal(t, "160", record.ID)
	require.JSONEq(t, `{"properties":{"phone":"+14155550999"}}`, fake.Requests()[0].Body)
}

func TestBaseURLWithAPIPath(t *testing.T) {
	for _, suffix := range []string{"/crm/v3", "/crm/v3/objects/", "/CRM", ""} {
		t.Run(suffix, func(t *testing.T) {
			fake := crmhttptest.NewServer(t)
			fake.OK(http.MethodGet, "/crm/v3/owners", `{"results":[{"id":"7001","email":"grace@example.com"}]}`)
			connector := New(Config{BaseURL: fake.URL + suffix, HTTPClient: fake.Client("Authorization", "Bearer pat-na1-test")})

			id, err := connector.FindUserID(context.Background(), "grace@example.com")
			require.NoError(t, err)
			require.Equal(t, "7001", id)
			require.Equal(t, "/crm/v3/owners", fake.Requests()[0].Path)
		})
	}
}
