package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// DefaultAPIVersion is the REST API version used when Config.APIVersion is
// empty: Spring '25. Every org offers it, and it has every resource this
// package uses.
const DefaultAPIVersion = "63.0"

// requestLimitBackoff is the wait reported for REQUEST_LIMIT_EXCEEDED.
// Salesforce counts API requests over a rolling 24 hours and sends no
// Retry-After, so this is our own choice: long enough not to hammer the org,
// short enough to notice when requests are allowed again.
const requestLimitBackoff = 5 * time.Minute

// DefaultObjects are the objects read when Config.Objects is empty.
var DefaultObjects = []string{"Contact", "Lead"}

// Config configures a Connector. The JSON names are those of a CRM
// connection's settings.
type Config struct {
	// InstanceURL is the base URL of the org, such as
	// https://acme.my.salesforce.com: the instance_url of the OAuth token
	// response. A trailing /services/data, with or without a version such
	// as /v63.0, is removed, because the connector adds the REST path.
	InstanceURL string `json:"instance_url"`
	// HTTPClient sends every request and adds the authentication.
	// http.DefaultClient when nil.
	HTTPClient *http.Client `json:"-"`
	// APIVersion is the REST API version, "63.0" or "v63.0". Empty means
	// DefaultAPIVersion.
	APIVersion string `json:"api_version,omitempty"`
	// Objects are the objects read: "Contact", "Lead" and "Account" are
	// supported. DefaultObjects when empty.
	Objects []string `json:"objects,omitempty"`
	// ExtraFields are more field API names read from every object, such as
	// "Rating__c" or "Account.Industry". Each must exist on every object.
	ExtraFields []string `json:"extra_fields,omitempty"`
}

// Connector reads one Salesforce org. It implements crm.Connector.
type Connector struct {
	instanceURL string
	client      *http.Client
	version     string
	objects     []string
	extraFields []string
	// configErr is the ValidateConfig result, returned by every method.
	configErr error
	now       func() time.Time
}

var _ crm.Connector = (*Connector)(nil)

// New returns a connector for cfg. An invalid cfg (see ValidateConfig)
// makes every method return the validation error.
func New(cfg Config) *Connector {
	c := &Connector{
		instanceURL: instanceRoot(cfg.InstanceURL),
		client:      cfg.HTTPClient,
		version:     strings.TrimPrefix(cfg.APIVersion, "v"),
		objects:     cfg.Objects,
		extraFields: cfg.ExtraFields,
		configErr:   ValidateConfig(cfg),
		now:         time.Now,
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if len(c.objects) == 0 {
		c.objects = DefaultObjects
	}
	return c
}

// restPathPattern is the REST API path that users copy along with the
// instance URL, with or without a version.
var restPathPattern = regexp.MustCompile(`(?i)/services/data(/v[0-9]{2,3}\.0)?/*$`)

// instanceRoot returns instanceURL without trailing slashes and without a
// trailing REST API path, so that
// https://acme.my.salesforce.com/services/data/v63.0 does not send
// /services/data/v63.0/services/data/v63.0/... requests.
func instanceRoot(instanceURL string) string {
	root := strings.TrimRight(strings.TrimSpace(instanceURL), "/")
	return strings.TrimRight(restPathPattern.ReplaceAllString(root, ""), "/")
}

var (
	versionPattern = regexp.MustCompile(`^v?[0-9]{2,3}\.0$`)
	// fieldPattern is a field API name, optionally behind relationship
	// names. It keeps ExtraFields from changing the meaning of a query.
	fieldPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*){0,4}$`)
)

// ValidateConfig checks cfg and returns a *validation.Error whose field
// names are those of a CRM connection's settings, such as
// settings.extra_fields[1].
func ValidateConfig(cfg Config) error {
	var v validation.Error

	parsed, err := url.Parse(cfg.InstanceURL)
	switch {
	case strings.TrimSpace(cfg.InstanceURL) == "":
		v.Add("settings.instance_url", "is required: the instance_url of the OAuth token response, such as https://acme.my.salesforce.com")
	case err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "":
		v.Add("settings.instance_url", "must be an absolute http or https URL, such as https://acme.my.salesforce.com")
	case parsed.RawQuery != "" || parsed.Fragment != "":
		v.Add("settings.instance_url", "must not have a query or fragment")
	}

	if cfg.APIVersion != "" && !versionPattern.MatchString(cfg.APIVersion) {
		v.Add("settings.api_version", "must be a REST API version such as %q, got %q", DefaultAPIVersion, cfg.APIVersion)
	}

	for i, object := range cfg.Objects {
		if _, ok := objectFields[object]; !ok {
			v.Add(fmt.Sprintf("settings.objects[%d]", i), "must be Contact, Lead or Account, got %q", object)
		}
	}

	for i, field := range cfg.ExtraFields {
		if !fieldPattern.MatchString(field) {
			v.Add(fmt.Sprintf("settings.extra_fields[%d]", i), "must be a field API name such as Rating__c or Account.Industry, got %q", field)
		}
	}
	return v.Err()
}

// Kind returns crm.KindSalesforce.
func (c *Connector) Kind() crm.Kind { return crm.KindSalesforce }

// RecordURL returns the Lightning Experience link to r.
func (c *Connector) RecordURL(r crm.Record) string {
	return fmt.Sprintf("%s/lightning/r/%s/%s/view", c.instanceURL, url.PathEscape(r.Object), url.PathEscape(r.ID))
}

// dataPath returns the path of a versioned REST resource, such as
// /services/data/v63.0/query.
func (c *Connector) dataPath(resource string) string {
	return "/services/data/v" + c.version + "/" + strings.TrimLeft(resource, "/")
}

// get sends a GET to path below the instance URL and decodes the JSON
// response into out.
func (c *Connector) get(ctx context.Context, path string, query url.Values, out any) error {
	if c.configErr != nil {
		return c.configErr
	}

	endpoint, err := crmhttp.Endpoint(c.instanceURL, path, query)
	if err != nil {
		return err
	}
	req, err := crmhttp.NewJSONRequest(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	return classify(crmhttp.Do(ctx, c.client, req, out))
}

// apiError is one entry of a Salesforce error body,
// [{"message": "…", "errorCode": "…"}].
type apiError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// errorCode returns the errorCode of the first entry of a Salesforce error
// body, or "" when err carries none.
func errorCode(err error) string {
	var statusErr *crmhttp.StatusError
	if !errors.As(err, &statusErr) {
		return ""
	}
	var entries []apiError
	if json.Unmarshal(statusErr.Body, &entries) != nil || len(entries) == 0 {
		return ""
	}
	return entries[0].ErrorCode
}

// classify adds the Salesforce errorCode to err and turns
// REQUEST_LIMIT_EXCEEDED, which Salesforce sends as a 403, into a
// *crm.RateLimitedError instead of crm.ErrUnauthorized.
func classify(err error) error {
	if err == nil {
		return nil
	}

	code := errorCode(err)
	if code == "REQUEST_LIMIT_EXCEEDED" {
		var statusErr *crmhttp.StatusError
		errors.As(err, &statusErr)
		wait := crmhttp.RetryAfter(statusErr.Header, time.Now())
		if wait == 0 {
			wait = requestLimitBackoff
		}
		return fmt.Errorf("salesforce REQUEST_LIMIT_EXCEEDED: %s: %w", statusErr.Message, &crm.RateLimitedError{RetryAfter: wait})
	}
	if code != "" {
		return fmt.Errorf("salesforce %s: %w", code, err)
	}
	return fmt.Errorf("salesforce: %w", err)
}
