package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony/phone"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		region    string
		e164      string
		extension string
	}{
		{name: "e164", raw: "+14155550100", e164: "+14155550100"},
		{name: "e164 with region of another country", raw: "+14155550100", region: "DE", e164: "+14155550100"},
		{name: "us national", raw: "(415) 555-0100", region: "US", e164: "+14155550100"},
		{name: "us national with trunk prefix", raw: "1 415 555 0100", region: "US", e164: "+14155550100"},
		{name: "region in lower case", raw: "030 1234567", region: "de", e164: "+49301234567"},
		{name: "region with spaces", raw: "030 1234567", region: " DE ", e164: "+49301234567"},
		{name: "00 prefix in DE", raw: "0049 30 1234567", region: "DE", e164: "+49301234567"},
		{name: "00 prefix in GB", raw: "0049 30 1234567", region: "GB", e164: "+49301234567"},
		{name: "00 prefix split", raw: "00 49 30 1234567", region: "DE", e164: "+49301234567"},
		{name: "00 prefix to US from DE", raw: "001 415 555 0100", region: "DE", e164: "+14155550100"},
		{name: "011 prefix in US", raw: "011 44 20 7946 0958", region: "US", e164: "+442079460958"},
		{name: "uk trunk prefix in brackets", raw: "+44 (0)20 7946 0958", e164: "+442079460958"},
		{name: "uk trunk prefix in brackets with space", raw: "+44 (0) 20 7946 0958", e164: "+442079460958"},
		{name: "uk trunk prefix in brackets unspaced", raw: "+44(0)2079460958", e164: "+442079460958"},
		{name: "de trunk prefix in brackets", raw: "+49 (0)30 1234567", e164: "+49301234567"},
		{name: "de trunk prefix in brackets and slash", raw: "+49 (0)30/1234567", e164: "+49301234567"},
		{name: "trunk prefix kept after country code", raw: "+49 030 1234567", e164: "+49301234567"},
		{name: "de national trunk prefix", raw: "030 1234567", region: "DE", e164: "+49301234567"},
		{name: "gb national trunk prefix", raw: "020 7946 0958", region: "GB", e164: "+442079460958"},
		{name: "dots", raw: "415.555.0100", region: "US", e164: "+14155550100"},
		{name: "dashes", raw: "415-555-0100", region: "US", e164: "+14155550100"},
		{name: "slash", raw: "030/1234567", region: "DE", e164: "+49301234567"},
		{name: "area code in brackets", raw: "(030) 123 45 67", region: "DE", e164: "+49301234567"},
		{name: "square brackets", raw: "[030] 1234567", region: "DE", e164: "+49301234567"},
		{name: "en dashes", raw: "+1 415\u2013555\u20130100", e164: "+14155550100"},
		{name: "non-breaking spaces", raw: "415\u00a0555\u00a00100", region: "US", e164: "+14155550100"},
		{name: "narrow non-breaking spaces", raw: "+1\u202f415\u202f555\u202f0100", e164: "+14155550100"},
		{name: "figure space", raw: "+1\u2007415 555 0100", e164: "+14155550100"},
		{name: "bidi embedding from phone copy", raw: "\u202a+1 415 555 0100\u202c", e164: "+14155550100"},
		{name: "left-to-right mark", raw: "\u200e+1 415 555 0100", e164: "+14155550100"},
		{name: "byte order mark", raw: "\ufeff+14155550100", e164: "+14155550100"},
		{name: "surrounding whitespace", raw: "\t +1 415 555 0100\r\n", e164: "+14155550100"},
		{name: "full-width digits", raw: "\uff0b\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff10\uff10", e164: "+14155550100"},
		{name: "tel uri", raw: "tel:+1-415-555-0100", e164: "+14155550100"},
		{name: "tel uri upper case", raw: "TEL:+14155550100", e164: "+14155550100"},
		{name: "tel uri with ext", raw: "tel:+14155550100;ext=12", e164: "+14155550100", extension: "12"},
		{name: "tel uri with phone-context number", raw: "tel:555-0100;phone-context=+1-415", e164: "+14155550100"},
		{name: "tel uri with phone-context country", raw: "tel:0301234567;phone-context=+49", e164: "+49301234567"},
		{name: "tel uri with phone-context domain", raw: "tel:+1-415-555-0100;phone-context=example.com", e164: "+14155550100"},
		{name: "ext x", raw: "+1 415 555 0100 x123", e164: "+14155550100", extension: "123"},
		{name: "ext x with space", raw: "+1 415 555 0100 x 123", e164: "+14155550100", extension: "123"},
		{name: "ext dot", raw: "+1 415 555 0100 ext. 12", e164: "+14155550100", extension: "12"},
		{name: "ext upper case", raw: "+1 415 555 0100 EXT 12", e164: "+14155550100", extension: "12"},
		{name: "ext word", raw: "+1 415 555 0100 ext 12", e164: "+14155550100", extension: "12"},
		{name: "ext hash", raw: "+1 415 555 0100 #12", e164: "+14155550100", extension: "12"},
		{name: "ext extension", raw: "+1 415 555 0100 extension 5", e164: "+14155550100", extension: "5"},
		{name: "ext semicolon", raw: "+1 415 555 0100;ext=77", e164: "+14155550100", extension: "77"},
		{name: "ext comma", raw: "+1 415 555 0100,123", e164: "+14155550100", extension: "123"},
		{name: "ext national", raw: "(415) 555-0100 x123", region: "US", e164: "+14155550100", extension: "123"},
		{name: "dangling ext", raw: "+1 415 555 0100 ext", e164: "+14155550100"},
		{name: "dangling ext dot", raw: "+1 415 555 0100 ext.", e164: "+14155550100"},
		{name: "dangling extension", raw: "+1 415 555 0100 extension", e164: "+14155550100"},
		{name: "dangling x", raw: "+1 415 555 0100 x", e164: "+14155550100"},
		{name: "dangling hash", raw: "+1 415 555 0100 #", e164: "+14155550100"},
		{name: "dangling hash unspaced", raw: "+1 415 555 0100#", e164: "+14155550100"},
		{name: "dangling semicolon ext", raw: "+1 415 555 0100;ext=", e164: "+14155550100"},
		{name: "vanity letters", raw: "1-800-FLOWERS", region: "US", e164: "+18003569377"},
		{name: "vanity letters with country code", raw: "+1-800-FLOWERS", e164: "+18003569377"},
		{name: "vanity word ending in x", raw: "1 800 GO FEDEX", region: "US", e164: "+18004633339"},
		{name: "label before number", raw: "phone: +1 415 555 0100", e164: "+14155550100"},
		{name: "double plus", raw: "++14155550100", e164: "+14155550100"},
		{name: "german direct dial suffix", raw: "+49 30 1234567-89", e164: "+4930123456789"},
		{name: "italian leading zero kept", raw: "06 1234 5678", region: "IT", e164: "+390612345678"},
		{name: "possible but unassigned area code", raw: "+1 555 555 0100", e164: "+15555550100"},
		{name: "possible but invalid area code", raw: "+1 200 555 0100", e164: "+12005550100"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			number, err := phone.Parse(tt.raw, tt.region)

			require.NoError(t, err)
			require.Equal(t, tt.raw, number.Raw)
			require.Equal(t, tt.e164, number.E164)
			require.Equal(t, tt.extension, number.Extension)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		region  string
		message string
	}{
		{name: "empty", raw: "", region: "US", message: "phone number is missing"},
		{name: "blank", raw: " \u00a0\t\u200e ", region: "US", message: "phone number is missing"},
		{name: "too short", raw: "12", region: "US", message: `"12" is not a valid phone number: too short`},
		{name: "single digit", raw: "0", region: "US", message: `"0" is not a valid phone number`},
		{name: "too long", raw: "+1 415 555 01000000000", message: `"+1 415 555 01000000000" is not a valid phone number: too long`},
		{name: "too many digits", raw: "12345678901234567890", region: "US", message: `"12345678901234567890" is not a valid phone number: too long`},
		{name: "one digit short", raw: "+1 415 555 010", message: `"+1 415 555 010" is not a valid phone number: too short`},
		{name: "one digit long", raw: "+1 415 555 0100 0", message: `"+1 415 555 0100 0" is not a valid phone number: too long`},
		{name: "german too long", raw: "+49 30 123456789012345", message: `"+49 30 123456789012345" is not a valid phone number: too long`},
		{name: "local only", raw: "555-0100", region: "US", message: `"555-0100" is not a valid phone number: only dialable locally, add the area code`},
		{name: "no country code", raw: "0301234567", message: `"0301234567" has no country code and no default region is set`},
		{name: "00 prefix without region", raw: "0049 30 1234567", message: `"0049 30 1234567" has no country code and no default region is set`},
		{name: "vanity without region", raw: "1-800-FLOWERS", message: `"1-800-FLOWERS" has no country code and no default region is set`},
		{name: "unknown country code", raw: "+999 123456", message: `"+999 123456" has an unknown country calling code`},
		{name: "unsupported region", raw: "+49 30 1234567", region: "XX", message: `default region "XX" is not supported: use an ISO 3166-1 alpha-2 code such as "US"`},
		{name: "region as country name", raw: "030 1234567", region: "Germany", message: `default region "Germany" is not supported: use an ISO 3166-1 alpha-2 code such as "US"`},
		{name: "words", raw: "hello", region: "US", message: `"hello" is not a valid phone number`},
		{name: "punctuation only", raw: "--", region: "US", message: `"--" is not a valid phone number`},
		{name: "plus only", raw: "+", message: `"+" is not a valid phone number`},
		{name: "country code only", raw: "+44", message: `"+44" is not a valid phone number`},
		{name: "hash only", raw: "#", region: "US", message: `"#" is not a valid phone number`},
		{name: "extra vanity letter", raw: "1-800-FLOWERSS", region: "US", message: `"1-800-FLOWERSS" is not a valid phone number: too long`},
		{name: "extension letters", raw: "+1 415 555 0100 ext. A", message: `"+1 415 555 0100 ext. A" is not a valid phone number: too long`},
		{name: "long value shortened", raw: "+1 " + strings.Repeat("5", 300), message: `"+1 ` + strings.Repeat("5", 61) + `"... is not a valid phone number: too long`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			number, err := phone.Parse(tt.raw, tt.region)

			require.ErrorIs(t, err, phone.ErrInvalid)
			require.EqualError(t, err, tt.message)
			require.Equal(t, tt.raw, number.Raw)
			require.Empty(t, number.E164)
		})
	}
}

// TestParseAcceptancePolicy pins the rule in the package documentation:
// possible numbers are accepted even when IsValidNumber rejects them, numbers
// of an impossible length are not.
func TestParseAcceptancePolicy(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		accepted bool
	}{
		{name: "valid", raw: "+1 415 555 0100", accepted: true},
		{name: "unassigned area code 555", raw: "+1 555 555 0100", accepted: true},
		{name: "area code 200 not in use", raw: "+1 200 555 0100", accepted: true},
		{name: "area code starting with 0", raw: "+1 015 555 0100", accepted: true},
		{name: "nine digits", raw: "+1 415 555 010", accepted: false},
		{name: "eleven digits", raw: "+1 415 555 01000", accepted: false},
		{name: "seven digits", raw: "+1 555 0100", accepted: false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := phone.Parse(tt.raw, "")

			if tt.accepted {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, phone.ErrInvalid)
			}
		})
	}
}

func TestParseErrorWrapsCause(t *testing.T) {
	_, err := phone.Parse("+999 123456", "")

	var target interface{ Unwrap() []error }
	require.True(t, errors.As(err, &target))
	require.Len(t, target.Unwrap(), 2)
}

func TestMatchKey(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string
		key    string
	}{
		{name: "e164", raw: "+14155550100", key: "+14155550100"},
		{name: "national", raw: "(415) 555-0100", region: "US", key: "+14155550100"},
		{name: "extension stripped", raw: "+1 415-555-0100 ext. 12", key: "+14155550100"},
		{name: "tel uri with extension", raw: "tel:+14155550100;ext=12", key: "+14155550100"},
		{name: "uk drama number", raw: "020 7946 0958", region: "GB", key: "+442079460958"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := phone.MatchKey(tt.raw, tt.region)

			require.NoError(t, err)
			require.Equal(t, tt.key, key)
		})
	}
}

func TestMatchKeyInvalid(t *testing.T) {
	key, err := phone.MatchKey("12", "US")

	require.ErrorIs(t, err, phone.ErrInvalid)
	require.Empty(t, key)
}

func TestValidRegion(t *testing.T) {
	tests := []struct {
		name   string
		region string
		valid  bool
	}{
		{name: "us", region: "US", valid: true},
		{name: "germany", region: "DE", valid: true},
		{name: "united kingdom", region: "GB", valid: true},
		{name: "lower case", region: "gb", valid: true},
		{name: "empty", region: "", valid: false},
		{name: "uk is not the iso code", region: "UK", valid: false},
		{name: "unknown", region: "XX", valid: false},
		{name: "unknown region placeholder", region: "ZZ", valid: false},
		{name: "non-geographic entity", region: "001", valid: false},
		{name: "alpha-3", region: "USA", valid: false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.valid, phone.ValidRegion(tt.region))
		})
	}
}

func BenchmarkMatchKey(b *testing.B) {
	inputs := []struct {
		raw    string
		region string
	}{
		{raw: "+14155550100"},
		{raw: "(415) 555-0100", region: "US"},
		{raw: "+44 (0)20 7946 0958"},
		{raw: "030 1234567 ext. 12", region: "DE"},
	}

	for b.Loop() {
		for _, input := range inputs {
			if _, err := phone.MatchKey(input.raw, input.region); err != nil {
				b.Fatal(err)
			}
		}
	}
}
