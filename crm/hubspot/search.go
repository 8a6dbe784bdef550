package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-oss/switchboard/crm"
)

// searchPageSize is the maximum number of contacts a phone search
// returns. Further matches for one number are left out.
const searchPageSize = 100

// maxInValues bounds the values of one IN filter.
// NOTE: HubSpot's search guide documents the IN operator but not its
// maximum number of values. 100 is an assumption, and phone lookups send
// about ten.
const maxInValues = 100

// Search request body of POST /crm/v3/objects/contacts/search. HubSpot
// combines filter groups with OR and the filters of a group with AND, and
// accepts at most five groups and 25 filters per request (changelog
// "Expanded Filtering Capabilities", August 2024).
type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []searchSort  `json:"sorts,omitempty"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
	After        string        `json:"after,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// SearchByPhone finds contacts whose phone or mobile phone matches one of
// forms, with their owners. See phoneFilterGroups for the filters sent.
// Owner lookups that fail leave the owner's name empty instead of failing
// the search.
func (c *Connector) SearchByPhone(ctx context.Context, forms []string) ([]crm.Record, error) {
	groups := phoneFilterGroups(forms)
	if len(groups) == 0 {
		return nil, errors.New("searching HubSpot by phone: no phone number given")
	}

	request := searchRequest{
		FilterGroups: groups,
		Properties:   c.properties,
		Limit:        searchPageSize,
	}
	var page contactPage
	err := c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts/search", nil, request, &page)
	if err != nil {
		return nil, fmt.Errorf("searching HubSpot contacts by phone: %w", err)
	}

	records := make([]crm.Record, 0, len(page.Results))
	for _, object := range page.Results {
		records = append(records, c.record(object))
	}
	_ = c.resolveOwners(ctx, records, false)
	return records, nil
}

// phoneFilterGroups builds the OR'ed filter groups of a phone search:
//
//   - phone IN forms and mobilephone IN forms match the text as typed,
//     for every spelling the caller derived (E.164, national,
//     international, digits only).
//   - hs_searchable_calculated_phone_number EQ and
//     hs_searchable_calculated_mobile_number EQ match the national
//     significant number of forms[0]. HubSpot derives these read-only
//     properties from phone and mobilephone as digits without the country
//     code. So they also match spellings the caller did not list, such as
//     numbers typed with dots.
//
// EQ and IN compare whole values, unlike CONTAINS_TOKEN, which matches
// words and would need wildcards to find a number inside formatted text.
// NOTE: the format of the hs_searchable_calculated_* properties comes
// from values observed in HubSpot's responses, not from its reference.
func phoneFilterGroups(forms []string) []filterGroup {
	values := uniqueForms(forms)
	if len(values) == 0 {
		return nil
	}
	if len(values) > maxInValues {
		values = values[:maxInValues]
	}

	groups := []filterGroup{
		{Filters: []filter{{PropertyName: "phone", Operator: "IN", Values: values}}},
		{Filters: []filter{{PropertyName: "mobilephone", Operator: "IN", Values: values}}},
	}

	national := nationalNumber(values[0])
	if national != "" {
		groups = append(groups,
			filterGroup{Filters: []filter{{PropertyName: "hs_searchable_calculated_phone_number", Operator: "EQ", Value: national}}},
			filterGroup{Filters: []filter{{PropertyName: "hs_searchable_calculated_mobile_number", Operator: "EQ", Value: national}}},
		)
	}
	return groups
}

// nationalNumber returns the national significant number of an E.164
// number, or "" when it does not parse.
func nationalNumber(e164 string) string {
	parsed, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetNationalSignificantNumber(parsed)
}

func uniqueForms(forms []string) []string {
	seen := make(map[string]bool, len(forms))
	unique := make([]string, 0, len(forms))
	for _, form := range forms {
		form = strings.TrimSpace(form)
		if form != "" && !seen[form] {
			seen[form] = true
			unique = append(unique, form)
		}
	}
	return unique
}
