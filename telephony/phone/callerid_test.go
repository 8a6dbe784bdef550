package phone_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony/phone"
)

func TestParseCallerID(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string
		want   phone.CallerID
	}{
		{name: "e164", raw: "+14155550100", want: phone.CallerID{Kind: phone.CallerNumber, E164: "+14155550100"}},
		{name: "national with region", raw: "(415) 555-0100", region: "US", want: phone.CallerID{Kind: phone.CallerNumber, E164: "+14155550100"}},
		{name: "national without region", raw: "4155550100", want: phone.CallerID{Kind: phone.CallerNumber}},
		{name: "trunk prefix without region", raw: "0301234567", want: phone.CallerID{Kind: phone.CallerNumber}},
		{name: "unsupported region ignored", raw: "+442079460958", region: "XX", want: phone.CallerID{Kind: phone.CallerNumber, E164: "+442079460958"}},
		{name: "unsupported region and national", raw: "4155550100", region: "XX", want: phone.CallerID{Kind: phone.CallerNumber}},
		{name: "tel uri", raw: "tel:+1-415-555-0100", want: phone.CallerID{Kind: phone.CallerNumber, E164: "+14155550100"}},
		{name: "number in angle brackets", raw: "Alice <+14155550100>", want: phone.CallerID{Kind: phone.CallerNumber, E164: "+14155550100"}},
		{name: "empty", raw: "", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "blank", raw: " \u00a0", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "anonymous", raw: "anonymous", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "anonymous capitalised", raw: "Anonymous", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "restricted", raw: "Restricted", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "unavailable", raw: "UNAVAILABLE", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "private", raw: "private", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "withheld", raw: "Withheld", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "unknown word", raw: "Unknown", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "blocked", raw: "blocked", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "private number", raw: "Private Number", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio anonymous marker", raw: "+266696687", region: "US", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio anonymous marker without plus", raw: "266696687", region: "US", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio restricted marker", raw: "+7378742833", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio restricted marker with 1", raw: "+17378742833", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio unavailable marker", raw: "+86282452253", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio unknown marker", raw: "+8656696", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "twilio blocked marker", raw: "+2562533", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{name: "all zeros", raw: "0000000000", region: "US", want: phone.CallerID{Kind: phone.CallerAnonymous}},
		{
			name: "sip user name",
			raw:  "sip:alice@example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "alice"},
		},
		{
			name: "sips user name",
			raw:  "sips:alice@example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "alice"},
		},
		{
			name: "sip upper case scheme",
			raw:  "SIP:alice@example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "alice"},
		},
		{
			name: "sip e164 user",
			raw:  "sip:+14155550100@example.com;user=phone",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "+14155550100", E164: "+14155550100"},
		},
		{
			name:   "sip national user with region",
			raw:    "sip:4155550100@pbx.example.com:5060;transport=udp",
			region: "US",
			want:   phone.CallerID{Kind: phone.CallerSIP, SIPUser: "4155550100", E164: "+14155550100"},
		},
		{
			name: "sip national user without region",
			raw:  "sip:4155550100@pbx.example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "4155550100"},
		},
		{
			name:   "sip internal extension",
			raw:    "sip:1001@pbx.example.com",
			region: "US",
			want:   phone.CallerID{Kind: phone.CallerSIP, SIPUser: "1001"},
		},
		{
			name: "sip percent-encoded user",
			raw:  "sip:%2B442079460958@example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "+442079460958", E164: "+442079460958"},
		},
		{
			name: "sip user with password and parameters",
			raw:  "sip:+1-415-555-0100;isub=12:secret@example.com",
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "+1-415-555-0100", E164: "+14155550100"},
		},
		{
			name: "sip with display name",
			raw:  `"Alice" <sip:alice@example.com>`,
			want: phone.CallerID{Kind: phone.CallerSIP, SIPUser: "alice"},
		},
		{
			name: "sip without user",
			raw:  "sip:example.com",
			want: phone.CallerID{Kind: phone.CallerSIP},
		},
		{
			name: "sip anonymous user",
			raw:  "sip:anonymous@example.com",
			want: phone.CallerID{Kind: phone.CallerAnonymous},
		},
		{
			name: "sip anonymous host",
			raw:  `"Anonymous" <sip:caller@anonymous.invalid>`,
			want: phone.CallerID{Kind: phone.CallerAnonymous},
		},
		{
			name: "client",
			raw:  "client:alice",
			want: phone.CallerID{Kind: phone.CallerClient, ClientIdentity: "alice"},
		},
		{
			name: "client upper case scheme",
			raw:  "Client:support_agent_7",
			want: phone.CallerID{Kind: phone.CallerClient, ClientIdentity: "support_agent_7"},
		},
		{name: "client without identity", raw: "client:", want: phone.CallerID{Kind: phone.CallerUnknown}},
		{name: "garbage", raw: "hello world", want: phone.CallerID{Kind: phone.CallerUnknown}},
		{name: "too short", raw: "12", region: "US", want: phone.CallerID{Kind: phone.CallerUnknown}},
		{name: "unknown country code", raw: "+999 123456", want: phone.CallerID{Kind: phone.CallerUnknown}},
		{name: "bidi marks only around text", raw: "\u202aAlice\u202c", want: phone.CallerID{Kind: phone.CallerUnknown}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			want.Raw = tt.raw

			require.Equal(t, want, phone.ParseCallerID(tt.raw, tt.region))
		})
	}
}

// FuzzParseCallerID checks that ParseCallerID never panics and always returns
// one of its kinds with the input kept as given.
func FuzzParseCallerID(f *testing.F) {
	seeds := []string{
		"", "+14155550100", "sip:alice@example.com", "client:alice", "<sip:>", "sip:@", "tel:;ext=",
		"+266696687", "0049 30 1234567 ext. 1", "\u202a+1 415\u202f555 0100\u202c", "sip:%zz@example.com",
	}
	for _, seed := range seeds {
		f.Add(seed, "US")
		f.Add(seed, "")
	}

	kinds := map[phone.CallerKind]bool{
		phone.CallerNumber: true, phone.CallerAnonymous: true, phone.CallerSIP: true,
		phone.CallerClient: true, phone.CallerUnknown: true,
	}

	f.Fuzz(func(t *testing.T, raw, region string) {
		callerID := phone.ParseCallerID(raw, region)

		require.Equal(t, raw, callerID.Raw)
		require.True(t, kinds[callerID.Kind], "unexpected kind %q", callerID.Kind)
	})
}
