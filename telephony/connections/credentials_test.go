package connections_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
)

func mustKeyring(t *testing.T) *secret.Keyring {
	t.Helper()
	keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
	require.NoError(t, err)
	return keyring
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		provider telephony.Provider
		creds    telephony.Credentials
		want     map[string]string
	}{
		{
			name:     "twilio",
			provider: telephony.ProviderTwilio,
			creds:    telephony.Credentials{AccountID: "AC0123456789abcdef0123456789abcdef", AuthToken: "token"},
			want:     map[string]string{"account_id": "…cdef", "auth_token": "set"},
		},
		{
			name:     "short identifier is not shown",
			provider: telephony.ProviderAircall,
			creds:    telephony.Credentials{AccountID: "12345", AuthToken: "t", WebhookToken: "w"},
			want:     map[string]string{"account_id": "set", "auth_token": "set", "webhook_token": "set"},
		},
		{
			name:     "base url shown as it is",
			provider: telephony.ProviderTelnyx,
			creds:    telephony.Credentials{APIKey: "KEY", PublicKey: "MCowBQYDK2VwAyEAabcdefghijklmnop", APIBaseURL: "https://api.example.com"},
			want:     map[string]string{"api_key": "set", "public_key": "…mnop", "api_base_url": "https://api.example.com"},
		},
		{
			name:     "fields of other providers are left out",
			provider: telephony.ProviderGeneric,
			creds:    telephony.Credentials{SigningSecret: "whsec_abc", AuthToken: "stray"},
			want:     map[string]string{"signing_secret": "set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, connections.Summarize(tt.provider, tt.creds))
		})
	}
}

func TestNewSigningSecretIsUnique(t *testing.T) {
	a, b := connections.NewSigningSecret(), connections.NewSigningSecret()
	require.NotEqual(t, a, b)
	require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, a)
}

func TestWebhookURLs(t *testing.T) {
	tests := []struct {
		provider telephony.Provider
		want     map[string]string
	}{
		{telephony.ProviderTwilio, map[string]string{
			"voice":     "https://sb.example.com/hooks/twilio/tc_1/voice",
			"status":    "https://sb.example.com/hooks/twilio/tc_1/status",
			"recording": "https://sb.example.com/hooks/twilio/tc_1/recording",
		}},
		{telephony.ProviderVonage, map[string]string{
			"answer": "https://sb.example.com/hooks/vonage/tc_1/answer",
			"event":  "https://sb.example.com/hooks/vonage/tc_1/event",
		}},
		{telephony.ProviderTelnyx, map[string]string{"events": "https://sb.example.com/hooks/telnyx/tc_1/events"}},
		{telephony.ProviderAircall, map[string]string{"events": "https://sb.example.com/hooks/aircall/tc_1/events"}},
		{telephony.ProviderGeneric, map[string]string{"events": "https://sb.example.com/hooks/generic/tc_1/events"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider), func(t *testing.T) {
			require.Equal(t, tt.want, connections.WebhookURLs("https://sb.example.com/", tt.provider, "tc_1"))
		})
	}
}

func TestNewAdapterPerProvider(t *testing.T) {
	for _, p := range connections.Providers {
		t.Run(string(p), func(t *testing.T) {
			conn := connections.Connection{Settings: connections.Settings{ID: "tc_1", Provider: p}, Region: "US"}
			adapter, err := connections.NewAdapter(conn, nil, "")
			require.NoError(t, err)
			require.Equal(t, p, adapter.Provider())
		})
	}

	_, err := connections.NewAdapter(connections.Connection{Settings: connections.Settings{ID: "tc_1", Provider: "skype"}}, nil, "")
	require.ErrorContains(t, err, `unknown provider "skype"`)
}
