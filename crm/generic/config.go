package generic

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// Defaults of Config.
const (
	DefaultObject     = "contact"
	DefaultTestNumber = "+12025550100" // in the 555-0100 to 555-0199 range reserved for fiction
)

// Since formats of Config.SinceFormat.
const (
	SinceRFC3339 = "rfc3339" // 2024-05-10T12:00:00Z, the default
	SinceUnix    = "unix"    // seconds since 1970-01-01 UTC
	SinceUnixMS  = "unix_ms" // milliseconds since 1970-01-01 UTC
)

// Config describes a CRM's REST API to the generic connector. Paths are
// GJSON paths (github.com/tidwall/gjson), such as "data.items" or
// "emails.0.address". Templates contain placeholders such as {e164}, which
// the Placeholder constants list. The JSON names are those of a CRM
// connection's settings.
type Config struct {
	// HTTPClient sends every request and adds the authentication.
	// http.DefaultClient when nil.
	HTTPClient *http.Client `json:"-"`

	// LookupURLTemplate is the URL that finds records by phone number, such
	// as https://crm.example.com/api/contacts?phone={e164}. Required.
	LookupURLTemplate string `json:"lookup_url_template"`
	// Method of the lookup: GET (the default) or POST.
	Method string `json:"method,omitempty"`
	// BodyTemplate is the JSON body of a POST lookup, such as
	// {"phone": "{e164}"}.
	BodyTemplate string `json:"body_template,omitempty"`
	// ResultsPath locates the array of records in a response, where an
	// object is one record. Empty means the body itself is the array or the
	// record.
	ResultsPath string `json:"results_path,omitempty"`

	// IDPath locates the record id. Required.
	IDPath string `json:"id_path"`
	// FirstNamePath, LastNamePath and DisplayNamePath locate the names. At
	// least one is required.
	FirstNamePath   string   `json:"first_name_path,omitempty"`
	LastNamePath    string   `json:"last_name_path,omitempty"`
	DisplayNamePath string   `json:"display_name_path,omitempty"`
	PhonePaths      []string `json:"phone_paths,omitempty"`
	EmailPaths      []string `json:"email_paths,omitempty"`
	CompanyPath     string   `json:"company_path,omitempty"`
	// OwnerPath locates the owner's name, OwnerEmailPath and OwnerIDPath
	// the owner's email and id.
	OwnerPath      string `json:"owner_path,omitempty"`
	OwnerEmailPath string `json:"owner_email_path,omitempty"`
	OwnerIDPath    string `json:"owner_id_path,omitempty"`
	// UpdatedAtPath locates the time of the last change: an RFC 3339
	// string, or a number of seconds or (above 10^11) milliseconds since
	// 1970-01-01 UTC.
	UpdatedAtPath string `json:"updated_at_path,omitempty"`
	// ArchivedPath locates a boolean that is true for a deleted record.
	ArchivedPath string `json:"archived_path,omitempty"`
	// Object names the record type in crm.Record.Object. Empty means
	// DefaultObject.
	Object string `json:"object,omitempty"`

	// RecordURLTemplate is the deep link to a record, such as
	// https://crm.example.com/contacts/{id}.
	RecordURLTemplate string `json:"record_url_template,omitempty"`

	// ListURLTemplate is the URL of the records changed since {since}, one
	// page per request, such as
	// https://crm.example.com/api/contacts?updated_since={since}&page={cursor}.
	// Empty: sync is not configured.
	ListURLTemplate string `json:"list_url_template,omitempty"`
	// ListResultsPath locates the records of a list response. Empty means
	// ResultsPath.
	ListResultsPath string `json:"list_results_path,omitempty"`
	// NextCursorPath locates the cursor of the next page in a list
	// response, and a missing or empty value ends the listing. A cursor that is an
	// absolute URL on the host of ListURLTemplate is requested as it is.
	NextCursorPath string `json:"next_cursor_path,omitempty"`
	// SinceFormat is the format of {since}: SinceRFC3339 (the default),
	// SinceUnix or SinceUnixMS.
	SinceFormat string `json:"since_format,omitempty"`

	// TestNumber is the E.164 number the connection test looks up. Empty
	// means DefaultTestNumber.
	TestNumber string `json:"test_number,omitempty"`
}

// sampleValues fill the phone placeholders when a template is validated.
var sampleValues = map[string]string{
	PlaceholderE164: "+14155550100", PlaceholderDigits: "14155550100",
	PlaceholderNational: "(415) 555-0100", PlaceholderNationalDigits: "4155550100",
	PlaceholderID: "1", PlaceholderSince: "2024-05-10T12:00:00Z", PlaceholderCursor: "2",
}

// ValidateConfig checks cfg and returns a *validation.Error whose field
// names are those of a CRM connection's settings, such as
// settings.phone_paths[1].
func ValidateConfig(cfg Config) error {
	var v validation.Error
	validateLookup(&v, cfg)
	validatePaths(&v, cfg)

	if cfg.RecordURLTemplate != "" {
		_, _ = validateURLTemplate(&v, "settings.record_url_template", cfg.RecordURLTemplate, []string{PlaceholderID}, PlaceholderID)
	}
	if cfg.ListURLTemplate != "" {
		names, _ := validateURLTemplate(&v, "settings.list_url_template", cfg.ListURLTemplate, []string{PlaceholderSince, PlaceholderCursor}, PlaceholderSince)
		if slices.Contains(names, PlaceholderCursor) && cfg.NextCursorPath == "" {
			v.Add("settings.next_cursor_path", "is required when settings.list_url_template uses {cursor}")
		}
	}
	if !slices.Contains([]string{"", SinceRFC3339, SinceUnix, SinceUnixMS}, cfg.SinceFormat) {
		v.Add("settings.since_format", "must be %s, %s or %s, got %q", SinceRFC3339, SinceUnix, SinceUnixMS, cfg.SinceFormat)
	}
	if cfg.TestNumber != "" && !isE164(cfg.TestNumber) {
		v.Add("settings.test_number", "must be a phone number in E.164 form such as %s, got %q", DefaultTestNumber, cfg.TestNumber)
	}
	return v.Err()
}

// validateLookup checks the lookup request: method, URL and body template.
func validateLookup(v *validation.Error, cfg Config) {
	method := strings.ToUpper(cfg.Method)
	if method != "" && method != http.MethodGet && method != http.MethodPost {
		v.Add("settings.method", "must be GET or POST, got %q", cfg.Method)
	}

	if cfg.LookupURLTemplate == "" {
		v.Add("settings.lookup_url_template", "is required, such as https://crm.example.com/api/contacts?phone={e164}")
		return
	}
	names, ok := validateURLTemplate(v, "settings.lookup_url_template", cfg.LookupURLTemplate, phonePlaceholders, "")
	if !ok {
		return
	}

	if method != http.MethodPost {
		if cfg.BodyTemplate != "" {
			v.Add("settings.body_template", "is only sent with settings.method POST")
		}
		if len(names) == 0 {
			v.Add("settings.lookup_url_template", "must contain a phone placeholder: {%s}", strings.Join(phonePlaceholders, "}, {"))
		}
		return
	}

	bodyNames, err := placeholders(cfg.BodyTemplate, phonePlaceholders)
	switch {
	case err != nil:
		v.Add("settings.body_template", "%s", err.Error())
	case cfg.BodyTemplate != "" && !json.Valid([]byte(renderJSON(cfg.BodyTemplate, sampleValues))):
		v.Add("settings.body_template", "must be JSON once its placeholders are filled, such as {\"phone\": \"{e164}\"}")
	case len(names)+len(bodyNames) == 0:
		v.Add("settings.body_template", "must contain a phone placeholder, or settings.lookup_url_template must")
	}
}

// validateURLTemplate checks that template only uses allowed placeholders,
// uses required unless it is empty, and is an absolute http or https URL
// once filled. It returns the placeholders found and whether they are all
// allowed.
func validateURLTemplate(v *validation.Error, field, template string, allowed []string, required string) ([]string, bool) {
	names, err := placeholders(template, allowed)
	if err != nil {
		v.Add(field, "%s", err.Error())
		return nil, false
	}
	if required != "" && !slices.Contains(names, required) {
		v.Add(field, "must contain {%s}", required)
	}

	parsed, err := url.Parse(renderURL(template, sampleValues))
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		v.Add(field, "must be an absolute http or https URL")
	}
	return names, true
}

// validatePaths checks that the required paths are set and every path is
// well formed.
func validatePaths(v *validation.Error, cfg Config) {
	if cfg.IDPath == "" {
		v.Add("settings.id_path", "is required: the path of the record id, such as id")
	}
	if cfg.FirstNamePath == "" && cfg.LastNamePath == "" && cfg.DisplayNamePath == "" {
		v.Add("settings.display_name_path", "is required unless settings.first_name_path or settings.last_name_path is set")
	}

	single := map[string]string{
		"settings.results_path": cfg.ResultsPath, "settings.id_path": cfg.IDPath,
		"settings.first_name_path": cfg.FirstNamePath, "settings.last_name_path": cfg.LastNamePath,
		"settings.display_name_path": cfg.DisplayNamePath, "settings.company_path": cfg.CompanyPath,
		"settings.owner_path": cfg.OwnerPath, "settings.owner_email_path": cfg.OwnerEmailPath,
		"settings.owner_id_path": cfg.OwnerIDPath, "settings.updated_at_path": cfg.UpdatedAtPath,
		"settings.archived_path": cfg.ArchivedPath, "settings.list_results_path": cfg.ListResultsPath,
		"settings.next_cursor_path": cfg.NextCursorPath,
	}
	for _, field := range slices.Sorted(maps.Keys(single)) {
		if path := single[field]; path != "" && !validPath(path) {
			v.Add(field, "is not a valid path: %q", path)
		}
	}
	for i, path := range cfg.PhonePaths {
		if !validPath(path) {
			v.Add(fmt.Sprintf("settings.phone_paths[%d]", i), "is not a valid path: %q", path)
		}
	}
	for i, path := range cfg.EmailPaths {
		if !validPath(path) {
			v.Add(fmt.Sprintf("settings.email_paths[%d]", i), "is not a valid path: %q", path)
		}
	}
}

// validPath rejects empty paths, surrounding spaces, and a leading or
// trailing dot, which GJSON would read as an empty key.
func validPath(path string) bool {
	return path != "" && strings.TrimSpace(path) == path &&
		!strings.HasPrefix(path, ".") && (!strings.HasSuffix(path, ".") || strings.HasSuffix(path, `\.`))
}

func isE164(number string) bool {
	parsed, err := phonenumbers.Parse(number, "")
	return err == nil && phonenumbers.Format(parsed, phonenumbers.E164) == number
}
