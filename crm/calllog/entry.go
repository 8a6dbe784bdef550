package calllog

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// userTTL is how long a CRM user id found by email stays cached.
const userTTL = 10 * time.Minute

// maxCachedUsers bounds the CRM user ids cached.
const maxCachedUsers = 10000

// entry builds the CRM entry of call for l: its record, owner, times in
// the workspace's zone and mapped fields. It stores the record chosen in
// l, so every later attempt uses the same one.
func (r *drainRun) entry(ctx context.Context, l *store.CallLog, call store.Call) (crm.CallLog, error) {
	s := r.svc
	settings := r.conn.CallLog()
	zone, err := s.zone(ctx, call.WorkspaceID)
	if err != nil {
		return crm.CallLog{}, errStop{err}
	}
	contacts, contactName, err := r.contacts(ctx, l, call)
	if err != nil {
		return crm.CallLog{}, err
	}
	agent := callAgent(call)
	owner, err := r.owner(ctx, call.WorkspaceID, agent)
	if err != nil {
		return crm.CallLog{}, err
	}

	entry := crm.CallLog{
		CallID: call.ID, Direction: call.Direction, From: party(call.FromE164, call.FromRaw), To: party(call.ToE164, call.ToRaw),
		StartedAt: call.StartedAt.Time, DurationSeconds: call.DurationSeconds, Outcome: call.Status, Agent: agent,
		OwnerID: owner, RecordingURL: call.RecordingURL, Notes: call.Notes, ContactIDs: contacts,
		ContactObject: defaultObject(r.conn.Kind), Location: zone,
	}
	if call.EndedAt != nil {
		entry.EndedAt = call.EndedAt.Time
	}
	values := sourceValues(entry, call, contactName)
	fields := mapping.ApplyCall(settings.CallMapping(), values)
	entry.Title = fields[mapping.CallTargetTitle]
	delete(fields, mapping.CallTargetTitle)
	if entry.Title == "" {
		// A mapping without a title keeps the default mapping's title, so
		// the contact's name stays in it.
		entry.Title = mapping.ApplyCall(mapping.DefaultCall(), values)[mapping.CallTargetTitle]
	}
	entry.Fields = fields
	return entry, nil
}

// contacts returns the CRM records the call is logged on, choosing and
// storing them on the first attempt (see the package comment), and the
// name of the caller's Switchboard contact.
func (r *drainRun) contacts(ctx context.Context, l *store.CallLog, call store.Call) ([]string, string, error) {
	s := r.svc
	var local *store.Contact
	if call.ContactID != nil {
		c, err := s.store.GetContact(ctx, call.WorkspaceID, *call.ContactID)
		switch {
		case err == nil:
			local = &c
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", errStop{err}
		}
	}
	name := ""
	if local != nil {
		name = local.DisplayName
	}
	if l.CRMContactIDs != nil {
		return l.CRMContactIDs.V, name, nil
	}

	ids, err := r.chooseContacts(ctx, call, local)
	if err != nil {
		return nil, "", err
	}
	if err := s.store.SetCallLogContacts(ctx, l.ID, ids); err != nil {
		return nil, "", errStop{err}
	}
	l.CRMContactIDs = &store.JSONColumn[[]string]{V: ids}
	return ids, name, nil
}

// chooseContacts picks the CRM records of the call: the synced contact,
// else the CRM's matches, else a new record when the settings ask for one.
func (r *drainRun) chooseContacts(ctx context.Context, call store.Call, local *store.Contact) ([]string, error) {
	settings := r.conn.CallLog()
	if local != nil && local.ExternalID != nil && *local.ExternalID != "" && r.conn.PhonebookID != "" &&
		local.PhonebookID == r.conn.PhonebookID {
		return []string{*local.ExternalID}, nil
	}

	number := callerNumber(call)
	if number == "" {
		return []string{}, nil
	}
	// Two calls from a new number that end together would otherwise both
	// find nothing and create two records.
	key := contactKey(r.conn.ID, number)
	unlock := r.svc.numbers.lock(key)
	defer unlock()
	records, err := r.connector.SearchByPhone(ctx, append([]string{number}, phone.NationalForms(number)...))
	if err != nil {
		return nil, err
	}
	records = slices.DeleteFunc(records, func(rec crm.Record) bool { return rec.Archived })
	slices.SortStableFunc(records, func(a, b crm.Record) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	if len(records) > 0 {
		if !settings.AssociateAllMatches {
			records = records[:1]
		}
		ids := make([]string, len(records))
		for i, rec := range records {
			ids[i] = rec.ID
		}
		return ids, nil
	}

	if settings.UnknownCallers != crmconn.UnknownCallerCreateContact {
		return []string{}, nil
	}
	if id, ok := r.svc.created.Get(key); ok {
		return []string{id}, nil // created here, not in the CRM's search index yet
	}
	// NOTE: a create whose response is lost makes a record the next attempt
	// may not find yet, so an unknown caller can get two records. So can
	// two instances, because each remembers only the records it created.
	created, err := r.logger.CreateContact(ctx, number)
	if err != nil {
		return nil, err
	}
	r.svc.created.Set(key, created.ID)
	if r.svc.cfg.Lookups != nil {
		r.svc.cfg.Lookups.Forget(call.WorkspaceID, r.conn.ID, number)
	}
	return []string{created.ID}, nil
}

// callAgent returns the agent of call for its CRM entry: the stored
// agent, else the party the routing decision rang. The inbound service
// stores that party as the agent already; calls recorded before it did
// get it here.
func callAgent(call store.Call) string {
	if call.Agent != "" || len(call.Routing) == 0 {
		return call.Agent
	}
	var decision routing.Decision
	if err := json.Unmarshal(call.Routing, &decision); err != nil {
		return ""
	}
	return decision.Agent()
}

// owner returns the CRM user of agent: by email first, then by the
// connection's user_map. It returns "" when neither finds the agent.
func (r *drainRun) owner(ctx context.Context, workspaceID, agent string) (string, error) {
	if agent == "" {
		return "", nil
	}
	email, err := r.svc.agentEmail(ctx, workspaceID, agent)
	if err != nil {
		return "", errStop{err}
	}
	if email != "" {
		id, err := r.userByEmail(ctx, email)
		if err != nil || id != "" {
			return id, err
		}
	}
	users := r.conn.CallLog().UserMap
	if id := users[agent]; id != "" {
		return id, nil
	}
	for key, id := range users {
		if email != "" && strings.EqualFold(key, email) {
			return id, nil
		}
	}
	return "", nil
}

// userByEmail returns the CRM user id of email, cached for userTTL. A
// search the CRM rejects, such as for a missing scope, counts as no user.
func (r *drainRun) userByEmail(ctx context.Context, email string) (string, error) {
	s := r.svc
	key := r.conn.ID + "\n" + strings.ToLower(email)
	if id, ok := s.users.Get(key); ok {
		return id, nil
	}

	id, err := r.logger.FindUserID(ctx, email)
	var limited *crm.RateLimitedError
	switch {
	case errors.As(err, &limited), errors.Is(err, crm.ErrUnavailable):
		return "", err
	case err != nil:
		s.log.Warn("finding the CRM user of an agent failed, so the call is logged without an owner unless user_map names one",
			connFields(r.conn, zap.Error(err))...)
		id = ""
	}
	s.users.Set(key, id)
	return id, nil
}

// agentEmail returns the email address of agent: Config.AgentEmail's
// result, else the agent itself when it is an address.
func (s *Service) agentEmail(ctx context.Context, workspaceID, agent string) (string, error) {
	if s.cfg.AgentEmail != nil {
		email, err := s.cfg.AgentEmail(ctx, workspaceID, agent)
		if err != nil || email != "" {
			return email, err
		}
	}
	if strings.Contains(agent, "@") && !strings.ContainsAny(agent, " :") {
		return agent, nil
	}
	return "", nil
}

// zone returns the time zone of the workspace, or UTC when the system's
// zone database lacks its name.
func (s *Service) zone(ctx context.Context, workspaceID string) (*time.Location, error) {
	ws, err := s.store.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if zone, ok := s.zones[ws.TimeZone]; ok {
		return zone, nil
	}
	zone, err := time.LoadLocation(ws.TimeZone)
	if err != nil {
		s.log.Warn("workspace time zone is unknown, so call logs use UTC", zap.String("workspace_id", workspaceID),
			zap.String("time_zone", ws.TimeZone), zap.Error(err))
		zone = time.UTC
	}
	s.zones[ws.TimeZone] = zone
	return zone, nil
}

// callerNumber returns the E.164 number of the party that is not the
// workspace: the caller of an inbound call, the callee of an outbound one.
func callerNumber(call store.Call) string {
	if call.Direction == string(telephony.DirectionOutbound) {
		return call.ToE164
	}
	return call.FromE164
}

func party(e164, raw string) string {
	if e164 != "" {
		return e164
	}
	return raw
}

// sourceValues returns the value of every call mapping source.
func sourceValues(entry crm.CallLog, call store.Call, contactName string) map[string]string {
	values := map[string]string{
		mapping.CallSourceID: call.ID, mapping.CallSourceDirection: call.Direction, mapping.CallSourceFrom: entry.From,
		mapping.CallSourceTo: entry.To, mapping.CallSourceOutcome: call.Status, mapping.CallSourceAgent: entry.Agent,
		mapping.CallSourceDurationSeconds: strconv.Itoa(call.DurationSeconds),
		mapping.CallSourceStartedAt:       entry.StartedAt.UTC().Format(time.RFC3339),
		mapping.CallSourceStartedAtLocal:  entry.Local(entry.StartedAt).Format(time.RFC3339),
		mapping.CallSourceRecordingURL:    call.RecordingURL, mapping.CallSourceNotes: call.Notes,
		mapping.CallSourceProvider: call.Provider, mapping.CallSourceCaller: party(callerNumber(call), callerRaw(call)),
		mapping.CallSourceContactName: contactName,
	}
	if !entry.EndedAt.IsZero() {
		values[mapping.CallSourceEndedAt] = entry.EndedAt.UTC().Format(time.RFC3339)
		values[mapping.CallSourceEndedAtLocal] = entry.Local(entry.EndedAt).Format(time.RFC3339)
	}
	return values
}

func callerRaw(call store.Call) string {
	if call.Direction == string(telephony.DirectionOutbound) {
		return call.ToRaw
	}
	return call.FromRaw
}

// defaultObject is the object type call entries are linked to.
func defaultObject(kind crm.Kind) string {
	switch kind {
	case crm.KindPipedrive:
		return "person"
	case crm.KindSalesforce:
		return "Contact"
	}
	return "contact"
}
