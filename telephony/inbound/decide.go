package inbound

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// decision is a routing decision with the contact the rules saw.
type decision struct {
	routing.Decision
	// Contact is the matched phonebook contact, nil when none matched, the
	// lookup did not finish or the contact came from the CRM.
	Contact *store.Contact
	// At is the time the rules saw.
	At time.Time
	// CRMContact is the contact a CRM lookup found, nil when the CRM was
	// not asked or found none.
	CRMContact *routing.ContactEnv
	// lateCRM delivers the CRM's response when it missed the CRM step's
	// deadline and the connection reroutes on late responses, else nil.
	lateCRM <-chan crmResponse
}

// decide looks the caller of ev up in the sources of the connection's
// lookup order and runs its rules, all before ctx's deadline. observe
// records the metrics and allows a late CRM response to reroute the call.
// The routing test leaves it off.
func (s *Service) decide(ctx context.Context, conn *connection, ev telephony.CallEvent, observe bool) decision {
	var mu sync.Mutex
	var found []store.Contact
	var late <-chan crmResponse
	var crmContact *routing.ContactEnv
	lookup := func(ctx context.Context) (routing.LookupResult, error) {
		number := lookupNumber(ev)
		if conn.LookupOrder != connections.LookupCRM {
			contacts, err := s.findContacts(ctx, s.store.Queries, conn, number)
			if err != nil {
				return routing.LookupResult{}, err
			}
			mu.Lock()
			found = contacts
			mu.Unlock()
			if len(contacts) > 0 || !connections.UsesCRM(conn.LookupOrder) {
				return lookupResult(contacts), nil
			}
		}

		result, pending := s.lookupCRM(ctx, conn, ev, number, observe)
		mu.Lock()
		late, crmContact = pending, result.Contact
		mu.Unlock()
		return result, nil
	}

	at := s.now()
	started := time.Now()
	d := routing.Decide(ctx, conn.Ruleset, conn.DefaultRoute, lookup, routing.NewCallEnv(ev, conn.ID), at, conn.Location)
	elapsed := time.Since(started)
	if conn.RulesError != nil && d.Reason == routing.ReasonNoRuleMatched {
		d.Reason = routing.ReasonRuleError
		d.Detail = "the routing rules no longer compile: " + conn.RulesError.Error()
	}

	out := decision{Decision: d, At: at}
	mu.Lock()
	if i := slices.IndexFunc(found, func(c store.Contact) bool { return c.ID == d.ContactID }); i >= 0 {
		out.Contact = &found[i]
	}
	out.lateCRM = late
	if crmContact != nil && crmContact.ID == d.ContactID {
		out.CRMContact = crmContact
	}
	mu.Unlock()

	if observe {
		s.observe(conn, ev, d, elapsed)
	}
	return out
}

// observe records the metrics of a decision and logs it.
func (s *Service) observe(conn *connection, ev telephony.CallEvent, d routing.Decision, elapsed time.Duration) {
	provider := string(conn.Provider)
	s.metrics.routingDuration.WithLabelValues(provider).Observe(elapsed.Seconds())

	fields := []zap.Field{
		zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID),
		zap.String("provider_call_id", ev.ProviderCallID), zap.String("contact_id", d.ContactID),
		zap.String("rule", d.Rule), zap.String("route_kind", string(d.Route.Kind)), zap.Duration("duration", elapsed),
	}
	if d.Reason == "" || d.Reason == routing.ReasonNoRuleMatched {
		s.log.Info("call routed", fields...)
		return
	}
	s.metrics.fallbacks.WithLabelValues(provider, d.Reason).Inc()
	s.log.Warn("routing failed: call sent to the default route",
		append(fields, zap.String("reason", d.Reason), zap.String("detail", d.Detail))...)
}

// lookupNumber returns the E.164 number of the party that is not the
// workspace: the caller of an inbound call, the callee of an outbound one.
// It is empty when that party has no dialable number.
func lookupNumber(ev telephony.CallEvent) string {
	if ev.Direction == telephony.DirectionOutbound {
		return ev.To.E164
	}
	return ev.From.E164
}

// findContacts returns the contacts of the connection's phonebooks with
// number, oldest first, the order routing picks from.
func (s *Service) findContacts(ctx context.Context, q *store.Queries, conn *connection, number string) ([]store.Contact, error) {
	if number == "" {
		return nil, nil
	}
	return q.FindContactsByPhone(ctx, conn.WorkspaceID, number, conn.LookupPhonebookIDs())
}

func lookupResult(contacts []store.Contact) routing.LookupResult {
	if len(contacts) == 0 {
		return routing.LookupResult{}
	}
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.ID
	}
	return routing.LookupResult{Contact: contactEnv(contacts[0]), Matches: len(contacts), AllContactIDs: ids}
}

// contactEnv turns a contact into what routing rules see. Owner comes from
// the extra_data key "owner", else "owner_email" or "owner_name" (the keys
// a CRM sync writes), and CRMURL from "crm_url", when those are strings,
// because contacts have no columns of their own for them.
func contactEnv(c store.Contact) *routing.ContactEnv {
	env := &routing.ContactEnv{
		ID:          c.ID,
		PhonebookID: c.PhonebookID,
		FirstName:   c.FirstName,
		LastName:    c.LastName,
		DisplayName: c.DisplayName,
		Company:     c.Company,
		Emails:      c.Emails.V,
		ExtraData:   map[string]any{},
	}
	if c.ExternalID != nil {
		env.ExternalID = *c.ExternalID
	}
	for _, n := range c.PhoneNumbers.V {
		env.PhoneNumbers = append(env.PhoneNumbers, n.E164)
	}

	if len(c.ExtraData) > 0 {
		_ = json.Unmarshal(c.ExtraData, &env.ExtraData) // the store keeps extra_data a valid JSON object
	}
	for _, key := range []string{"owner", "owner_email", "owner_name"} {
		if owner, ok := env.ExtraData[key].(string); ok && owner != "" {
			env.Owner = owner
			break
		}
	}
	env.CRMURL, _ = env.ExtraData["crm_url"].(string)
	return env
}
