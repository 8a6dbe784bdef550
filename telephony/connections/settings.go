package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// Limits of a connection's fields.
const (
	MaxNameLength     = 200 // characters
	MaxPhonebooks     = 100 // phonebook ids per connection
	MinDeadlineMillis = 100 // routing deadline, milliseconds
	MaxDeadlineMillis = 10000
	// MinCRMDeadlineMillis is the shortest CRM step, in milliseconds. Its
	// longest is one below the connection's deadline.
	MinCRMDeadlineMillis = 50
)

// Lookup orders: where the caller of an incoming call is looked up.
const (
	// LookupPhonebook searches the connection's phonebooks.
	LookupPhonebook = store.DefaultLookupOrder
	// LookupCRM searches the CRM connection CRMConnectionID only.
	LookupCRM = "crm"
	// LookupPhonebookThenCRM searches the CRM when the phonebooks have no
	// contact with the caller's number.
	LookupPhonebookThenCRM = "phonebook_then_crm"
)

// UsesCRM reports whether lookup order reads a CRM.
func UsesCRM(order string) bool {
	return order == LookupCRM || order == LookupPhonebookThenCRM
}

// Settings is a connection as an admin configured it, with its credentials
// decrypted. Only this package and the webhook path see the secrets; the
// API shows Summarize of them.
type Settings struct {
	ID          string
	WorkspaceID string
	Provider    telephony.Provider
	Name        string
	Credentials telephony.Credentials
	// PhonebookIDs are the phonebooks searched for callers; empty searches
	// every phonebook of the workspace.
	PhonebookIDs   []string
	RoutingRules   []routing.Rule
	DefaultRoute   telephony.Route
	LookupOrder    string
	DeadlineMillis int
	// CRMConnectionID is the CRM connection the lookup orders "crm" and
	// "phonebook_then_crm" read.
	CRMConnectionID string
	// CRMDeadlineMillis bounds the CRM step inside DeadlineMillis.
	CRMDeadlineMillis int
	// RerouteLateCRMAnswers moves a live call when the CRM responds after
	// CRMDeadlineMillis with a contact that the rules route elsewhere.
	RerouteLateCRMAnswers bool
	Options               Options
	Enabled               bool
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Input is a new connection as a client writes it. Provider, Name,
// DefaultRoute and the provider's required credentials must be set.
type Input struct {
	Provider     string            `json:"provider"`
	Name         string            `json:"name"`
	Credentials  map[string]string `json:"credentials"`
	PhonebookIDs []string          `json:"phonebook_ids"`
	RoutingRules []routing.Rule    `json:"routing_rules"`
	DefaultRoute *telephony.Route  `json:"default_route"`
	// LookupOrder is "phonebook" (the default when empty), "crm" or
	// "phonebook_then_crm".
	LookupOrder string `json:"lookup_order"`
	// DeadlineMillis defaults to store.DefaultDeadlineMillis.
	DeadlineMillis *int `json:"deadline_ms"`
	// CRMConnectionID is required by the lookup orders that read a CRM.
	CRMConnectionID string `json:"crm_connection_id"`
	// CRMDeadlineMillis defaults to store.DefaultCRMDeadlineMillis.
	CRMDeadlineMillis *int `json:"crm_deadline_ms"`
	// RerouteLateCRMAnswers defaults to false.
	RerouteLateCRMAnswers *bool   `json:"reroute_late_crm_answers"`
	Options               Options `json:"options"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
}

// Patch holds the fields an update changes; nil fields keep their value.
// Credentials are merged field by field, and an empty value removes a
// field. Options replace the stored options as a whole.
type Patch struct {
	Name           *string           `json:"name"`
	Credentials    map[string]string `json:"credentials"`
	PhonebookIDs   *[]string         `json:"phonebook_ids"`
	RoutingRules   *[]routing.Rule   `json:"routing_rules"`
	DefaultRoute   *telephony.Route  `json:"default_route"`
	LookupOrder    *string           `json:"lookup_order"`
	DeadlineMillis *int              `json:"deadline_ms"`
	// CRMConnectionID "" removes the CRM connection.
	CRMConnectionID       *string  `json:"crm_connection_id"`
	CRMDeadlineMillis     *int     `json:"crm_deadline_ms"`
	RerouteLateCRMAnswers *bool    `json:"reroute_late_crm_answers"`
	Options               *Options `json:"options"`
	Enabled               *bool    `json:"enabled"`
}

// patch returns in as a Patch over an empty connection.
func (in Input) patch() Patch {
	p := Patch{
		Name:           &in.Name,
		Credentials:    in.Credentials,
		PhonebookIDs:   &in.PhonebookIDs,
		RoutingRules:   &in.RoutingRules,
		DefaultRoute:   in.DefaultRoute,
		DeadlineMillis: in.DeadlineMillis,
		Options:        &in.Options,
		Enabled:        in.Enabled,

		CRMConnectionID:       &in.CRMConnectionID,
		CRMDeadlineMillis:     in.CRMDeadlineMillis,
		RerouteLateCRMAnswers: in.RerouteLateCRMAnswers,
	}
	if in.LookupOrder != "" {
		p.LookupOrder = &in.LookupOrder
	}
	return p
}

// apply writes the fields of p into s.
func (s *Settings) apply(p Patch) {
	if p.Name != nil {
		s.Name = strings.TrimSpace(*p.Name)
	}
	applyCredentials(&s.Credentials, p.Credentials)
	if p.PhonebookIDs != nil {
		s.PhonebookIDs = *p.PhonebookIDs
	}
	if p.RoutingRules != nil {
		s.RoutingRules = *p.RoutingRules
	}
	if p.DefaultRoute != nil {
		s.DefaultRoute = *p.DefaultRoute
	}
	if p.LookupOrder != nil {
		s.LookupOrder = *p.LookupOrder
	}
	if p.DeadlineMillis != nil {
		s.DeadlineMillis = *p.DeadlineMillis
	}
	if p.CRMConnectionID != nil {
		s.CRMConnectionID = strings.TrimSpace(*p.CRMConnectionID)
	}
	if p.CRMDeadlineMillis != nil {
		s.CRMDeadlineMillis = *p.CRMDeadlineMillis
	}
	if p.RerouteLateCRMAnswers != nil {
		s.RerouteLateCRMAnswers = *p.RerouteLateCRMAnswers
	}
	if p.Options != nil {
		s.Options = *p.Options
	}
	if p.Enabled != nil {
		s.Enabled = *p.Enabled
	}
}

// check validates s after a write of p and normalises it in place: number
// targets and the dial caller id become E.164. region is the workspace's
// default region. Every invalid field is reported at once.
func (svc *Service) check(ctx context.Context, s *Settings, p Patch, region string) error {
	var v validation.Error
	checkName(&v, s.Name)
	checkCredentials(&v, s.Provider, p.Credentials, s.Credentials)
	if err := svc.checkPhonebooks(ctx, &v, s.WorkspaceID, s.PhonebookIDs); err != nil {
		return err
	}
	checkRules(&v, s.Provider, s.RoutingRules, region)
	checkDefaultRoute(&v, s, p.DefaultRoute != nil, region)
	if s.DeadlineMillis < MinDeadlineMillis || s.DeadlineMillis > MaxDeadlineMillis {
		v.Add("deadline_ms", "%d is out of range: use %d to %d milliseconds", s.DeadlineMillis, MinDeadlineMillis, MaxDeadlineMillis)
	}
	if err := svc.checkLookup(ctx, &v, s); err != nil {
		return err
	}
	checkOptions(&v, s.Provider, &s.Options, region)
	return v.Err()
}

func checkName(v *validation.Error, name string) {
	switch {
	case name == "":
		v.Add("name", "is required, such as \"Main line\"")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.Add("name", "is longer than %d characters", MaxNameLength)
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("name", "contains a control character or invalid UTF-8")
	}
}

// checkPhonebooks adds an error for every id that is repeated or names no
// phonebook of the workspace. It returns store errors other than not found.
func (svc *Service) checkPhonebooks(ctx context.Context, v *validation.Error, workspaceID string, ids []string) error {
	if len(ids) > MaxPhonebooks {
		v.Add("phonebook_ids", "lists %d phonebooks, the maximum is %d", len(ids), MaxPhonebooks)
		return nil
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		field := fmt.Sprintf("phonebook_ids[%d]", i)
		if first, ok := seen[id]; ok {
			v.Add(field, "repeats phonebook_ids[%d]", first)
			continue
		}
		seen[id] = i

		_, err := svc.store.GetPhonebook(ctx, workspaceID, id)
		if errors.Is(err, store.ErrNotFound) {
			v.Add(field, "no phonebook %q exists in this workspace", id)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRules reports every invalid field of every rule, and checks that
// the provider can carry out every route.
func checkRules(v *validation.Error, p telephony.Provider, rules []routing.Rule, region string) {
	ruleErrs, err := routing.Check(rules, region)
	if err != nil {
		v.Add("routing_rules", "%s", err.Error())
	}
	for _, ruleErr := range ruleErrs {
		v.Add(fmt.Sprintf("routing_rules[%d].%s", ruleErr.Index, ruleErr.Field), "%s", ruleErr.Message)
	}

	for i, rule := range rules {
		if reason := checkRouteKind(p, rule.Route.Kind); reason != "" {
			v.Add(fmt.Sprintf("routing_rules[%d].route.kind", i), "%s", reason)
		}
	}
}

// checkDefaultRoute validates the default route and stores it normalised.
// written is true when this write set it, so a create without one gets a
// clearer message than "kind: missing".
func checkDefaultRoute(v *validation.Error, s *Settings, written bool, region string) {
	if !written && s.DefaultRoute.Kind == "" {
		v.Add("default_route", `is required: the route of calls that no rule matches, such as {"kind":"voicemail"}`)
		return
	}
	route, err := routing.ValidateDefaultRoute(s.DefaultRoute, region)
	var routeErr *routing.RouteError
	switch {
	case errors.As(err, &routeErr):
		v.Add("default_route."+routeErr.Field, "%s", routeErr.Message)
		return
	case err != nil:
		v.Add("default_route", "%s", err.Error())
		return
	}
	if reason := checkRouteKind(s.Provider, route.Kind); reason != "" {
		v.Add("default_route.kind", "%s", reason)
		return
	}
	s.DefaultRoute = route
}

// record returns s in its stored form, with the credentials encrypted.
func (svc *Service) record(s Settings) (store.TelephonyConnection, error) {
	sealed, err := encryptCredentials(svc.keyring, s.Credentials)
	if err != nil {
		return store.TelephonyConnection{}, err
	}
	rules := s.RoutingRules
	if rules == nil {
		rules = []routing.Rule{}
	}
	documents := make([]json.RawMessage, 3)
	for i, value := range []any{rules, s.DefaultRoute, s.Options} {
		if documents[i], err = json.Marshal(value); err != nil {
			return store.TelephonyConnection{}, fmt.Errorf("encode telephony connection: %w", err)
		}
	}

	return store.TelephonyConnection{
		ID:             s.ID,
		WorkspaceID:    s.WorkspaceID,
		Provider:       string(s.Provider),
		Name:           s.Name,
		Credentials:    sealed,
		PhonebookIDs:   store.JSONColumn[[]string]{V: s.PhonebookIDs},
		RoutingRules:   documents[0],
		DefaultRoute:   documents[1],
		Options:        documents[2],
		LookupOrder:    s.LookupOrder,
		DeadlineMillis: s.DeadlineMillis,
		Enabled:        s.Enabled,

		CRMConnectionID:       s.CRMConnectionID,
		CRMDeadlineMillis:     s.CRMDeadlineMillis,
		RerouteLateCRMAnswers: s.RerouteLateCRMAnswers,
	}, nil
}

// settings decodes a stored connection and decrypts its credentials.
func (svc *Service) settings(r store.TelephonyConnection) (Settings, error) {
	creds, err := decryptCredentials(svc.keyring, r.ID, r.Credentials)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		ID:             r.ID,
		WorkspaceID:    r.WorkspaceID,
		Provider:       telephony.Provider(r.Provider),
		Name:           r.Name,
		Credentials:    creds,
		PhonebookIDs:   r.PhonebookIDs.V,
		LookupOrder:    r.LookupOrder,
		DeadlineMillis: r.DeadlineMillis,
		Enabled:        r.Enabled,
		CreatedAt:      r.CreatedAt.Time,
		UpdatedAt:      r.UpdatedAt.Time,

		CRMConnectionID:       r.CRMConnectionID,
		CRMDeadlineMillis:     r.CRMDeadlineMillis,
		RerouteLateCRMAnswers: r.RerouteLateCRMAnswers,
	}
	if s.PhonebookIDs == nil {
		s.PhonebookIDs = []string{}
	}

	documents := []struct {
		raw  json.RawMessage
		into any
	}{
		{r.RoutingRules, &s.RoutingRules},
		{r.DefaultRoute, &s.DefaultRoute},
		{r.Options, &s.Options},
	}
	for _, d := range documents {
		if len(d.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(d.raw, d.into); err != nil {
			return Settings{}, fmt.Errorf("decode telephony connection %s: %w", r.ID, err)
		}
	}
	if s.RoutingRules == nil {
		s.RoutingRules = []routing.Rule{}
	}
	return s, nil
}
