package generic

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

func newCallLogger(t *testing.T, cfg CallLogConfig) (*CallLogger, *crmhttptest.Server) {
	t.Helper()
	fake := crmhttptest.NewServer(t)
	for _, field := range []*string{&cfg.CreateURL, &cfg.UpdateURLTemplate, &cfg.SearchURLTemplate} {
		if *field != "" {
			*field = fake.URL + *field
		}
	}
	connector := New(Config{LookupURLTemplate: fake.URL + "/contacts?phone={e164}", IDPath: "id", DisplayNamePath: "name",
		HTTPClient: fake.Client("Authorization", "Bearer generic-token")})
	return connector.CallLogger(cfg), fake
}

func callConfig() CallLogConfig {
	return CallLogConfig{
		CreateURL: "/calls",
		BodyTemplate: `{"external_id": "{call_id}", "direction": "{direction}", "from": "{from}", "started": "{started_at}",
			"local": "{started_at_local}", "date": "{start_date_local}", "seconds": {duration_seconds}, "notes": "{notes}"}`,
		IDPath: "data.id", UpdateURLTemplate: "/calls/{id}", SearchURLTemplate: "/calls?external_id={call_id}",
		SearchResultsPath: "data", SearchIDPath: "id", EntryURLTemplate: "https://crm.example.com/calls/{id}",
	}
}

// aucklandCall is a call on 2026-04-05, the day New Zealand daylight
// time ends (03:00 NZDT becomes 02:00 NZST).
func aucklandCall(t *testing.T, start time.Time) crm.CallLog {
	t.Helper()
	zone, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)
	return crm.CallLog{CallID: "call_0001", Direction: "inbound", From: "+6495550100", To: "+6495550111",
		StartedAt: start, DurationSeconds: 42, Outcome: crm.OutcomeCompleted, Notes: `Said "hi"`, Location: zone}
}

func TestGenericLogCallRendersBody(t *testing.T) {
	logger, fake := newCallLogger(t, callConfig())
	fake.OK(http.MethodPost, "/calls", `{"data":{"id":"c-9"}}`)

	log := aucklandCall(t, time.Date(2026, 4, 4, 13, 30, 0, 0, time.UTC))
	log.Fields = map[string]string{"title": "Inbound call"}
	logged, err := logger.LogCall(context.Background(), log)
	require.NoError(t, err)

	require.Equal(t, crm.LoggedCall{ID: "c-9", URL: "https://crm.example.com/calls/c-9"}, logged)
	require.JSONEq(t, `{"external_id": "call_0001", "direction": "inbound", "from": "+6495550100",
		"started": "2026-04-04T13:30:00Z", "local": "2026-04-05T02:30:00+13:00", "date": "2026-04-05",
		"seconds": 42, "notes": "Said \"hi\"", "title": "Inbound call"}`, fake.Requests()[0].Body)
}

// TestGenericLocalTimeAcrossDST checks the local offset before and after
// Auckland leaves daylight time at 2026-04-04 14:00 UTC.
func TestGenericLocalTimeAcrossDST(t *testing.T) {
	before := callValues(aucklandCall(t, time.Date(2026, 4, 4, 13, 59, 0, 0, time.UTC)))
	after := callValues(aucklandCall(t, time.Date(2026, 4, 4, 14, 1, 0, 0, time.UTC)))

	require.Equal(t, "2026-04-05T02:59:00+13:00", before[PlaceholderStartedAtLocal])
	require.Equal(t, "2026-04-05T02:01:00+12:00", after[PlaceholderStartedAtLocal])
	require.Equal(t, "2026-04-04T14:01:00Z", after[PlaceholderStartedAt])
}

func TestGenericUpdateAndFind(t *testing.T) {
	logger, fake := newCallLogger(t, callConfig())
	fake.OK(http.MethodPatch, "/calls/c-9", `{}`)
	fake.OK(http.MethodGet, "/calls", `{"data":[{"id":"c-9"}]}`)
	fake.OK(http.MethodGet, "/calls", `{"data":[]}`)

	log := aucklandCall(t, time.Date(2026, 4, 4, 13, 30, 0, 0, time.UTC))
	_, err := logger.UpdateCallLog(context.Background(), "c-9", log)
	require.NoError(t, err)
	found, ok, err := logger.FindCallLog(context.Background(), log)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "c-9", found.ID)
	require.Equal(t, "call_0001", fake.Requests()[1].Query.Get("external_id"))
	_, ok, err = logger.FindCallLog(context.Background(), log)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestGenericFindWithoutSearchURL(t *testing.T) {
	cfg := callConfig()
	cfg.SearchURLTemplate = ""
	logger, _ := newCallLogger(t, cfg)
	_, _, err := logger.FindCallLog(context.Background(), aucklandCall(t, time.Now()))
	require.ErrorIs(t, err, ErrCallSearchNotConfigured)
}

func TestValidateCallLogConfig(t *testing.T) {
	err := ValidateCallLogConfig(CallLogConfig{
		CreateURL: "ftp://crm.example.com/calls", BodyTemplate: `{"x": "{unknown}"}`,
		UpdateURLTemplate: "https://crm.example.com/calls", UpdateMethod: "POST",
	})
	var verr *validation.Error
	require.ErrorAs(t, err, &verr)
	fields := map[string]bool{}
	for _, f := range verr.Fields {
		fields[f.Field] = true
	}
	require.Equal(t, map[string]bool{
		"settings.call_log.create_url": true, "settings.call_log.body_template": true, "settings.call_log.id_path": true,
		"settings.call_log.update_url_template": true, "settings.call_log.update_method": true,
	}, fields)
	require.NoError(t, ValidateCallLogConfig(CallLogConfig{CreateURL: "https://crm.example.com/calls", BodyTemplate: `{"s": {duration_seconds}}`, IDPath: "id"}))
}
