package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// accountDetails is the body of GET /account-info/v3/details.
type accountDetails struct {
	PortalID int64  `json:"portalId"`
	TimeZone string `json:"timeZone"`
	UIDomain string `json:"uiDomain"`
}

// CallWritesUncheckedNote is the note Test adds because it leaves
// CanWriteCalls unknown.
const CallWritesUncheckedNote = "Writing calls to HubSpot was not checked; it needs the crm.objects.calls.write scope."

// Test checks the credentials with three reads and reports what they
// allow: the account details (portal id, web app domain and time zone,
// which Test keeps for deep links and daily rate limits), one contact, and
// one owner. A 401 from any of them, or a 403 on contacts, fails the test
// with crm.ErrUnauthorized. A 403 elsewhere becomes a note.
//
// Scopes stay empty. HubSpot returns a token's scopes only from endpoints
// that take the token itself as input, and the connector has no access to
// the token because its HTTP client adds it. Write access to calls is not
// probed, because only a write would tell.
func (c *Connector) Test(ctx context.Context) (crm.Capabilities, error) {
	caps := crm.Capabilities{Account: c.accountName()}

	var details accountDetails
	err := c.call(ctx, http.MethodGet, "/account-info/v3/details", nil, nil, &details)
	switch {
	case crmhttp.IsStatus(err, http.StatusForbidden):
		caps.Notes = append(caps.Notes, "The account details are not readable, so the portal id for record links must be configured.")
	case err != nil:
		return caps, fmt.Errorf("reading HubSpot account details: %w", err)
	default:
		c.applyAccount(details)
		caps.Account = c.accountName()
	}

	var contacts contactPage
	err = c.call(ctx, http.MethodGet, "/crm/v3/objects/contacts", url.Values{"limit": {"1"}}, nil, &contacts)
	if err != nil {
		return caps, fmt.Errorf("reading HubSpot contacts (the token needs the crm.objects.contacts.read scope): %w", err)
	}
	caps.CanSearchPhone = true
	caps.CanListChanges = true

	var owners struct{}
	err = c.call(ctx, http.MethodGet, "/crm/v3/owners", url.Values{"limit": {"1"}}, nil, &owners)
	switch {
	case crmhttp.IsStatus(err, http.StatusForbidden):
		caps.Notes = append(caps.Notes, "Owners are not readable; grant the crm.objects.owners.read scope to route calls by contact owner.")
	case err != nil:
		return caps, fmt.Errorf("reading HubSpot owners: %w", err)
	default:
		caps.CanReadOwners = true
	}

	caps.Notes = append(caps.Notes, CallWritesUncheckedNote)
	return caps, nil
}

// accountName names the portal for Capabilities.Account.
func (c *Connector) accountName() string {
	if id := c.PortalID(); id != "" {
		return "HubSpot portal " + id
	}
	return "HubSpot"
}

// applyAccount keeps the portal id, web app domain and time zone that the
// configuration did not set.
func (c *Connector) applyAccount(details accountDetails) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.portalID == "" && details.PortalID != 0 {
		c.portalID = strconv.FormatInt(details.PortalID, 10)
	}
	if !c.appBaseSet && details.UIDomain != "" {
		c.appBaseURL = "https://" + strings.TrimRight(details.UIDomain, "/")
	}
	if zone, err := time.LoadLocation(details.TimeZone); err == nil && details.TimeZone != "" {
		c.accountZone = zone
	}
}

// propertyDefinition is one element of GET /crm/v3/properties/contacts.
type propertyDefinition struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Type    string `json:"type"`
	Options []struct {
		Label string `json:"label"`
		Value string `json:"value"`
	} `json:"options"`
}

// Fields lists the contact properties, custom ones included. Options are
// the option labels of enumeration properties.
func (c *Connector) Fields(ctx context.Context) ([]crm.Field, error) {
	var body struct {
		Results []propertyDefinition `json:"results"`
	}
	err := c.call(ctx, http.MethodGet, "/crm/v3/properties/contacts", nil, nil, &body)
	if err != nil {
		return nil, fmt.Errorf("listing HubSpot contact properties: %w", err)
	}

	fields := make([]crm.Field, 0, len(body.Results))
	for _, definition := range body.Results {
		field := crm.Field{Name: definition.Name, Label: definition.Label, Type: definition.Type, Object: "contact"}
		for _, option := range definition.Options {
			field.Options = append(field.Options, option.Label)
		}
		fields = append(fields, field)
	}
	return fields, nil
}

// Sample returns the first contact of the account, with its owner.
func (c *Connector) Sample(ctx context.Context) (crm.Record, error) {
	query := url.Values{
		"limit":      {"1"},
		"properties": {strings.Join(c.properties, ",")},
	}
	var page contactPage
	if err := c.call(ctx, http.MethodGet, "/crm/v3/objects/contacts", query, nil, &page); err != nil {
		return crm.Record{}, fmt.Errorf("reading a sample HubSpot contact: %w", err)
	}
	if len(page.Results) == 0 {
		return crm.Record{}, fmt.Errorf("reading a sample HubSpot contact: %w", crm.ErrNoSample)
	}

	records := []crm.Record{c.record(page.Results[0])}
	_ = c.resolveOwners(ctx, records, false)
	return records[0], nil
}
