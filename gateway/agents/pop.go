package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// MaxDefaultFieldBytes is the longest extra_data value, as JSON text, that
// a screen pop shows when the workspace lists no screen_pop_fields. Longer
// values, such as notes or embedded documents, are left out so a pop stays
// small; a workspace that wants them lists their keys.
const MaxDefaultFieldBytes = 200

// crmURLKey is the extra_data key where the CRM sync stores the deep link
// to the contact's record.
const crmURLKey = "crm_url"

// CallPop is the screen pop of one call, as the agent console shows it.
type CallPop struct {
	ID              string      `json:"id"`
	Provider        string      `json:"provider"`
	Direction       string      `json:"direction"`
	Status          string      `json:"status"`
	From            Party       `json:"from"`
	To              Party       `json:"to"`
	StartedAt       string      `json:"started_at"`
	AnsweredAt      *string     `json:"answered_at"`
	EndedAt         *string     `json:"ended_at"`
	DurationSeconds int         `json:"duration_seconds"`
	AnsweredBy      *string     `json:"answered_by"`
	Route           *PopRoute   `json:"route"`
	CallerName      string      `json:"caller_name"`
	Company         string      `json:"company"`
	Contact         *PopContact `json:"contact"`
	CRMURL          *string     `json:"crm_url"`
}

// Party is one end of a call: the number or identity as the provider sent
// it and its E.164 form, empty when it is not a dialable number.
type Party struct {
	Raw  string `json:"raw"`
	E164 string `json:"e164"`
}

// PopRoute is the route of the call's routing decision.
type PopRoute struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
}

// PopContact is the contact the caller matched, with the extra_data fields
// the workspace selects.
type PopContact struct {
	ID           string                     `json:"id"`
	PhonebookID  string                     `json:"phonebook_id"`
	ExternalID   *string                    `json:"external_id"`
	DisplayName  string                     `json:"display_name"`
	FirstName    string                     `json:"first_name"`
	LastName     string                     `json:"last_name"`
	Company      string                     `json:"company"`
	Emails       []string                   `json:"emails"`
	PhoneNumbers []store.PhoneNumber        `json:"phone_numbers"`
	Fields       map[string]json.RawMessage `json:"fields"`
}

// BuildPops returns the screen pops of calls, all of workspaceID, in the
// order given. It reads the workspace's screen_pop_fields and each matched
// contact, and lists the workspace's users once when an answered call has
// an agent.
func BuildPops(ctx context.Context, q *store.Queries, workspaceID string, calls []store.Call) ([]CallPop, error) {
	return buildPops(ctx, q, workspaceID, calls, nil)
}

// buildPops is BuildPops that, when known is not nil, calls it first for
// an agent's name, so the users are listed only when it returns none.
func buildPops(ctx context.Context, q *store.Queries, workspaceID string, calls []store.Call, known func(agent string) (string, bool)) ([]CallPop, error) {
	ws, err := q.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	names := &agentNames{q: q, workspaceID: workspaceID, known: known}

	pops := make([]CallPop, len(calls))
	for i, call := range calls {
		contact, err := callContact(ctx, q, call)
		if err != nil {
			return nil, err
		}
		answered, err := names.answeredBy(ctx, call)
		if err != nil {
			return nil, err
		}
		pops[i] = buildPop(call, contact, ws.ScreenPopFields.V, answered)
	}
	return pops, nil
}

// callContact returns the contact the call matched, nil when it matched
// none or the contact was deleted since.
func callContact(ctx context.Context, q *store.Queries, call store.Call) (*store.Contact, error) {
	if call.ContactID == nil {
		return nil, nil
	}
	c, err := q.GetContact(ctx, call.WorkspaceID, *call.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("screen pop of call %s: %w", call.ID, err)
	}
	return &c, nil
}

func buildPop(call store.Call, contact *store.Contact, fields []string, answeredBy *string) CallPop {
	pop := CallPop{
		ID:              call.ID,
		Provider:        call.Provider,
		Direction:       call.Direction,
		Status:          call.Status,
		From:            Party{Raw: call.FromRaw, E164: call.FromE164},
		To:              Party{Raw: call.ToRaw, E164: call.ToE164},
		StartedAt:       formatTime(call.StartedAt.Time),
		AnsweredAt:      formatOptionalTime(call.AnsweredAt),
		EndedAt:         formatOptionalTime(call.EndedAt),
		DurationSeconds: call.DurationSeconds,
		AnsweredBy:      answeredBy,
	}
	route := callRoute(call)
	if route != nil {
		pop.Route = &PopRoute{Kind: string(route.Kind), Target: route.Target}
		pop.CallerName = route.CallerName
	}
	if contact != nil {
		pop.Contact = popContact(*contact, fields)
		pop.CallerName = contactName(*contact)
		pop.Company = contact.Company
		pop.CRMURL = crmURL(contact.ExtraData)
	}
	return pop
}

// agentNames finds the users that answered calls, listing the workspace's
// users at most once.
type agentNames struct {
	q           *store.Queries
	workspaceID string
	known       func(agent string) (string, bool)
	users       []store.User
	listed      bool
}

// answeredBy names who answered an answered or completed call: the name of
// the workspace user the call's agent matches, else the agent as the
// provider reported it. It is nil while nobody has answered.
func (n *agentNames) answeredBy(ctx context.Context, call store.Call) (*string, error) {
	if call.Agent == "" || call.AnsweredAt == nil {
		return nil, nil
	}
	if n.known != nil {
		if name, ok := n.known(call.Agent); ok {
			return &name, nil
		}
	}
	if !n.listed {
		users, err := n.q.ListUsers(ctx, n.workspaceID)
		if err != nil {
			return nil, err
		}
		n.users, n.listed = users, true
	}
	for i := range n.users {
		if Rings(&n.users[i], nil, call.Agent) {
			return &n.users[i].Name, nil
		}
	}
	agent := call.Agent
	return &agent, nil
}

func contactName(c store.Contact) string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

func popContact(c store.Contact, fields []string) *PopContact {
	emails, numbers := c.Emails.V, c.PhoneNumbers.V
	if emails == nil {
		emails = []string{}
	}
	if numbers == nil {
		numbers = []store.PhoneNumber{}
	}
	return &PopContact{
		ID: c.ID, PhonebookID: c.PhonebookID, ExternalID: c.ExternalID,
		DisplayName: c.DisplayName, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
		Emails: emails, PhoneNumbers: numbers,
		Fields: SelectFields(c.ExtraData, fields),
	}
}

// SelectFields returns the extra_data entries a screen pop shows. With keys
// listed, it returns those present, whatever their length. With none, it
// returns every entry but crm_url, which the pop carries as crm_url, and
// those whose JSON text is longer than MaxDefaultFieldBytes.
func SelectFields(extraData json.RawMessage, keys []string) map[string]json.RawMessage {
	selected := map[string]json.RawMessage{}
	var all map[string]json.RawMessage
	if len(extraData) == 0 || json.Unmarshal(extraData, &all) != nil {
		return selected
	}

	if len(keys) > 0 {
		for _, k := range keys {
			if v, ok := all[k]; ok {
				selected[k] = v
			}
		}
		return selected
	}
	for k, v := range all {
		if k != crmURLKey && len(v) <= MaxDefaultFieldBytes {
			selected[k] = v
		}
	}
	return selected
}

// crmURL returns extra_data.crm_url when it is an absolute http or https
// URL. Any other value is dropped, because the console puts it in a link
// and a javascript: URL there would run script.
func crmURL(extraData json.RawMessage) *string {
	var doc struct {
		CRMURL json.RawMessage `json:"crm_url"`
	}
	if json.Unmarshal(extraData, &doc) != nil || !bytes.HasPrefix(bytes.TrimSpace(doc.CRMURL), []byte(`"`)) {
		return nil
	}
	var raw string
	if json.Unmarshal(doc.CRMURL, &raw) != nil {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil
	}
	link := u.String()
	return &link
}

// formatTime renders t as every API timestamp reads: RFC 3339 in UTC with
// millisecond precision.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func formatOptionalTime(t *store.UnixMilli) *string {
	if t == nil {
		return nil
	}
	s := formatTime(t.Time)
	return &s
}

// live reports whether a call with status may still change for the agent:
// ringing or answered.
func live(status string) bool {
	return !telephony.Status(status).Final()
}
