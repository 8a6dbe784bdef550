package phone_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony/phone"
)

func TestNationalForms(t *testing.T) {
	tests := []struct {
		name  string
		e164  string
		forms []string
	}{
		{
			name: "us",
			e164: "+14155550100",
			forms: []string{
				"+14155550100", "+1 415-555-0100", "(415) 555-0100", "415-555-0100",
				"14155550100", "0014155550100", "4155550100",
			},
		},
		{
			name: "gb drama number",
			e164: "+442079460958",
			forms: []string{
				"+442079460958", "+44 20 7946 0958", "020 7946 0958", "20 7946 0958", "+44 (0)20 7946 0958",
				"442079460958", "00442079460958", "2079460958", "02079460958",
			},
		},
		{
			name: "de",
			e164: "+49301234567",
			forms: []string{
				"+49301234567", "+49 30 1234567", "030 1234567", "30 1234567", "+49 (0)30 1234567",
				"49301234567", "0049301234567", "301234567", "0301234567",
			},
		},
		{
			name: "italy without trunk prefix",
			e164: "+390612345678",
			forms: []string{
				"+390612345678", "+39 06 1234 5678", "06 1234 5678",
				"390612345678", "00390612345678", "0612345678",
			},
		},
		{
			name: "russia with trunk prefix 8",
			e164: "+79161234567",
			forms: []string{
				"+79161234567", "+7 916 123-45-67", "8 (916) 123-45-67", "916 123-45-67",
				"79161234567", "0079161234567", "9161234567", "89161234567",
			},
		},
		{
			name: "possible but unassigned",
			e164: "+15555550100",
			forms: []string{
				"+15555550100", "+1 555-555-0100", "(555) 555-0100", "555-555-0100",
				"15555550100", "0015555550100", "5555550100",
			},
		},
		{
			name: "extension ignored",
			e164: "+14155550100;ext=12",
			forms: []string{
				"+14155550100", "+1 415-555-0100", "(415) 555-0100", "415-555-0100",
				"14155550100", "0014155550100", "4155550100",
			},
		},
		{
			name: "formatted input",
			e164: "+44 (0)20 7946 0958",
			forms: []string{
				"+442079460958", "+44 20 7946 0958", "020 7946 0958", "20 7946 0958", "+44 (0)20 7946 0958",
				"442079460958", "00442079460958", "2079460958", "02079460958",
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.forms, phone.NationalForms(tt.e164))
		})
	}
}

func TestNationalFormsInvalid(t *testing.T) {
	tests := []struct {
		name string
		e164 string
	}{
		{name: "empty", e164: ""},
		{name: "no country code", e164: "4155550100"},
		{name: "too short", e164: "+1415555010"},
		{name: "not a number", e164: "anonymous"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Nil(t, phone.NationalForms(tt.e164))
		})
	}
}
