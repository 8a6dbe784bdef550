package pipedrive

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// callLogTimeLayout is the UTC date and time format of a call log's
// start_time and end_time (Pipedrive API v1 reference, "CallLogs").
const callLogTimeLayout = "2006-01-02 15:04:05"

var _ crm.CallLogger = (*Connector)(nil)

// callLogBody is the body of POST /v1/callLogs. duration is in seconds,
// as a string.
type callLogBody struct {
	UserID          int64  `json:"user_id,omitempty"`
	Subject         string `json:"subject,omitempty"`
	Duration        string `json:"duration"`
	Outcome         string `json:"outcome"`
	FromPhoneNumber string `json:"from_phone_number,omitempty"`
	ToPhoneNumber   string `json:"to_phone_number"`
	StartTime       string `json:"start_time"`
	EndTime         string `json:"end_time"`
	PersonID        int64  `json:"person_id,omitempty"`
	Note            string `json:"note,omitempty"`
}

// callLogObject is a call log as GET /v1/callLogs returns it.
type callLogObject struct {
	ID         string `json:"id"`
	ActivityID int64  `json:"activity_id"`
	Note       string `json:"note"`
}

// LogCall creates a call log with POST /v1/callLogs, linked to the first
// person of log.ContactIDs.
func (c *Connector) LogCall(ctx context.Context, log crm.CallLog) (crm.LoggedCall, error) {
	body, err := callLog(log)
	if err != nil {
		return crm.LoggedCall{}, err
	}
	payload := withFields(body, log.Fields)

	var created struct {
		Data callLogObject `json:"data"`
	}
	if err := c.send(ctx, http.MethodPost, "/api/v1/callLogs", payload, &created); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("creating Pipedrive call log: %w", err)
	}
	return c.loggedCall(created.Data.ID, log), nil
}

// UpdateCallLog updates the activity behind the call log id, because
// Pipedrive has no endpoint that changes a call log: it reads the call
// log's activity_id and sends PUT /v1/activities/{activity_id} with the
// subject, note and duration ("HH:MM", the activity format).
//
// An id of the form "activity:{activity_id}", which FindCallLog returns for
// a call log it found through its activity, names the activity directly.
func (c *Connector) UpdateCallLog(ctx context.Context, id string, log crm.CallLog) (crm.LoggedCall, error) {
	activityID, err := c.callLogActivity(ctx, id)
	if err != nil {
		return crm.LoggedCall{}, err
	}

	activity := map[string]any{
		"subject":  log.Title,
		"note":     crm.CallNotesHTML(log),
		"duration": activityDuration(log.DurationSeconds),
		"done":     1,
	}
	for name, value := range log.Fields {
		activity[name] = value
	}
	path := "/api/v1/activities/" + strconv.FormatInt(activityID, 10)
	if err := c.send(ctx, http.MethodPut, path, activity, nil); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("updating the activity of Pipedrive call log %s: %w", id, err)
	}
	return c.loggedCall(id, log), nil
}

// callLogActivity returns the id of the activity behind the call log id,
// read with GET /v1/callLogs/{id} unless id has the activity form.
func (c *Connector) callLogActivity(ctx context.Context, id string) (int64, error) {
	if activity, ok := strings.CutPrefix(id, activityIDPrefix); ok {
		n, err := strconv.ParseInt(activity, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("updating Pipedrive call log %q: the activity id is not a positive number", id)
		}
		return n, nil
	}

	var current struct {
		Data callLogObject `json:"data"`
	}
	if err := c.send(ctx, http.MethodGet, "/api/v1/callLogs/"+url.PathEscape(id), nil, &current); err != nil {
		return 0, fmt.Errorf("reading Pipedrive call log %s: %w", id, err)
	}
	if current.Data.ActivityID == 0 {
		return 0, fmt.Errorf("updating Pipedrive call log %s: it has no activity to update", id)
	}
	return current.Data.ActivityID, nil
}

// FindUserID returns the id of the Pipedrive user with email, from
// GET /v1/users/find with search_by_email.
func (c *Connector) FindUserID(ctx context.Context, email string) (string, error) {
	var body struct {
		Data []struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"data"`
	}
	query := url.Values{"term": {email}, "search_by_email": {"1"}}
	if err := c.callV1(ctx, "/users/find", query, &body); err != nil {
		return "", fmt.Errorf("finding the Pipedrive user of an email address: %w", err)
	}
	for _, u := range body.Data {
		if strings.EqualFold(u.Email, email) {
			return strconv.FormatInt(u.ID, 10), nil
		}
	}
	return "", nil
}

// CreateContact creates a person named after the number, with it as the
// person's work phone, with POST /api/v2/persons.
func (c *Connector) CreateContact(ctx context.Context, e164 string) (crm.Record, error) {
	body := map[string]any{
		"name":   e164,
		"phones": []map[string]any{{"value": e164, "label": "work", "primary": true}},
	}
	var created struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := c.send(ctx, http.MethodPost, "/api/v2/persons", body, &created); err != nil {
		return crm.Record{}, fmt.Errorf("creating a Pipedrive person for an unknown caller: %w", err)
	}
	record := crm.Record{ID: strconv.FormatInt(created.Data.ID, 10), Object: "person"}
	record.URL = c.RecordURL(record)
	return record, nil
}

// send sends one JSON request with method to path and decodes the
// response into out.
func (c *Connector) send(ctx context.Context, method, path string, body, out any) error {
	endpoint, err := crmhttp.Endpoint(c.baseURL, path, nil)
	if err != nil {
		return err
	}
	req, err := crmhttp.NewJSONRequest(ctx, method, endpoint, body)
	if err != nil {
		return err
	}
	err = crmhttp.Do(ctx, c.client, req, out)
	refineRateLimit(err)
	return err
}

// loggedCall links the entry to the person's page: a call log has no page
// of its own in the web app.
func (c *Connector) loggedCall(id string, log crm.CallLog) crm.LoggedCall {
	logged := crm.LoggedCall{ID: id}
	if len(log.ContactIDs) > 0 {
		logged.URL = c.RecordURL(crm.Record{ID: log.ContactIDs[0]})
	}
	return logged
}

// callLog returns the body of POST /v1/callLogs for log.
func callLog(log crm.CallLog) (callLogBody, error) {
	ended := log.EndedAt
	if ended.IsZero() {
		ended = log.StartedAt.Add(secondsDuration(log.DurationSeconds))
	}
	body := callLogBody{
		Subject:         log.Title,
		Duration:        strconv.Itoa(log.DurationSeconds),
		Outcome:         callOutcome(log.Outcome),
		FromPhoneNumber: log.From,
		ToPhoneNumber:   log.To,
		StartTime:       log.StartedAt.UTC().Format(callLogTimeLayout),
		EndTime:         ended.UTC().Format(callLogTimeLayout),
		Note:            crm.CallNotesHTML(log),
	}
	if body.ToPhoneNumber == "" {
		return callLogBody{}, fmt.Errorf("creating Pipedrive call log: call %s has no called number, which Pipedrive requires", log.CallID)
	}
	var err error
	if body.UserID, err = optionalID("owner", log.OwnerID); err != nil {
		return callLogBody{}, err
	}
	if len(log.ContactIDs) > 0 {
		if body.PersonID, err = optionalID("person", log.ContactIDs[0]); err != nil {
			return callLogBody{}, err
		}
	}
	return body, nil
}

// withFields returns body as a JSON object with the mapped fields added.
func withFields(body callLogBody, fields map[string]string) map[string]any {
	object := map[string]any{
		"subject": body.Subject, "duration": body.Duration, "outcome": body.Outcome,
		"to_phone_number": body.ToPhoneNumber, "start_time": body.StartTime, "end_time": body.EndTime,
	}
	optional := map[string]string{"from_phone_number": body.FromPhoneNumber, "note": body.Note}
	for name, value := range optional {
		if value != "" {
			object[name] = value
		}
	}
	if body.UserID != 0 {
		object["user_id"] = body.UserID
	}
	if body.PersonID != 0 {
		object["person_id"] = body.PersonID
	}
	for name, value := range fields {
		object[name] = value
	}
	return object
}

// optionalID parses a Pipedrive numeric id, and "" gives 0.
func optionalID(what, id string) (int64, error) {
	if id == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("creating Pipedrive call log: the %s id %q is not a Pipedrive id, which is a positive number", what, id)
	}
	return n, nil
}

// callOutcome maps an outcome onto the outcome values of a call log:
// connected, no_answer, left_message, left_voicemail, wrong_number, busy.
func callOutcome(outcome string) string {
	switch outcome {
	case crm.OutcomeCompleted:
		return "connected"
	case crm.OutcomeBusy:
		return "busy"
	case crm.OutcomeVoicemail:
		return "left_voicemail"
	default:
		return "no_answer"
	}
}

// activityDuration returns seconds as an activity's "HH:MM", rounded up
// to the minute so a short call does not show as 00:00.
func activityDuration(seconds int) string {
	minutes := (seconds + 59) / 60
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

func secondsDuration(seconds int) time.Duration {
	return time.Duration(seconds) * time.Second
}
