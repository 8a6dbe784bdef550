package generic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

// Test looks up TestNumber and, when sync is configured, lists the changes
// of the last day. Capabilities.Account is the host of the lookup URL. A
// failed lookup returns an error, but a failed listing only adds a note.
func (c *Connector) Test(ctx context.Context) (crm.Capabilities, error) {
	if c.configErr != nil {
		return crm.Capabilities{}, c.configErr
	}

	records, err := c.SearchByPhone(ctx, []string{c.cfg.TestNumber})
	if err != nil {
		return crm.Capabilities{}, fmt.Errorf("looking up the test number: %w", err)
	}

	caps := crm.Capabilities{Account: c.account(), CanSearchPhone: true}
	caps.Notes = append(caps.Notes, fmt.Sprintf("The lookup of %s found %d records.", c.cfg.TestNumber, len(records)))

	switch {
	case c.cfg.ListURLTemplate == "":
		caps.Notes = append(caps.Notes, "Sync is not configured: set settings.list_url_template to sync contacts into a phonebook.")
	default:
		_, err := c.ListChanged(ctx, time.Now().Add(-24*time.Hour), "")
		if errors.Is(err, crm.ErrUnauthorized) {
			return crm.Capabilities{}, fmt.Errorf("listing changes: %w", err)
		}
		caps.CanListChanges = err == nil
		if err != nil {
			caps.Notes = append(caps.Notes, "Listing changes failed: "+err.Error())
		}
	}

	caps.CanReadOwners = c.cfg.OwnerPath != "" || c.cfg.OwnerEmailPath != "" || c.cfg.OwnerIDPath != ""
	if !caps.CanReadOwners {
		caps.Notes = append(caps.Notes, "No owner path is set, so records have no owner.")
	}
	return caps, nil
}

// account returns the host of the lookup URL.
func (c *Connector) account() string {
	parsed, err := url.Parse(renderURL(c.cfg.LookupURLTemplate, sampleValues))
	if err != nil {
		return ""
	}
	return parsed.Host
}

// Sample returns the first record of a change listing from the beginning
// when sync is configured, or of the lookup of TestNumber otherwise.
func (c *Connector) Sample(ctx context.Context) (crm.Record, error) {
	var records []crm.Record
	var err error
	if c.cfg.ListURLTemplate != "" {
		var page crm.Page
		page, err = c.ListChanged(ctx, time.Time{}, "")
		records = page.Records
	} else {
		records, err = c.SearchByPhone(ctx, []string{c.cfg.TestNumber})
	}
	if err != nil {
		return crm.Record{}, fmt.Errorf("reading a sample record: %w", err)
	}

	if len(records) == 0 {
		if c.cfg.ListURLTemplate != "" {
			return crm.Record{}, fmt.Errorf("%w: the change listing returned no record", crm.ErrNoSample)
		}
		return crm.Record{}, fmt.Errorf("%w: the lookup of the test number %s found no record; set settings.test_number to a number in the CRM", crm.ErrNoSample, c.cfg.TestNumber)
	}
	return records[0], nil
}

// Fields lists the properties of the Sample record, sorted by name, with
// the JSON type of each value ("string", "number", "boolean", "array",
// "object" or "null").
func (c *Connector) Fields(ctx context.Context) ([]crm.Field, error) {
	sample, err := c.Sample(ctx)
	if err != nil {
		return nil, err
	}

	fields := make([]crm.Field, 0, len(sample.Properties))
	for _, name := range slices.Sorted(maps.Keys(sample.Properties)) {
		fields = append(fields, crm.Field{Name: name, Label: name, Type: jsonType(sample.Properties[name]), Object: c.object})
	}
	return fields, nil
}

func jsonType(value any) string {
	switch value.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}
