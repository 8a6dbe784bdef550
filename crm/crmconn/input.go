package crmconn

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/crm/salesforce"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// Kinds lists the CRMs a connection can use, in the order error messages
// name them.
var Kinds = []crm.Kind{crm.KindHubSpot, crm.KindPipedrive, crm.KindSalesforce, crm.KindGeneric}

// Authentication types.
const (
	AuthToken  = "token"
	AuthOAuth2 = "oauth2"
)

// Limits of a connection's fields.
const (
	MaxNameLength       = 200      // characters
	MaxSecretLength     = 16 << 10 // bytes of a token or client secret
	MaxScopes           = 50
	MinSyncInterval     = 60    // seconds
	MaxSyncInterval     = 86400 // seconds
	maxSettingsListSize = 50
)

// Connection is a CRM connection with its credentials decrypted. Only this
// package and the lookup and sync paths see the secrets; the API shows
// Summarize of them.
type Connection struct {
	ID          string
	WorkspaceID string
	Kind        crm.Kind
	Name        string
	// BaseURL replaces the CRM's API base URL; empty uses the connector's
	// default.
	BaseURL  string
	Auth     Auth
	Settings Settings
	// PhonebookID is the sync target; empty until the first sync.
	PhonebookID string
	// Mapping is the field mapping an admin set; nil uses
	// mapping.Default(Kind).
	Mapping             *mapping.Mapping
	SyncEnabled         bool
	SyncIntervalSeconds int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// EffectiveMapping returns the connection's mapping, or the default
// mapping of its kind when it has none.
func (c Connection) EffectiveMapping() mapping.Mapping {
	if c.Mapping != nil {
		return *c.Mapping
	}
	return mapping.Default(c.Kind)
}

// Settings are the settings of the connection's kind; a kind rejects the
// fields of the others. Field names in validation errors are their JSON
// names under settings, such as settings.instance_url.
type Settings struct {
	// PortalID is the HubSpot account id used in deep links; the test
	// action fills it in when empty.
	PortalID string `json:"portal_id,omitempty"`
	// AppBaseURL is HubSpot's web app root for deep links, such as
	// https://app-eu1.hubspot.com.
	AppBaseURL string `json:"app_base_url,omitempty"`
	// CompanyDomain is the Pipedrive subdomain, "acme" for
	// acme.pipedrive.com, used in deep links.
	CompanyDomain string `json:"company_domain,omitempty"`
	// InstanceURL is the Salesforce org's URL. OAuth fills it from the token
	// response; a token connection must set it.
	InstanceURL string `json:"instance_url,omitempty"`
	// APIVersion is the Salesforce REST API version, such as "63.0".
	APIVersion string `json:"api_version,omitempty"`
	// Objects are the Salesforce objects read: Contact, Lead or Account.
	Objects []string `json:"objects,omitempty"`
	// ExtraFields are more Salesforce field API names read from every
	// object, such as Rating__c.
	ExtraFields []string `json:"extra_fields,omitempty"`
	// CallLog holds whether and how calls are logged into the CRM. Nil
	// logs no call.
	CallLog *CallLogSettings `json:"call_log,omitempty"`
	// Config holds the generic connector's settings (lookup_url_template,
	// id_path and the rest of generic.Config), flat beside the others; nil
	// for the other kinds.
	*generic.Config
}

// genericConfig returns the generic connector's settings, empty when none
// are set.
func (s Settings) genericConfig() generic.Config {
	if s.Config == nil {
		return generic.Config{}
	}
	return *s.Config
}

// Input is a new connection as a client writes it. Kind, Name and Auth
// must be set.
type Input struct {
	Kind     string      `json:"kind"`
	Name     string      `json:"name"`
	BaseURL  string      `json:"base_url"`
	Auth     *AuthConfig `json:"auth"`
	Settings Settings    `json:"settings"`
	// PhonebookID names an existing phonebook of the workspace as the sync
	// target; empty lets the first sync create one.
	PhonebookID string `json:"phonebook_id"`
	// SyncEnabled defaults to false.
	SyncEnabled *bool `json:"sync_enabled"`
	// SyncIntervalSeconds defaults to store.DefaultCRMSyncIntervalSeconds.
	SyncIntervalSeconds *int `json:"sync_interval_seconds"`
}

// Patch holds the fields an update changes; nil fields keep their value.
// Settings replace the stored settings as a whole. Auth replaces the
// stored authentication, except that a token or client secret left empty
// keeps the stored one while the type (and for OAuth the client id) stays
// the same. OAuth tokens are kept while the client id and token URL stay
// the same, and dropped otherwise.
type Patch struct {
	Name                *string     `json:"name"`
	BaseURL             *string     `json:"base_url"`
	Auth                *AuthConfig `json:"auth"`
	Settings            *Settings   `json:"settings"`
	PhonebookID         *string     `json:"phonebook_id"`
	SyncEnabled         *bool       `json:"sync_enabled"`
	SyncIntervalSeconds *int        `json:"sync_interval_seconds"`
}

// apply writes the fields of p into c; Auth is merged by applyAuth.
func (c *Connection) apply(p Patch) {
	if p.Name != nil {
		c.Name = strings.TrimSpace(*p.Name)
	}
	if p.BaseURL != nil {
		c.BaseURL = strings.TrimRight(strings.TrimSpace(*p.BaseURL), "/")
	}
	if p.Settings != nil {
		c.Settings = p.Settings.trimmed()
	}
	if p.PhonebookID != nil {
		c.PhonebookID = strings.TrimSpace(*p.PhonebookID)
	}
	if p.SyncEnabled != nil {
		c.SyncEnabled = *p.SyncEnabled
	}
	if p.SyncIntervalSeconds != nil {
		c.SyncIntervalSeconds = *p.SyncIntervalSeconds
	}
	if p.Auth != nil {
		c.Auth = applyAuth(c.Kind, c.Auth, *p.Auth)
	}
}

// trimmed returns s with spaces and trailing slashes of URLs removed.
func (s Settings) trimmed() Settings {
	s.PortalID = strings.TrimSpace(s.PortalID)
	s.AppBaseURL = strings.TrimRight(strings.TrimSpace(s.AppBaseURL), "/")
	s.CompanyDomain = strings.ToLower(strings.TrimSpace(s.CompanyDomain))
	s.InstanceURL = strings.TrimRight(strings.TrimSpace(s.InstanceURL), "/")
	s.APIVersion = strings.TrimSpace(s.APIVersion)
	return s
}

// check validates c and reports every invalid field at once.
func check(c Connection) *validation.Error {
	var v validation.Error
	checkName(&v, c.Name)
	switch {
	case c.BaseURL == "":
	case c.Kind == crm.KindGeneric:
		v.Add("base_url", "is not read by generic connections: their URLs are settings.lookup_url_template and settings.list_url_template")
	default:
		if reason := checkHTTPURL(c.BaseURL); reason != "" {
			v.Add("base_url", "%s", reason)
		}
	}
	checkAuth(&v, c.Kind, c.Auth)
	checkSettings(&v, c)
	if c.SyncIntervalSeconds < MinSyncInterval || c.SyncIntervalSeconds > MaxSyncInterval {
		v.Add("sync_interval_seconds", "%d is out of range: use %d to %d seconds", c.SyncIntervalSeconds, MinSyncInterval, MaxSyncInterval)
	}
	return &v
}

func checkKind(kind string) error {
	if slices.Contains(Kinds, crm.Kind(kind)) {
		return nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return validation.New("kind", "%q is not a supported CRM: use %s or %s", kind,
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

func checkName(v *validation.Error, name string) {
	switch {
	case name == "":
		v.Add("name", "is required, such as \"HubSpot\"")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.Add("name", "is longer than %d characters", MaxNameLength)
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("name", "contains a control character or invalid UTF-8")
	}
}

// checkHTTPURL returns why raw is not an absolute http or https URL
// without query or fragment, or "" when it is one.
func checkHTTPURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q has a query or fragment, which this URL cannot have", raw)
	}
	return ""
}

var (
	portalIDPattern      = regexp.MustCompile(`^[0-9]{1,20}$`)
	companyDomainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// settingsOf names the settings each kind reads.
var settingsOf = map[crm.Kind][]string{
	crm.KindHubSpot:    {"portal_id", "app_base_url", "call_log"},
	crm.KindPipedrive:  {"company_domain", "call_log"},
	crm.KindSalesforce: {"instance_url", "api_version", "objects", "extra_fields", "call_log"},
	crm.KindGeneric:    append(genericSettings(), "call_log"),
}

// genericSettings returns the JSON names of every generic.Config field.
func genericSettings() []string {
	var names []string
	for field := range reflect.TypeFor[generic.Config]().Fields() {
		if name, _, _ := strings.Cut(field.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// setSettings returns the JSON names of the settings s sets.
func setSettings(s Settings) []string {
	all := []struct {
		name string
		set  bool
	}{
		{"portal_id", s.PortalID != ""}, {"app_base_url", s.AppBaseURL != ""}, {"company_domain", s.CompanyDomain != ""},
		{"instance_url", s.InstanceURL != ""}, {"api_version", s.APIVersion != ""}, {"objects", len(s.Objects) > 0},
		{"extra_fields", len(s.ExtraFields) > 0}, {"call_log", s.CallLog != nil},
	}
	var names []string
	for _, setting := range all {
		if setting.set {
			names = append(names, setting.name)
		}
	}
	return append(names, setGenericSettings(s.Config)...)
}

// setGenericSettings returns the JSON names of the generic settings that
// are set, in the order generic.Config declares them.
func setGenericSettings(cfg *generic.Config) []string {
	if cfg == nil {
		return nil
	}
	var names []string
	value := reflect.ValueOf(*cfg)
	for i := range value.NumField() {
		name, _, _ := strings.Cut(value.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" && !value.Field(i).IsZero() {
			names = append(names, name)
		}
	}
	return names
}

func checkSettings(v *validation.Error, c Connection) {
	allowed := settingsOf[c.Kind]
	for _, name := range setSettings(c.Settings) {
		if !slices.Contains(allowed, name) {
			v.Add("settings."+name, "is not a setting of %s connections", c.Kind)
		}
	}

	s := c.Settings
	if s.PortalID != "" && !portalIDPattern.MatchString(s.PortalID) {
		v.Add("settings.portal_id", "must be the HubSpot account id, digits only, such as 12345678")
	}
	if s.AppBaseURL != "" {
		if reason := checkHTTPURL(s.AppBaseURL); reason != "" {
			v.Add("settings.app_base_url", "%s", reason)
		}
	}
	if s.CompanyDomain != "" && !companyDomainPattern.MatchString(s.CompanyDomain) {
		v.Add("settings.company_domain", "must be the subdomain of your Pipedrive address, \"acme\" for acme.pipedrive.com")
	}
	if len(s.Objects) > maxSettingsListSize || len(s.ExtraFields) > maxSettingsListSize {
		v.Add("settings", "objects and extra_fields may list at most %d names each", maxSettingsListSize)
	}
	checkCallLog(v, c.Kind, s.CallLog)
	switch c.Kind {
	case crm.KindSalesforce:
		checkSalesforceSettings(v, c)
	case crm.KindGeneric:
		if verr, ok := generic.ValidateConfig(s.genericConfig()).(*validation.Error); ok {
			v.Merge("", verr)
		}
	}
}

// checkSalesforceSettings checks the settings with the Salesforce
// connector's own rules, whose errors name settings fields. An OAuth
// connection gets its instance_url from the authorization, and base_url
// replaces it, so instance_url is required only for a token connection
// without base_url.
func checkSalesforceSettings(v *validation.Error, c Connection) {
	cfg := salesforce.Config{
		InstanceURL: c.Settings.InstanceURL,
		APIVersion:  c.Settings.APIVersion,
		Objects:     c.Settings.Objects,
		ExtraFields: c.Settings.ExtraFields,
	}
	if cfg.InstanceURL == "" {
		// A placeholder on the reserved .invalid domain, so that only the
		// other settings are checked; it is never contacted.
		cfg.InstanceURL = "https://instance.invalid"
		if c.Auth.Type == AuthToken && c.BaseURL == "" {
			v.Add("settings.instance_url", "is required with token authentication: the URL of your org, such as https://acme.my.salesforce.com")
		}
	}
	if err := salesforce.ValidateConfig(cfg); err != nil {
		if verr, ok := err.(*validation.Error); ok {
			v.Merge("", verr)
		}
	}
}
