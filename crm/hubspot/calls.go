package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
)

// callToContactAssociation is HubSpot's association type id from a call
// to a contact, in the HUBSPOT_DEFINED category; HubSpot's calls API
// schema uses 194 in its association example.
//
// NOTE: the disposition GUIDs below are the defaults HubSpot returns from
// GET /calling/v1/dispositions, checked against public integrations
// rather than a live account. An account can add its own dispositions.
const callToContactAssociation = 194

// Default call dispositions of a HubSpot account, the GUIDs that
// hs_call_disposition takes.
const (
	dispositionBusy          = "9d9162e7-6cf3-4944-bf63-4dff82258764"
	dispositionConnected     = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
	dispositionLeftVoicemail = "b2cf5968-551e-4856-9783-52b3da59a7d0"
	dispositionNoAnswer      = "73a0d17f-1163-4015-bdd5-ec830791da20"
)

var _ crm.CallLogger = (*Connector)(nil)

// callObject is a call engagement as the calls API returns it.
type callObject struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

type association struct {
	To    associationTarget `json:"to"`
	Types []associationType `json:"types"`
}

type associationTarget struct {
	ID string `json:"id"`
}

type associationType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

// LogCall creates a call engagement with POST /crm/v3/objects/calls,
// associated with every contact of log.ContactIDs.
func (c *Connector) LogCall(ctx context.Context, log crm.CallLog) (crm.LoggedCall, error) {
	body := struct {
		Properties   map[string]string `json:"properties"`
		Associations []association     `json:"associations,omitempty"`
	}{Properties: callProperties(log)}
	for _, id := range log.ContactIDs {
		body.Associations = append(body.Associations, association{
			To:    associationTarget{ID: id},
			Types: []associationType{{Category: "HUBSPOT_DEFINED", TypeID: callToContactAssociation}},
		})
	}

	var created callObject
	if err := c.call(ctx, http.MethodPost, "/crm/v3/objects/calls", nil, body, &created); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("creating HubSpot call: %w", err)
	}
	return c.loggedCall(created.ID, log), nil
}

// UpdateCallLog writes the properties of log over the call engagement id
// with PATCH /crm/v3/objects/calls/{id}. Associations stay as created.
func (c *Connector) UpdateCallLog(ctx context.Context, id string, log crm.CallLog) (crm.LoggedCall, error) {
	body := struct {
		Properties map[string]string `json:"properties"`
	}{Properties: callProperties(log)}
	if err := c.call(ctx, http.MethodPatch, "/crm/v3/objects/calls/"+url.PathEscape(id), nil, body, nil); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("updating HubSpot call %s: %w", id, err)
	}
	return c.loggedCall(id, log), nil
}

// FindCallLog searches calls whose hs_call_body contains the call id,
// and keeps the one whose body holds the whole marker.
//
// NOTE: HubSpot's search index trails writes by a few seconds, so a call
// created just before the search may not be found. The caller waits
// before it searches after an interrupted create.
func (c *Connector) FindCallLog(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	request := searchRequest{
		FilterGroups: []filterGroup{{Filters: []filter{{PropertyName: "hs_call_body", Operator: "CONTAINS_TOKEN", Value: log.CallID}}}},
		Properties:   []string{"hs_call_body"},
		Limit:        10,
	}
	var page struct {
		Results []callObject `json:"results"`
	}
	if err := c.call(ctx, http.MethodPost, "/crm/v3/objects/calls/search", nil, request, &page); err != nil {
		return crm.LoggedCall{}, false, fmt.Errorf("searching HubSpot calls for %s: %w", log.CallID, err)
	}
	for _, call := range page.Results {
		if crm.HasCallMarker(call.Properties["hs_call_body"], log.CallID) {
			return c.loggedCall(call.ID, log), true, nil
		}
	}
	return crm.LoggedCall{}, false, nil
}

// FindUserID returns the owner id of the HubSpot user with email, from
// GET /crm/v3/owners?email=.
func (c *Connector) FindUserID(ctx context.Context, email string) (string, error) {
	var page struct {
		Results []ownerObject `json:"results"`
	}
	query := url.Values{"email": {email}, "limit": {"1"}}
	if err := c.call(ctx, http.MethodGet, "/crm/v3/owners", query, nil, &page); err != nil {
		return "", fmt.Errorf("finding the HubSpot owner of an email address: %w", err)
	}
	for _, o := range page.Results {
		if strings.EqualFold(o.Email, email) {
			return o.ID, nil
		}
	}
	return "", nil
}

// CreateContact creates a contact with e164 as its phone number.
func (c *Connector) CreateContact(ctx context.Context, e164 string) (crm.Record, error) {
	body := map[string]map[string]string{"properties": {"phone": e164}}
	var created contactObject
	if err := c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts", nil, body, &created); err != nil {
		return crm.Record{}, fmt.Errorf("creating a HubSpot contact for an unknown caller: %w", err)
	}
	record := crm.Record{ID: created.ID, Object: "contact"}
	record.URL = c.RecordURL(record)
	return record, nil
}

// loggedCall links the entry to the first contact's page, because the
// call engagement has no page of its own in the web app.
func (c *Connector) loggedCall(id string, log crm.CallLog) crm.LoggedCall {
	logged := crm.LoggedCall{ID: id}
	if len(log.ContactIDs) > 0 {
		logged.URL = c.RecordURL(crm.Record{ID: log.ContactIDs[0]})
	}
	return logged
}

// callProperties returns the call engagement properties of log. Times are
// UTC and the duration is in milliseconds, as the calls API expects.
func callProperties(log crm.CallLog) map[string]string {
	p := map[string]string{
		"hs_timestamp":        log.StartedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		"hs_call_title":       log.Title,
		"hs_call_body":        crm.CallNotesHTML(log),
		"hs_call_direction":   strings.ToUpper(log.Direction),
		"hs_call_from_number": log.From,
		"hs_call_to_number":   log.To,
		"hs_call_duration":    strconv.FormatInt(int64(log.DurationSeconds)*1000, 10),
		"hs_call_status":      callStatus(log.Outcome),
	}
	if disposition := callDisposition(log); disposition != "" {
		p["hs_call_disposition"] = disposition
	}
	if log.OwnerID != "" {
		p["hubspot_owner_id"] = log.OwnerID
	}
	if log.RecordingURL != "" {
		p["hs_call_recording_url"] = log.RecordingURL
	}
	for name, value := range log.Fields {
		p[name] = value
	}
	return p
}

// callStatus maps an outcome onto hs_call_status. A voicemail is a
// completed call with the Left voicemail disposition.
func callStatus(outcome string) string {
	switch outcome {
	case crm.OutcomeMissed:
		return "NO_ANSWER"
	case crm.OutcomeBusy:
		return "BUSY"
	case crm.OutcomeFailed:
		return "FAILED"
	case crm.OutcomeCancelled:
		return "CANCELED"
	default:
		return "COMPLETED"
	}
}

func callDisposition(log crm.CallLog) string {
	switch log.Outcome {
	case crm.OutcomeCompleted:
		return dispositionConnected
	case crm.OutcomeMissed, crm.OutcomeCancelled:
		return dispositionNoAnswer
	case crm.OutcomeBusy:
		return dispositionBusy
	case crm.OutcomeVoicemail:
		return dispositionLeftVoicemail
	}
	return ""
}
