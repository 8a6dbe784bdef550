package salesforce

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
)

// SearchByPhone runs one SOSL search for any of forms in the phone fields
// of the configured objects and returns the matches in Salesforce's order,
// at most 20. Empty and repeated forms are dropped, and without any form
// it returns no records and sends no request.
func (c *Connector) SearchByPhone(ctx context.Context, forms []string) ([]crm.Record, error) {
	forms = uniqueForms(forms)
	if len(forms) == 0 {
		return nil, nil
	}

	query := url.Values{"q": {c.searchStatement(forms)}}
	var result searchResult
	if err := c.get(ctx, c.dataPath("search/"), query, &result); err != nil {
		return nil, fmt.Errorf("searching salesforce by phone: %w", err)
	}
	return c.toRecords(result.SearchRecords, "")
}

// uniqueForms drops blank and repeated forms, keeping the order.
func uniqueForms(forms []string) []string {
	seen := make(map[string]bool, len(forms))
	unique := make([]string, 0, len(forms))
	for _, form := range forms {
		form = strings.TrimSpace(form)
		if form == "" || seen[form] {
			continue
		}
		seen[form] = true
		unique = append(unique, form)
	}
	return unique
}

// Sample returns the most recently changed record of the first configured
// object that has one, or an error wrapping crm.ErrNoSample.
func (c *Connector) Sample(ctx context.Context) (crm.Record, error) {
	for _, object := range c.objects {
		query := url.Values{"q": {c.sampleQuery(object)}}
		var result queryResult
		if err := c.get(ctx, c.dataPath("query"), query, &result); err != nil {
			return crm.Record{}, fmt.Errorf("reading a salesforce %s sample: %w", object, err)
		}
		if len(result.Records) > 0 {
			return c.toRecord(result.Records[0], object)
		}
	}
	return crm.Record{}, fmt.Errorf("%w: no %s in the salesforce org", crm.ErrNoSample, strings.Join(c.objects, " or "))
}
