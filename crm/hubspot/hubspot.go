// Package hubspot is the crm.Connector for HubSpot contacts, built on the
// CRM v3 objects, search, owners and properties APIs.
//
// Rate limits: HubSpot allows 100 requests per 10 seconds per account for
// apps on Free and Starter accounts (developers.hubspot.com/apisbytier).
// Private apps on Professional and Enterprise accounts get 190 requests per
// 10 seconds (developers.hubspot.com changelog "Increasing our API
// limits"). The CRM search endpoints have a separate limit of 4 requests
// per second per token (changelog "CRM Search API Rate Limit Increase").
// The connector does not throttle itself, because the lookup layer does.
// It turns a 429 response into *crm.RateLimitedError and takes the wait
// from Retry-After or, without that header, from the policy named in
// HubSpot's error body.
package hubspot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// Defaults for Config.
const (
	DefaultBaseURL    = "https://api.hubapi.com"
	DefaultAppBaseURL = "https://app.hubspot.com"
	// DefaultOwnerTTL is how long an owner's name and email are cached.
	DefaultOwnerTTL = 10 * time.Minute
)

// contactProperties are requested on every read because the default
// mapping and the record's owner and timestamp need them.
var contactProperties = []string{
	"firstname", "lastname", "email", "phone", "mobilephone", "company",
	"hubspot_owner_id", "lastmodifieddate",
}

// Config configures a Connector.
type Config struct {
	// BaseURL is the API root. Empty means DefaultBaseURL. A trailing
	// /crm/v3/objects, /crm/v3 or /crm is removed, because the connector
	// adds the API paths itself.
	BaseURL string
	// HTTPClient sends every request and adds the authentication (private
	// app token or OAuth 2.0 access token). Nil means http.DefaultClient,
	// which sends no credentials.
	HTTPClient *http.Client
	// PortalID is the HubSpot account id used in deep links. When empty,
	// Test reads it from the account details.
	PortalID string
	// AppBaseURL is the web app root used in deep links. Empty means
	// DefaultAppBaseURL, or the account's own UI domain once Test has run.
	AppBaseURL string
	// Properties are contact properties to read besides the built-in ones,
	// usually the sources of a field mapping.
	Properties []string
	// OwnerTTL is how long owners are cached. Zero means DefaultOwnerTTL.
	OwnerTTL time.Duration
}

// Connector reads HubSpot contacts. It is safe for concurrent use.
type Connector struct {
	baseURL    string
	client     *http.Client
	properties []string
	owners     *crmhttp.Cache[owner]
	now        func() time.Time

	mu          sync.RWMutex
	portalID    string
	appBaseURL  string
	appBaseSet  bool
	accountZone *time.Location
}

var _ crm.Connector = (*Connector)(nil)

// New returns a connector for cfg.
func New(cfg Config) *Connector {
	c := &Connector{
		baseURL:     crmhttp.TrimAPIPath(cfg.BaseURL, "/crm/v3/objects", "/crm/v3", "/crm"),
		client:      cfg.HTTPClient,
		properties:  mergeProperties(contactProperties, cfg.Properties),
		now:         time.Now,
		portalID:    cfg.PortalID,
		appBaseURL:  strings.TrimRight(cfg.AppBaseURL, "/"),
		appBaseSet:  cfg.AppBaseURL != "",
		accountZone: time.UTC,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.appBaseURL == "" {
		c.appBaseURL = DefaultAppBaseURL
	}
	ttl := cfg.OwnerTTL
	if ttl <= 0 {
		ttl = DefaultOwnerTTL
	}
	c.owners = crmhttp.NewCache[owner](ttl, nil)
	return c
}

// Kind returns crm.KindHubSpot.
func (c *Connector) Kind() crm.Kind { return crm.KindHubSpot }

// PortalID returns the portal id used in deep links, which Test may have
// filled in. Callers persist it so that later connectors skip the lookup.
func (c *Connector) PortalID() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.portalID
}

// AppBaseURL returns the web app root used in deep links.
func (c *Connector) AppBaseURL() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.appBaseURL
}

// RecordURL returns the contact's page in HubSpot's web app, in the form
// {app}/contacts/{portalId}/record/0-1/{id} where 0-1 is HubSpot's object
// type id for contacts. It returns "" while the portal id is unknown.
func (c *Connector) RecordURL(r crm.Record) string {
	c.mu.RLock()
	defer c.mu.RUnlock()

	if c.portalID == "" || r.ID == "" {
		return ""
	}
	return c.appBaseURL + "/contacts/" + url.PathEscape(c.portalID) + "/record/0-1/" + url.PathEscape(r.ID)
}

// call sends one JSON request to path and decodes the response into out.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	endpoint, err := crmhttp.Endpoint(c.baseURL, path, query)
	if err != nil {
		return err
	}
	req, err := crmhttp.NewJSONRequest(ctx, method, endpoint, body)
	if err != nil {
		return err
	}

	err = crmhttp.Do(ctx, c.client, req, out)
	c.refineRateLimit(err)
	return err
}

// mergeProperties returns base followed by the extra names it lacks.
func mergeProperties(base, extra []string) []string {
	merged := append([]string(nil), base...)
	seen := make(map[string]bool, len(base)+len(extra))
	for _, name := range base {
		seen[name] = true
	}
	for _, name := range extra {
		name = strings.TrimSpace(name)
		if name != "" && !seen[name] {
			seen[name] = true
			merged = append(merged, name)
		}
	}
	return merged
}
