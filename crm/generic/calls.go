package generic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// Placeholders of the call requests, filled from the call being logged.
// Times are RFC 3339: the plain ones in UTC, the _local ones in the
// workspace's time zone with its offset, and start_date_local is the
// workspace's calendar date of the start (2024-05-10).
const (
	PlaceholderCallID          = "call_id"
	PlaceholderDirection       = "direction"
	PlaceholderFrom            = "from"
	PlaceholderTo              = "to"
	PlaceholderStartedAt       = "started_at"
	PlaceholderStartedAtLocal  = "started_at_local"
	PlaceholderStartDateLocal  = "start_date_local"
	PlaceholderEndedAt         = "ended_at"
	PlaceholderEndedAtLocal    = "ended_at_local"
	PlaceholderDurationSeconds = "duration_seconds"
	PlaceholderOutcome         = "outcome"
	PlaceholderAgent           = "agent"
	PlaceholderOwnerID         = "owner_id"
	PlaceholderRecordingURL    = "recording_url"
	PlaceholderNotes           = "notes"
	PlaceholderTitle           = "title"
	PlaceholderContactID       = "contact_id"
)

// callPlaceholders are the placeholders of CallLogConfig.BodyTemplate.
var callPlaceholders = []string{
	PlaceholderCallID, PlaceholderDirection, PlaceholderFrom, PlaceholderTo, PlaceholderStartedAt,
	PlaceholderStartedAtLocal, PlaceholderStartDateLocal, PlaceholderEndedAt, PlaceholderEndedAtLocal,
	PlaceholderDurationSeconds, PlaceholderOutcome, PlaceholderAgent, PlaceholderOwnerID, PlaceholderRecordingURL,
	PlaceholderNotes, PlaceholderTitle, PlaceholderContactID,
}

// ErrCallSearchNotConfigured is returned by FindCallLog when the
// connection has no search_url_template, so an interrupted create cannot
// be checked.
var ErrCallSearchNotConfigured = errors.New("the generic CRM connection has no settings.call_log.search_url_template, " +
	"so a call whose create request got no answer cannot be checked; check the CRM, then retry or skip the call log")

// CallLogConfig describes the call requests of a generic CRM, under
// settings.call_log. The JSON names are those of the connection settings.
type CallLogConfig struct {
	// CreateURL receives a POST of BodyTemplate per call. Required.
	CreateURL string `json:"create_url"`
	// BodyTemplate is the JSON body of the create and update requests,
	// such as {"phone": "{from}", "seconds": {duration_seconds}}.
	// Required. Placeholder values are escaped for a JSON string, and a
	// number placeholder may stand outside quotes.
	BodyTemplate string `json:"body_template"`
	// IDPath locates the new entry's id in the create response. Required.
	IDPath string `json:"id_path"`
	// UpdateURLTemplate receives the body again when the call changes
	// after it was logged, such as https://crm.example.com/api/calls/{id}.
	// Empty: late changes are not sent.
	UpdateURLTemplate string `json:"update_url_template,omitempty"`
	// UpdateMethod is PATCH (the default) or PUT.
	UpdateMethod string `json:"update_method,omitempty"`
	// SearchURLTemplate finds the entry of a call by {call_id}, such as
	// https://crm.example.com/api/calls?external_id={call_id}; a 404 or
	// no result means none. Empty: see ErrCallSearchNotConfigured.
	SearchURLTemplate string `json:"search_url_template,omitempty"`
	// SearchResultsPath locates the array of entries in a search
	// response; empty means the body is the array or the entry.
	SearchResultsPath string `json:"search_results_path,omitempty"`
	// SearchIDPath locates the id within one entry of a search response;
	// empty means IDPath.
	SearchIDPath string `json:"search_id_path,omitempty"`
	// EntryURLTemplate is the link to an entry in the CRM's web app, such
	// as https://crm.example.com/calls/{id}.
	EntryURLTemplate string `json:"entry_url_template,omitempty"`
}

// ValidateCallLogConfig checks cfg and returns a *validation.Error whose
// field names are under settings.call_log.
func ValidateCallLogConfig(cfg CallLogConfig) error {
	var v validation.Error
	const prefix = "settings.call_log."
	if cfg.CreateURL == "" {
		v.Add(prefix+"create_url", "is required, such as https://crm.example.com/api/calls")
	} else {
		validateURLTemplate(&v, prefix+"create_url", cfg.CreateURL, nil, "")
	}
	switch {
	case cfg.BodyTemplate == "":
		v.Add(prefix+"body_template", "is required, such as {\"phone\": \"{from}\", \"seconds\": {duration_seconds}}")
	default:
		if _, err := placeholders(cfg.BodyTemplate, callPlaceholders); err != nil {
			v.Add(prefix+"body_template", "%s", err.Error())
		} else if !json.Valid([]byte(renderJSON(cfg.BodyTemplate, sampleCallValues()))) {
			v.Add(prefix+"body_template", "must be a JSON object once its placeholders are filled")
		}
	}
	if cfg.IDPath == "" {
		v.Add(prefix+"id_path", "is required: the path of the new entry's id in the create response, such as data.id")
	} else if !validPath(cfg.IDPath) {
		v.Add(prefix+"id_path", "is not a valid path: %q", cfg.IDPath)
	}
	if cfg.UpdateURLTemplate != "" {
		validateURLTemplate(&v, prefix+"update_url_template", cfg.UpdateURLTemplate, []string{PlaceholderID}, PlaceholderID)
	}
	if m := strings.ToUpper(cfg.UpdateMethod); m != "" && m != http.MethodPatch && m != http.MethodPut {
		v.Add(prefix+"update_method", "must be PATCH or PUT, got %q", cfg.UpdateMethod)
	}
	if cfg.SearchURLTemplate != "" {
		validateURLTemplate(&v, prefix+"search_url_template", cfg.SearchURLTemplate, []string{PlaceholderCallID}, PlaceholderCallID)
	}
	if cfg.SearchResultsPath != "" && !validPath(cfg.SearchResultsPath) {
		v.Add(prefix+"search_results_path", "is not a valid path: %q", cfg.SearchResultsPath)
	}
	if cfg.SearchIDPath != "" && !validPath(cfg.SearchIDPath) {
		v.Add(prefix+"search_id_path", "is not a valid path: %q", cfg.SearchIDPath)
	}
	if cfg.EntryURLTemplate != "" {
		validateURLTemplate(&v, prefix+"entry_url_template", cfg.EntryURLTemplate, []string{PlaceholderID}, PlaceholderID)
	}
	return v.Err()
}

// sampleCallValues fill every call placeholder when a template is
// validated; a number placeholder gets a number.
func sampleCallValues() map[string]string {
	values := map[string]string{PlaceholderID: "1"}
	for _, name := range callPlaceholders {
		values[name] = "x"
	}
	values[PlaceholderDurationSeconds] = "60"
	return values
}

// CallLogger returns the connector's call logger for cfg, which the
// connection keeps under settings.call_log.
func (c *Connector) CallLogger(cfg CallLogConfig) *CallLogger {
	return &CallLogger{cfg: cfg, client: c.client, configErr: ValidateCallLogConfig(cfg)}
}

// CallLogger writes calls through the requests a CallLogConfig describes.
// It implements crm.CallLogger.
type CallLogger struct {
	cfg       CallLogConfig
	client    *http.Client
	configErr error
}

var _ crm.CallLogger = (*CallLogger)(nil)

// LogCall sends the create request and reads the new id at IDPath.
func (l *CallLogger) LogCall(ctx context.Context, log crm.CallLog) (crm.LoggedCall, error) {
	if l.configErr != nil {
		return crm.LoggedCall{}, l.configErr
	}
	body, err := l.body(log)
	if err != nil {
		return crm.LoggedCall{}, err
	}
	var response json.RawMessage
	if err := l.send(ctx, http.MethodPost, l.cfg.CreateURL, body, &response); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("generic CRM call create: %w", err)
	}
	id := gjson.GetBytes(response, l.cfg.IDPath).String()
	if id == "" {
		return crm.LoggedCall{}, fmt.Errorf("generic CRM call create: the response has no id at %q", l.cfg.IDPath)
	}
	return l.logged(id), nil
}

// UpdateCallLog sends the body to UpdateURLTemplate, or does nothing when
// the connection has none.
func (l *CallLogger) UpdateCallLog(ctx context.Context, id string, log crm.CallLog) (crm.LoggedCall, error) {
	if l.configErr != nil {
		return crm.LoggedCall{}, l.configErr
	}
	if l.cfg.UpdateURLTemplate == "" {
		return l.logged(id), nil
	}
	body, err := l.body(log)
	if err != nil {
		return crm.LoggedCall{}, err
	}
	method := strings.ToUpper(l.cfg.UpdateMethod)
	if method == "" {
		method = http.MethodPatch
	}
	target := renderURL(l.cfg.UpdateURLTemplate, map[string]string{PlaceholderID: id})
	if err := l.send(ctx, method, target, body, nil); err != nil {
		return crm.LoggedCall{}, fmt.Errorf("generic CRM call update: %w", err)
	}
	return l.logged(id), nil
}

// FindCallLog sends the search request for log.CallID and returns the
// first entry with an id.
func (l *CallLogger) FindCallLog(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	if l.configErr != nil {
		return crm.LoggedCall{}, false, l.configErr
	}
	if l.cfg.SearchURLTemplate == "" {
		return crm.LoggedCall{}, false, ErrCallSearchNotConfigured
	}
	target := renderURL(l.cfg.SearchURLTemplate, map[string]string{PlaceholderCallID: log.CallID})
	var response json.RawMessage
	err := l.send(ctx, http.MethodGet, target, nil, &response)
	if crmhttp.IsStatus(err, http.StatusNotFound) {
		return crm.LoggedCall{}, false, nil
	}
	if err != nil {
		return crm.LoggedCall{}, false, fmt.Errorf("generic CRM call search: %w", err)
	}
	list, err := items(response, l.cfg.SearchResultsPath)
	if err != nil {
		return crm.LoggedCall{}, false, err
	}
	idPath := l.cfg.SearchIDPath
	if idPath == "" {
		idPath = l.cfg.IDPath
	}
	for _, item := range list {
		if id := item.Get(idPath).String(); id != "" {
			return l.logged(id), true, nil
		}
	}
	return crm.LoggedCall{}, false, nil
}

// FindUserID returns "": a generic CRM has no user search, so agents are
// mapped with settings.call_log.user_map.
func (l *CallLogger) FindUserID(context.Context, string) (string, error) { return "", nil }

// CreateContact is not supported by generic connections, whose settings
// describe no create request for contacts.
func (l *CallLogger) CreateContact(context.Context, string) (crm.Record, error) {
	return crm.Record{}, errors.New("generic CRM connections cannot create contacts: set settings.call_log.unknown_callers to no_contact")
}

// body renders BodyTemplate for log and adds the mapped fields.
func (l *CallLogger) body(log crm.CallLog) (json.RawMessage, error) {
	rendered := renderJSON(l.cfg.BodyTemplate, callValues(log))
	if len(log.Fields) == 0 {
		return json.RawMessage(rendered), nil
	}
	var object map[string]any
	if err := json.Unmarshal([]byte(rendered), &object); err != nil {
		return nil, fmt.Errorf("generic CRM call body: settings.call_log.body_template must be a JSON object to add mapped fields: %w", err)
	}
	for name, value := range log.Fields {
		object[name] = value
	}
	encoded, err := json.Marshal(object)
	return encoded, err
}

func (l *CallLogger) send(ctx context.Context, method, target string, body, out any) error {
	req, err := crmhttp.NewJSONRequest(ctx, method, target, body)
	if err != nil {
		return err
	}
	return crmhttp.Do(ctx, l.client, req, out)
}

func (l *CallLogger) logged(id string) crm.LoggedCall {
	logged := crm.LoggedCall{ID: id}
	if l.cfg.EntryURLTemplate != "" {
		logged.URL = renderURL(l.cfg.EntryURLTemplate, map[string]string{PlaceholderID: id})
	}
	return logged
}

// callValues returns the placeholder values of log.
func callValues(log crm.CallLog) map[string]string {
	values := map[string]string{
		PlaceholderCallID: log.CallID, PlaceholderDirection: log.Direction, PlaceholderFrom: log.From, PlaceholderTo: log.To,
		PlaceholderStartedAt:       log.StartedAt.UTC().Format(timeRFC3339),
		PlaceholderStartedAtLocal:  log.Local(log.StartedAt).Format(timeRFC3339),
		PlaceholderStartDateLocal:  log.Local(log.StartedAt).Format("2006-01-02"),
		PlaceholderDurationSeconds: strconv.Itoa(log.DurationSeconds),
		PlaceholderOutcome:         log.Outcome, PlaceholderAgent: log.Agent, PlaceholderOwnerID: log.OwnerID,
		PlaceholderRecordingURL: log.RecordingURL, PlaceholderNotes: log.Notes, PlaceholderTitle: log.Title,
	}
	if !log.EndedAt.IsZero() {
		values[PlaceholderEndedAt] = log.EndedAt.UTC().Format(timeRFC3339)
		values[PlaceholderEndedAtLocal] = log.Local(log.EndedAt).Format(timeRFC3339)
	}
	if len(log.ContactIDs) > 0 {
		values[PlaceholderContactID] = log.ContactIDs[0]
	}
	return values
}

// timeRFC3339 is RFC 3339 with the offset written as Z07:00.
const timeRFC3339 = "2006-01-02T15:04:05Z07:00"
