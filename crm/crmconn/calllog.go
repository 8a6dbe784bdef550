package crmconn

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// What call logging does with a caller the CRM does not know.
const (
	UnknownCallerNoContact     = "no_contact"     // log the call on no record (the default)
	UnknownCallerCreateContact = "create_contact" // create a record first and log the call on it
)

// Limits of call log settings.
const (
	MaxCallLogRate        = 100.0 // requests per second
	MaxCallLogBurst       = 100
	MaxCallLogConcurrency = 20
	maxUserMapEntries     = 1000
)

// CallLogLimit is the pace of call logging requests to one CRM
// connection: PerSecond on average, Burst at once, and at most
// Concurrency requests in flight.
type CallLogLimit struct {
	PerSecond   float64
	Burst       int
	Concurrency int
}

// DefaultCallLogLimits are the call logging paces per CRM kind. Each is a
// share of the CRM's published limit that leaves room for lookups, syncs
// and other integrations on the same account:
//
//   - HubSpot: 100 requests per 10 seconds per account on Free and Starter
//     (developers.hubspot.com/apisbytier), so 4 per second.
//   - Pipedrive: a daily token budget per company where a call log costs
//     10 tokens (API reference, "CallLogs"), and a burst limit per
//     2-second window that depends on the plan, so a cautious 2 per
//     second.
//   - Salesforce: a rolling 24-hour allocation of 100,000 requests plus
//     1,000 per licence on Enterprise Edition, so 1 per second (86,400 a
//     day at most, less than the smallest allocation).
//   - Generic: unknown, so 2 per second; set requests_per_second.
//
// The limit counts HTTP requests, and logging one call takes a few: a
// phone search (Pipedrive sends one per number format and then reads the
// persons found), the create, and an owner lookup per agent every 10
// minutes.
var DefaultCallLogLimits = map[crm.Kind]CallLogLimit{
	crm.KindHubSpot:    {PerSecond: 4, Burst: 4, Concurrency: 4},
	crm.KindPipedrive:  {PerSecond: 2, Burst: 2, Concurrency: 2},
	crm.KindSalesforce: {PerSecond: 1, Burst: 2, Concurrency: 2},
	crm.KindGeneric:    {PerSecond: 2, Burst: 2, Concurrency: 2},
}

// CallLogSettings are whether and how a connection logs calls into its
// CRM, under settings.call_log.
type CallLogSettings struct {
	// Enabled turns call logging on for every call of the workspace that
	// ends from now on.
	Enabled bool `json:"enabled"`
	// UnknownCallers is UnknownCallerNoContact (the default when empty) or
	// UnknownCallerCreateContact.
	UnknownCallers string `json:"unknown_callers,omitempty"`
	// AssociateAllMatches logs a call on every record with the caller's
	// number rather than the chosen one. Only HubSpot links one entry to
	// several records; the other CRMs use the chosen record.
	AssociateAllMatches bool `json:"associate_all_matches,omitempty"`
	// UserMap maps an agent, as the telephony provider names them, or an
	// agent's email address to a CRM user id. It applies when the CRM has
	// no user with the agent's email address.
	UserMap map[string]string `json:"user_map,omitempty"`
	// Mapping sets fields of the CRM's call entry from the call; nil uses
	// mapping.DefaultCall.
	Mapping *mapping.Mapping `json:"mapping,omitempty"`
	// RequestsPerSecond, Burst and MaxConcurrency replace the kind's
	// DefaultCallLogLimits; 0 keeps the default.
	RequestsPerSecond float64 `json:"requests_per_second,omitempty"`
	Burst             int     `json:"burst,omitempty"`
	MaxConcurrency    int     `json:"max_concurrency,omitempty"`
	// CallLogConfig holds the generic connector's call requests
	// (create_url and the rest of generic.CallLogConfig), flat beside the
	// others; nil for the other kinds.
	*generic.CallLogConfig
}

// CallLog returns the connection's call log settings, the zero value
// (disabled) when it has none.
func (c Connection) CallLog() CallLogSettings {
	if c.Settings.CallLog == nil {
		return CallLogSettings{}
	}
	return *c.Settings.CallLog
}

// CallMapping returns the call mapping, or mapping.DefaultCall.
func (s CallLogSettings) CallMapping() mapping.Mapping {
	if s.Mapping != nil {
		return *s.Mapping
	}
	return mapping.DefaultCall()
}

// Limit returns the pace of kind with the settings' replacements.
func (s CallLogSettings) Limit(kind crm.Kind) CallLogLimit {
	limit, ok := DefaultCallLogLimits[kind]
	if !ok {
		limit = CallLogLimit{PerSecond: 1, Burst: 1, Concurrency: 1}
	}
	if s.RequestsPerSecond > 0 {
		limit.PerSecond = s.RequestsPerSecond
	}
	if s.Burst > 0 {
		limit.Burst = s.Burst
	}
	if s.MaxConcurrency > 0 {
		limit.Concurrency = s.MaxConcurrency
	}
	return limit
}

// checkCallLog validates settings.call_log of a connection of kind.
func checkCallLog(v *validation.Error, kind crm.Kind, s *CallLogSettings) {
	if s == nil {
		return
	}
	const prefix = "settings.call_log."
	switch s.UnknownCallers {
	case "", UnknownCallerNoContact:
	case UnknownCallerCreateContact:
		if kind == crm.KindGeneric {
			v.Add(prefix+"unknown_callers", "%s is not available for generic connections, which cannot create contacts", UnknownCallerCreateContact)
		}
	default:
		v.Add(prefix+"unknown_callers", "must be %s or %s, got %q", UnknownCallerNoContact, UnknownCallerCreateContact, s.UnknownCallers)
	}
	if s.RequestsPerSecond < 0 || s.RequestsPerSecond > MaxCallLogRate {
		v.Add(prefix+"requests_per_second", "%g is out of range: use 0 (the default) to %g", s.RequestsPerSecond, MaxCallLogRate)
	}
	if s.Burst < 0 || s.Burst > MaxCallLogBurst {
		v.Add(prefix+"burst", "%d is out of range: use 0 (the default) to %d", s.Burst, MaxCallLogBurst)
	}
	if s.MaxConcurrency < 0 || s.MaxConcurrency > MaxCallLogConcurrency {
		v.Add(prefix+"max_concurrency", "%d is out of range: use 0 (the default) to %d", s.MaxConcurrency, MaxCallLogConcurrency)
	}
	if s.AssociateAllMatches && kind != crm.KindHubSpot {
		v.Add(prefix+"associate_all_matches", "is available for HubSpot connections only, because a %s call entry links one record: set it to false", kind)
	}
	checkUserMap(v, kind, s.UserMap)
	if s.Mapping != nil {
		if verr, ok := mapping.ValidateCall(*s.Mapping).(*validation.Error); ok {
			v.Merge(prefix+"mapping", verr)
		}
	}

	switch {
	case kind == crm.KindGeneric && s.Enabled && s.CallLogConfig == nil:
		v.Add(prefix+"create_url", "is required to log calls to a generic CRM, such as https://crm.example.com/api/calls")
	case kind == crm.KindGeneric && s.CallLogConfig != nil:
		if verr, ok := generic.ValidateCallLogConfig(*s.CallLogConfig).(*validation.Error); ok {
			v.Merge("", verr)
		}
	case s.CallLogConfig != nil:
		v.Add(prefix+"create_url", "is a setting of generic connections only")
	}
}

func checkUserMap(v *validation.Error, kind crm.Kind, users map[string]string) {
	if len(users) > maxUserMapEntries {
		v.Add("settings.call_log.user_map", "has %d entries, above the limit of %d", len(users), maxUserMapEntries)
		return
	}
	for agent, id := range users {
		field := "settings.call_log.user_map." + agent
		switch {
		case strings.TrimSpace(agent) == "" || len(agent) > 320:
			v.Add("settings.call_log.user_map", "key %q must be an agent or email of 1 to 320 characters", agent)
			continue
		case strings.TrimSpace(id) == "" || len(id) > 100:
			v.Add(field, "%q must be a CRM user id of 1 to 100 characters", id)
			continue
		}
		if reason := checkCRMUserID(kind, id); reason != "" {
			v.Add(field, "%q is not a %s", id, reason)
		}
	}
}

// salesforceUserID matches a Salesforce User id: the key prefix 005 and
// 12 more characters of the 15-character id, optionally followed by the
// 3-character checksum of the 18-character form.
var salesforceUserID = regexp.MustCompile(`^005[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$`)

// checkCRMUserID returns why id cannot be a user id of a CRM of kind, or
// "" when it can. Generic CRMs accept any id.
func checkCRMUserID(kind crm.Kind, id string) string {
	switch kind {
	case crm.KindPipedrive:
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return "Pipedrive user id, which is a positive whole number such as 12345"
		}
	case crm.KindHubSpot:
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return "HubSpot owner id, which is a positive whole number such as 12345678"
		}
	case crm.KindSalesforce:
		if !salesforceUserID.MatchString(id) {
			return "Salesforce user id, which has 15 or 18 letters and digits and starts with 005"
		}
	}
	return ""
}

// CallLogger returns the call logger of conn's connector, built by Open:
// the connector itself, or for a generic connection the logger of its
// settings.call_log requests.
func CallLogger(conn Connection, connector crm.Connector) (crm.CallLogger, error) {
	if g, ok := connector.(*generic.Connector); ok {
		settings := conn.CallLog()
		if settings.CallLogConfig == nil {
			return nil, fmt.Errorf("CRM connection %s: settings.call_log.create_url is not set", conn.ID)
		}
		return g.CallLogger(*settings.CallLogConfig), nil
	}
	logger, ok := connector.(crm.CallLogger)
	if !ok {
		return nil, fmt.Errorf("CRM connection %s: the %s connector cannot log calls", conn.ID, conn.Kind)
	}
	return logger, nil
}
