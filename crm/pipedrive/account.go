package pipedrive

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// fieldsPageSize is the page size of the person fields list, its maximum.
const fieldsPageSize = 500

// currentUser is the body of GET /api/v1/users/me.
type currentUser struct {
	Data struct {
		Name          string `json:"name"`
		CompanyName   string `json:"company_name"`
		CompanyDomain string `json:"company_domain"`
	} `json:"data"`
}

// CallWritesUncheckedNote is the note Test adds because it leaves
// CanWriteCalls unknown.
const CallWritesUncheckedNote = "Writing call logs to Pipedrive was not checked; OAuth apps need the phone-integration scope."

// Test checks the credentials and reports what they allow. It reads the
// current user (which names the company and its domain, kept for deep
// links), one person, a phone search, recents and the user list. A 401
// from any of them, or a 403 on persons, fails the test with
// crm.ErrUnauthorized. A 403 elsewhere becomes a note naming the OAuth
// scope to grant. API tokens carry all of their user's rights, so notes
// appear only for OAuth apps. Pipedrive reports no scopes here, and write
// access to call logs is not probed, because only a write would tell.
func (c *Connector) Test(ctx context.Context) (crm.Capabilities, error) {
	var me currentUser
	if err := c.callV1(ctx, "/users/me", nil, &me); err != nil {
		return crm.Capabilities{}, fmt.Errorf("reading the current Pipedrive user: %w", err)
	}
	c.applyCompany(me.Data.CompanyDomain)
	caps := crm.Capabilities{Account: me.Data.CompanyName}
	if domain := c.CompanyDomain(); domain != "" {
		caps.Account = strings.TrimSpace(caps.Account + " (" + domain + ".pipedrive.com)")
	}

	var persons listResponse
	if err := c.callV2(ctx, "/persons", url.Values{"limit": {"1"}}, &persons); err != nil {
		return caps, fmt.Errorf("reading Pipedrive persons (OAuth apps need the contacts:read scope): %w", err)
	}

	probes := []struct {
		path    string
		v2      bool
		query   url.Values
		allowed *bool
		note    string
	}{
		{
			path: "/persons/search", v2: true,
			query:   url.Values{"term": {"00"}, "fields": {"phone"}, "exact_match": {"true"}, "limit": {"1"}},
			allowed: &caps.CanSearchPhone,
			note:    "Persons cannot be searched; grant the search:read scope for real-time lookups.",
		},
		{
			path:    "/recents",
			query:   url.Values{"since_timestamp": {c.now().Add(-time.Hour).UTC().Format(recentsTimeLayout)}, "items": {"person"}, "limit": {"1"}},
			allowed: &caps.CanListChanges,
			note:    "Recent changes are not readable; grant the recents:read scope so the sync sees deleted persons.",
		},
		{
			path:    "/users",
			allowed: &caps.CanReadOwners,
			note:    "Users are not readable; grant the users:read scope to route calls by person owner.",
		},
	}
	for _, probe := range probes {
		var ignored struct{}
		call := c.callV1
		if probe.v2 {
			call = c.callV2
		}
		err := call(ctx, probe.path, probe.query, &ignored)
		switch {
		case crmhttp.IsStatus(err, http.StatusForbidden):
			caps.Notes = append(caps.Notes, probe.note)
		case err != nil:
			return caps, fmt.Errorf("checking Pipedrive %s: %w", probe.path, err)
		default:
			*probe.allowed = true
		}
	}

	caps.Notes = append(caps.Notes, CallWritesUncheckedNote)
	return caps, nil
}

// applyCompany keeps the company domain unless the configuration set one.
func (c *Connector) applyCompany(domain string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.companyDomain == "" {
		c.companyDomain = domain
	}
}

// fieldDefinition is one element of GET /api/v2/personFields.
type fieldDefinition struct {
	FieldName string `json:"field_name"`
	FieldCode string `json:"field_code"`
	FieldType string `json:"field_type"`
	Options   []struct {
		Label string `json:"label"`
	} `json:"options"`
}

// connectorFields are record properties that are not person fields of
// their own: org_name is added by the connector, and phones and emails
// are the v2 keys of the phone and email lists. They are listed unless
// Pipedrive already returns a field with that code.
var connectorFields = []crm.Field{
	{Name: "phones", Label: "Phone", Type: "phone", Object: "person"},
	{Name: "emails", Label: "Email", Type: "varchar", Object: "person"},
	{Name: "org_name", Label: "Organization name", Type: "varchar", Object: "person"},
}

// Fields lists the person fields, custom ones by their 40-character field
// code, followed by connectorFields. Options are the option labels of
// single and multiple option fields.
func (c *Connector) Fields(ctx context.Context) ([]crm.Field, error) {
	var fields []crm.Field
	seen := make(map[string]bool)
	cursor := ""
	for {
		query := url.Values{"limit": {fmt.Sprint(fieldsPageSize)}}
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		var response struct {
			Data           []fieldDefinition `json:"data"`
			AdditionalData struct {
				NextCursor string `json:"next_cursor"`
			} `json:"additional_data"`
		}
		if err := c.callV2(ctx, "/personFields", query, &response); err != nil {
			return nil, fmt.Errorf("listing Pipedrive person fields: %w", err)
		}

		for _, definition := range response.Data {
			field := crm.Field{Name: definition.FieldCode, Label: definition.FieldName, Type: definition.FieldType, Object: "person"}
			for _, option := range definition.Options {
				field.Options = append(field.Options, option.Label)
			}
			seen[field.Name] = true
			fields = append(fields, field)
		}
		if cursor = response.AdditionalData.NextCursor; cursor == "" {
			break
		}
	}

	for _, field := range connectorFields {
		if !seen[field.Name] {
			fields = append(fields, field)
		}
	}
	return fields, nil
}

// Sample returns the first person of the account, with its owner and
// organization name.
func (c *Connector) Sample(ctx context.Context) (crm.Record, error) {
	var response listResponse
	if err := c.callV2(ctx, "/persons", url.Values{"limit": {"1"}}, &response); err != nil {
		return crm.Record{}, fmt.Errorf("reading a sample Pipedrive person: %w", err)
	}
	records, err := c.decodePersons(response.Data)
	if err != nil {
		return crm.Record{}, err
	}
	if len(records) == 0 {
		return crm.Record{}, fmt.Errorf("reading a sample Pipedrive person: %w", crm.ErrNoSample)
	}

	_ = c.enrich(ctx, records[:1], false)
	return records[0], nil
}
