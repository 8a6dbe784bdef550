package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// Lengths of Task fields (Salesforce object reference, "Task").
const (
	maxSubjectLength     = 255
	maxCallObjectLength  = 255
	maxDescriptionLength = 32000
)

var _ crm.CallLogger = (*Connector)(nil)

// LogCall creates a Task of the Call subtype with POST
// /sobjects/Task, linked to the first record of log.ContactIDs through
// WhoId. CallObject holds the Switchboard call id, which FindCallLog
// queries.
func (c *Connector) LogCall(ctx context.Context, log crm.CallLog) (crm.LoggedCall, error) {
	task := taskFields(log)
	task["TaskSubtype"] = "Call"
	if len(log.ContactIDs) > 0 {
		task["WhoId"] = log.ContactIDs[0]
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.send(ctx, http.MethodPost, c.dataPath("sobjects/Task"), task, &created); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("creating Salesforce call task: %w", err)
	}
	return c.loggedCall(created.ID), nil
}

// UpdateCallLog writes log over the Task id with PATCH
// /sobjects/Task/{id}. WhoId and the subtype stay as created.
func (c *Connector) UpdateCallLog(ctx context.Context, id string, log crm.CallLog) (crm.LoggedCall, error) {
	if err := c.send(ctx, http.MethodPatch, c.dataPath("sobjects/Task/"+url.PathEscape(id)), taskFields(log), nil); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("updating Salesforce call task %s: %w", id, err)
	}
	return c.loggedCall(id), nil
}

// FindCallLog queries the Task whose CallObject is the call id.
func (c *Connector) FindCallLog(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	soql := "SELECT Id FROM Task WHERE CallObject = '" + escapeSOQL(log.CallID) + "' ORDER BY CreatedDate LIMIT 1"
	var result struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if err := c.get(ctx, c.dataPath("query"), url.Values{"q": {soql}}, &result); err != nil {
		return crm.LoggedCall{}, false, fmt.Errorf("searching Salesforce call tasks for %s: %w", log.CallID, err)
	}
	if len(result.Records) == 0 {
		return crm.LoggedCall{}, false, nil
	}
	return c.loggedCall(result.Records[0].ID), true, nil
}

// FindUserID returns the id of the active Salesforce user with email.
func (c *Connector) FindUserID(ctx context.Context, email string) (string, error) {
	soql := "SELECT Id FROM User WHERE Email = '" + escapeSOQL(email) + "' AND IsActive = true LIMIT 1"
	var result struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if err := c.get(ctx, c.dataPath("query"), url.Values{"q": {soql}}, &result); err != nil {
		return "", fmt.Errorf("finding the Salesforce user of an email address: %w", err)
	}
	if len(result.Records) == 0 {
		return "", nil
	}
	return result.Records[0].ID, nil
}

// CreateContact creates a Lead for an unknown caller: LastName and Company
// are required on a Lead, so both name the number until someone edits
// them.
func (c *Connector) CreateContact(ctx context.Context, e164 string) (crm.Record, error) {
	lead := map[string]string{"LastName": e164, "Company": "Unknown caller " + e164, "Phone": e164, "LeadSource": "Phone Inquiry"}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.send(ctx, http.MethodPost, c.dataPath("sobjects/Lead"), lead, &created); err != nil {
		return crm.Record{}, fmt.Errorf("creating a Salesforce lead for an unknown caller: %w", err)
	}
	record := crm.Record{ID: created.ID, Object: "Lead"}
	record.URL = c.RecordURL(record)
	return record, nil
}

// send sends one JSON request with method to path below the instance URL.
func (c *Connector) send(ctx context.Context, method, path string, body, out any) error {
	if c.configErr != nil {
		return c.configErr
	}
	endpoint, err := crmhttp.Endpoint(c.instanceURL, path, nil)
	if err != nil {
		return err
	}
	req, err := crmhttp.NewJSONRequest(ctx, method, endpoint, body)
	if err != nil {
		return err
	}
	return classify(crmhttp.Do(ctx, c.client, req, out))
}

func (c *Connector) loggedCall(id string) crm.LoggedCall {
	return crm.LoggedCall{ID: id, URL: c.RecordURL(crm.Record{ID: id, Object: "Task"})}
}

// taskFields returns the Task fields of log that both create and update
// write. ActivityDate is the workspace's calendar date of the start,
// because a date field has no time zone.
func taskFields(log crm.CallLog) map[string]any {
	task := map[string]any{
		"Subject":               truncate(log.Title, maxSubjectLength),
		"Status":                "Completed",
		"ActivityDate":          log.Local(log.StartedAt).Format("2006-01-02"),
		"CallType":              callType(log.Direction),
		"CallDurationInSeconds": log.DurationSeconds,
		"CallObject":            truncate(log.CallID, maxCallObjectLength),
		"CallDisposition":       callDisposition(log.Outcome),
		"Description":           truncate(crm.CallNotes(log), maxDescriptionLength),
	}
	if log.OwnerID != "" {
		task["OwnerId"] = log.OwnerID
	}
	for name, value := range log.Fields {
		task[name] = value
	}
	return task
}

// callType maps a direction onto Task.CallType: Inbound or Outbound.
func callType(direction string) string {
	if direction == "outbound" {
		return "Outbound"
	}
	return "Inbound"
}

// callDisposition is the free-text Call Result of a Task.
func callDisposition(outcome string) string {
	switch outcome {
	case crm.OutcomeCompleted:
		return "Connected"
	case crm.OutcomeMissed:
		return "No answer"
	case crm.OutcomeBusy:
		return "Busy"
	case crm.OutcomeVoicemail:
		return "Left voicemail"
	case crm.OutcomeCancelled:
		return "Caller hung up"
	case crm.OutcomeFailed:
		return "Failed"
	}
	return strings.TrimSpace(outcome)
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:n])
}
