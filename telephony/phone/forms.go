package phone

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NationalForms returns the spellings of e164 that a CRM storing phone numbers
// as free text may hold, most specific first and without duplicates. For
// +442079460958 they are:
//
//	+442079460958       E.164
//	+44 20 7946 0958    international format
//	020 7946 0958       national format
//	20 7946 0958        international format without the country code
//	+44 (0)20 7946 0958 trunk prefix in brackets, only where the trunk prefix is "0"
//	442079460958        country code and national number, digits only
//	00442079460958      the same after the "00" international prefix
//	2079460958          national significant number, digits only
//	02079460958         trunk prefix and national significant number, digits only
//
// A last form, the national format reduced to digits, is added where it
// differs from all of the above. The argument should be a MatchKey result;
// other text that Parse accepts without a default region works too. Input
// that does not parse returns nil. An extension in the input is ignored.
func NationalForms(e164 string) []string {
	parsed, err := parse(e164, "")
	if err != nil {
		return nil
	}
	parsed.Extension = nil

	countryCode := strconv.Itoa(int(parsed.GetCountryCode()))
	nationalNumber := phonenumbers.GetNationalSignificantNumber(parsed)
	trunkPrefix := phonenumbers.GetNddPrefixForRegion(regionOf(parsed), true)
	international := phonenumbers.Format(parsed, phonenumbers.INTERNATIONAL)
	national := phonenumbers.Format(parsed, phonenumbers.NATIONAL)
	grouped, hasGroups := strings.CutPrefix(international, "+"+countryCode+" ")

	forms := []string{
		phonenumbers.Format(parsed, phonenumbers.E164),
		international,
		national,
	}
	if hasGroups {
		forms = append(forms, grouped)
	}
	if hasGroups && trunkPrefix == "0" {
		forms = append(forms, "+"+countryCode+" (0)"+grouped)
	}
	forms = append(forms,
		countryCode+nationalNumber,
		"00"+countryCode+nationalNumber,
		nationalNumber,
	)
	if trunkPrefix != "" {
		forms = append(forms, trunkPrefix+nationalNumber)
	}
	forms = append(forms, phonenumbers.NormalizeDigitsOnly(national))

	return deduplicate(forms)
}

// regionOf returns the region of parsed, falling back to the main region of
// its country code for numbers that are possible but not valid, such as
// +1 555 555 0100, which phonenumbers assigns to no region.
func regionOf(parsed *phonenumbers.PhoneNumber) string {
	region := phonenumbers.GetRegionCodeForNumber(parsed)
	if region != "" {
		return region
	}
	return phonenumbers.GetRegionCodeForCountryCode(int(parsed.GetCountryCode()))
}

// deduplicate drops empty and repeated strings, keeping the first occurrence.
func deduplicate(values []string) []string {
	seen := make(map[string]bool, len(values))
	unique := make([]string, 0, len(values))

	for _, value := range values {
		if value == "" || seen[value] {
			continue
		}
		seen[value] = true
		unique = append(unique, value)
	}
	return unique
}
