// Package pipedrive is the crm.Connector for Pipedrive persons. It uses
// API v2 where Pipedrive offers it (persons, persons search, person
// fields, organizations) and v1 where it does not (the current user, the
// user list and recents, which reports deleted persons).
//
// Rate limits: Pipedrive charges every request against a daily token
// budget shared by the whole company account, each endpoint costing a
// documented number of tokens, and also limits bursts per two-second
// window (pipedrive.readme.io, "Rate limiting"). The search endpoints have
// their own limit of 10 requests per 2 seconds per token (developers
// changelog "Announcing Search API rate limit", 2022). The connector does
// not throttle itself, because the lookup layer does. A 429 response becomes
// *crm.RateLimitedError with the wait taken from Retry-After or, without
// that header, from x-ratelimit-reset.
package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// Defaults for Config.
const (
	DefaultBaseURL    = "https://api.pipedrive.com"
	DefaultAPIVersion = "v2"
	// DefaultOwnerTTL is how long users and organization names are cached.
	DefaultOwnerTTL = 10 * time.Minute
)

// Config configures a Connector.
type Config struct {
	// BaseURL is the API root. Empty means DefaultBaseURL. A company
	// domain root such as https://acme.pipedrive.com works too. A trailing
	// /api/v1, /api/v2, /v1, /v2 or /api is removed.
	BaseURL string
	// HTTPClient sends every request and adds the authentication: the API
	// token in the x-api-token header or an OAuth 2.0 bearer token. Nil
	// means http.DefaultClient, which sends no credentials.
	HTTPClient *http.Client
	// CompanyDomain is the company's subdomain, "acme" for
	// https://acme.pipedrive.com, used in deep links. When empty, Test
	// reads it from the current user.
	CompanyDomain string
	// APIVersion is the version of the persons, search and person fields
	// endpoints. Empty means "v2", the only version implemented. Any other
	// value makes every call to those endpoints fail with an error naming it.
	APIVersion string
	// OwnerTTL is how long users and organization names are cached. Zero
	// means DefaultOwnerTTL.
	OwnerTTL time.Duration
}

// Connector reads Pipedrive persons. It is safe for concurrent use.
type Connector struct {
	baseURL    string
	client     *http.Client
	apiVersion string
	users      *crmhttp.Cache[map[string]owner]
	orgs       *crmhttp.Cache[string]
	now        func() time.Time

	mu            sync.RWMutex
	companyDomain string
}

var _ crm.Connector = (*Connector)(nil)

// New returns a connector for cfg.
func New(cfg Config) *Connector {
	c := &Connector{
		baseURL:       crmhttp.TrimAPIPath(cfg.BaseURL, apiPathSuffixes...),
		client:        cfg.HTTPClient,
		apiVersion:    cfg.APIVersion,
		now:           time.Now,
		companyDomain: cfg.CompanyDomain,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	ttl := cfg.OwnerTTL
	if ttl <= 0 {
		ttl = DefaultOwnerTTL
	}
	c.users = crmhttp.NewCache[map[string]owner](ttl, nil)
	c.orgs = crmhttp.NewCache[string](ttl, nil)
	return c
}

// apiPathSuffixes are the API paths that users paste along with the host,
// such as https://api.pipedrive.com/v1, the root that Pipedrive's API v1
// reference gives. New removes one from the end of Config.BaseURL.
var apiPathSuffixes = []string{"/api/v1", "/api/v2", "/v1", "/v2", "/api"}

// Kind returns crm.KindPipedrive.
func (c *Connector) Kind() crm.Kind { return crm.KindPipedrive }

// CompanyDomain returns the subdomain used in deep links, which Test may
// have filled in. Callers persist it so that later connectors skip the
// lookup.
func (c *Connector) CompanyDomain() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.companyDomain
}

// RecordURL returns https://{company}.pipedrive.com/person/{id}, or ""
// while the company domain is unknown.
func (c *Connector) RecordURL(r crm.Record) string {
	domain := c.CompanyDomain()
	if domain == "" || r.ID == "" {
		return ""
	}
	return "https://" + url.PathEscape(domain) + ".pipedrive.com/person/" + url.PathEscape(r.ID)
}

// callV2 sends a GET to an API v2 path such as "/persons".
func (c *Connector) callV2(ctx context.Context, path string, query url.Values, out any) error {
	if c.apiVersion != DefaultAPIVersion {
		return fmt.Errorf("pipedrive API version %q is not supported; use %q", c.apiVersion, DefaultAPIVersion)
	}
	return c.get(ctx, "/api/v2"+path, query, out)
}

// callV1 sends a GET to an API v1 path such as "/users/me".
func (c *Connector) callV1(ctx context.Context, path string, query url.Values, out any) error {
	return c.get(ctx, "/api/v1"+path, query, out)
}

func (c *Connector) get(ctx context.Context, path string, query url.Values, out any) error {
	endpoint, err := crmhttp.Endpoint(c.baseURL, path, query)
	if err != nil {
		return err
	}
	req, err := crmhttp.NewJSONRequest(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}

	err = crmhttp.Do(ctx, c.client, req, out)
	refineRateLimit(err)
	return err
}

// refineRateLimit sets the wait of a 429 response without Retry-After from
// x-ratelimit-reset, the seconds until Pipedrive's current window ends.
func refineRateLimit(err error) {
	var statusErr *crmhttp.StatusError
	var limited *crm.RateLimitedError
	if !errors.As(err, &statusErr) || !errors.As(err, &limited) || limited.RetryAfter > 0 {
		return
	}

	seconds, parseErr := strconv.Atoi(strings.TrimSpace(statusErr.Header.Get("X-Ratelimit-Reset")))
	if parseErr == nil && seconds > 0 {
		limited.RetryAfter = time.Duration(seconds) * time.Second
	}
}
