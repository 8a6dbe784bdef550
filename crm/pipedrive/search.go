package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-oss/switchboard/crm"
)

// searchLimit is the page size of one persons search, the endpoint's
// maximum. Further matches for one number are left out.
const searchLimit = 100

// searchResponse is the body of GET /api/v2/persons/search.
type searchResponse struct {
	Data struct {
		Items []struct {
			Item struct {
				ID int64 `json:"id"`
			} `json:"item"`
		} `json:"items"`
	} `json:"data"`
}

// SearchByPhone finds persons whose phone matches the number in forms,
// with their owners and organization names.
//
// Pipedrive keeps phone numbers as typed, and its search matches a term
// anywhere in the phone value. The search endpoints allow only 10 requests
// per 2 seconds, so instead of one request per form the connector searches
// the three terms that most spellings contain (see searchTerms), in
// parallel and with fields=phone. It then reads the matching persons in
// one request and keeps those with a phone whose digits equal the digits
// of a form. That drops partial matches such as a longer number that
// contains the national number.
// NOTE: Pipedrive does not document whether its search ignores spaces and
// punctuation inside stored numbers. The three terms cover the common
// spellings either way.
func (c *Connector) SearchByPhone(ctx context.Context, forms []string) ([]crm.Record, error) {
	terms := searchTerms(forms)
	if len(terms) == 0 {
		return nil, errors.New("searching Pipedrive by phone: no phone number given")
	}

	ids, err := c.searchIDs(ctx, terms)
	if err != nil {
		return nil, fmt.Errorf("searching Pipedrive persons by phone: %w", err)
	}
	if len(ids) == 0 {
		return []crm.Record{}, nil
	}

	query := url.Values{"ids": {strings.Join(ids, ",")}, "limit": {strconv.Itoa(searchLimit)}}
	var response listResponse
	if err := c.callV2(ctx, "/persons", query, &response); err != nil {
		return nil, fmt.Errorf("reading Pipedrive persons found by phone: %w", err)
	}
	records, err := c.decodePersons(response.Data)
	if err != nil {
		return nil, err
	}

	matched := keepMatching(records, matchingDigits(forms))
	_ = c.enrich(ctx, matched, false)
	return matched, nil
}

// searchIDs runs one search per term and returns the ids found without
// duplicates, ordered by term and then by each response's order.
func (c *Connector) searchIDs(ctx context.Context, terms []string) ([]string, error) {
	responses := make([]searchResponse, len(terms))
	errs := make([]error, len(terms))
	var wg sync.WaitGroup
	for i, term := range terms {
		wg.Go(func() {
			query := url.Values{
				"term":        {term},
				"fields":      {"phone"},
				"exact_match": {"false"},
				"limit":       {strconv.Itoa(searchLimit)},
			}
			errs[i] = c.callV2(ctx, "/persons/search", query, &responses[i])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	seen := make(map[string]bool)
	var ids []string
	for _, response := range responses {
		for _, item := range response.Data.Items {
			id := strconv.FormatInt(item.Item.ID, 10)
			if !seen[id] && len(ids) < searchLimit {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// searchTerms returns the terms searched for the first non-blank form:
//
//   - the national significant number as digits, which digit-only
//     spellings with or without the country code contain;
//   - the international format without the country code ("415-555-0123",
//     "20 7946 0958"), which international spellings contain;
//   - the national format ("(415) 555-0123", "020 7946 0958").
//
// A number that does not parse is searched as given. Every term has the
// two characters Pipedrive's search requires.
func searchTerms(forms []string) []string {
	first := firstForm(forms)
	if first == "" {
		return nil
	}

	parsed, err := phonenumbers.Parse(first, "")
	if err != nil {
		return uniqueTerms([]string{first})
	}
	countryCode := "+" + strconv.Itoa(int(parsed.GetCountryCode())) + " "
	international := phonenumbers.Format(parsed, phonenumbers.INTERNATIONAL)
	return uniqueTerms([]string{
		phonenumbers.GetNationalSignificantNumber(parsed),
		strings.TrimPrefix(international, countryCode),
		phonenumbers.Format(parsed, phonenumbers.NATIONAL),
	})
}

func uniqueTerms(terms []string) []string {
	seen := make(map[string]bool, len(terms))
	unique := make([]string, 0, len(terms))
	for _, term := range terms {
		if len(term) >= 2 && !seen[term] {
			seen[term] = true
			unique = append(unique, term)
		}
	}
	return unique
}

// matchingDigits returns the digit strings a matching phone may reduce
// to. These are the digits of every form. When the first non-blank form
// parses, they also include its national significant number with each
// prefix a spelling may add: none, the country code, "00" and the country
// code, the trunk prefix, or the country code and the trunk prefix
// together as in "+44 (0)20 7946 0958".
func matchingDigits(forms []string) map[string]bool {
	digits := make(map[string]bool)
	for _, form := range forms {
		if d := phonenumbers.NormalizeDigitsOnly(form); d != "" {
			digits[d] = true
		}
	}

	parsed, err := phonenumbers.Parse(firstForm(forms), "")
	if err != nil {
		return digits
	}
	national := phonenumbers.GetNationalSignificantNumber(parsed)
	countryCode := strconv.Itoa(int(parsed.GetCountryCode()))
	region := phonenumbers.GetRegionCodeForCountryCode(int(parsed.GetCountryCode()))
	trunk := phonenumbers.GetNddPrefixForRegion(region, true)
	for _, d := range []string{
		national,
		countryCode + national,
		"00" + countryCode + national,
		trunk + national,
		countryCode + trunk + national,
	} {
		digits[d] = true
	}
	return digits
}

// firstForm returns the first non-blank form, trimmed, or "".
func firstForm(forms []string) string {
	for _, form := range forms {
		if trimmed := strings.TrimSpace(form); trimmed != "" {
			return trimmed
		}
	}
	return ""
}

// keepMatching returns the records with a phone in digits.
func keepMatching(records []crm.Record, digits map[string]bool) []crm.Record {
	matched := make([]crm.Record, 0, len(records))
	for _, rec := range records {
		phones, _ := rec.Properties["phones"].([]any)
		for _, phone := range phones {
			entry, _ := phone.(map[string]any)
			value, _ := entry["value"].(string)
			if digits[phonenumbers.NormalizeDigitsOnly(value)] {
				matched = append(matched, rec)
				break
			}
		}
	}
	return matched
}
