// Package phone normalises phone numbers for every part of Switchboard:
// the contacts API, CSV import, provider webhooks and CRM lookups.
//
// All parsing is done by github.com/nyaruka/phonenumbers, the Go port of
// Google's libphonenumber. This package only pre-cleans the input before
// handing it over. It removes invisible Unicode format characters, such as
// the U+202A and U+200E that phones add when a number is copied. It turns
// every Unicode space (U+202F, U+2007, line breaks) into a plain space. It
// drops an extension marker with no digits after it ("ext", "x", "#"), so
// that phonenumbers does not read its letters as vanity digits.
//
// The match key of a number is its E.164 form without the extension. Two
// inputs that name the same line, such as "(415) 555-0100" with region US and
// "+1 415-555-0100 ext. 12", have the same match key.
//
// Acceptance rule: a number is accepted when phonenumbers reports it as
// possible (IsPossibleNumberWithReason returns IS_POSSIBLE), that is, when its
// length fits its country. It does not have to pass IsValidNumber, so numbers
// in unassigned or fictional ranges ("+1 555 555 0100", "+1 200 555 0100")
// are accepted. This keeps test and demo data working and keeps Switchboard
// from rejecting real numbers in ranges newer than the bundled metadata. A
// number that is only possible for local dialling (IS_POSSIBLE_LOCAL_ONLY,
// such as a US number without its area code) is rejected, because it has no
// E.164 form that a provider could dial.
//
// The default region is an ISO 3166-1 alpha-2 code ("US", "DE", "GB") in
// either case. Parse uses it to read numbers written without a country code,
// with a national trunk prefix ("030 1234567" in DE) or with an international
// prefix ("011" in US, "00" in DE and GB). With an empty default region only
// numbers that start with "+" (or a "tel:" URI carrying one) parse.
package phone
