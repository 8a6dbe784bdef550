package connections_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

func TestCreateTwilioConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		in := twilioInput()
		in.PhonebookIDs = []string{f.phonebook}
		in.RoutingRules = []routing.Rule{{Name: "vip", When: `contact?.extra_data?.tier == "vip"`, Route: telephony.Route{Kind: telephony.TargetQueue, Target: "vip"}}}
		in.Options = connections.Options{ExtensionAs: "sip", SIPDomain: "acme.sip.twilio.com", DialCallerID: "415-555-0199"}

		s, secret, err := f.svc.Create(f.ctx, f.ws, in)
		require.NoError(t, err)
		require.Empty(t, secret, "only generic connections get a generated secret")
		require.True(t, strings.HasPrefix(s.ID, "tc_"))
		require.Equal(t, "+14155550100", s.DefaultRoute.Target, "the default route number is stored in E.164")
		require.Equal(t, "+14155550199", s.Options.DialCallerID)
		require.Equal(t, 1500, s.DeadlineMillis)
		require.Equal(t, "phonebook", s.LookupOrder)
		require.True(t, s.Enabled)

		got, err := f.svc.Get(f.ctx, f.ws, s.ID)
		require.NoError(t, err)
		require.Equal(t, telephony.ProviderTwilio, got.Provider)
		require.Equal(t, "twilio-auth-token", got.Credentials.AuthToken)
		require.Equal(t, "AC0123456789abcdef0123456789abcdef", got.Credentials.AccountID)
		require.Equal(t, []string{f.phonebook}, got.PhonebookIDs)
		require.Equal(t, in.RoutingRules, got.RoutingRules)
		require.Equal(t, s.DefaultRoute, got.DefaultRoute)
		require.Equal(t, s.Options, got.Options)
		require.Equal(t, s.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())

		rec, err := st.GetTelephonyConnection(f.ctx, f.ws, s.ID)
		require.NoError(t, err)
		require.NotContains(t, rec.Credentials, "twilio-auth-token", "credentials are stored encrypted")
		require.NotContains(t, rec.Credentials, "AC0123456789")
	})
}

func TestCreateEachProvider(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		publicKey, privateKey := testKeys(t)
		tests := []struct {
			name        string
			provider    string
			credentials map[string]string
			route       telephony.Route
		}{
			{name: "telnyx", provider: "telnyx", credentials: map[string]string{"api_key": "KEY0123", "public_key": publicKey}, route: telephony.Route{Kind: telephony.TargetVoicemail}},
			{name: "vonage signing only", provider: "vonage", credentials: map[string]string{"signing_secret": "vonage-secret"}, route: telephony.Route{Kind: telephony.TargetHangup}},
			{name: "vonage with application", provider: "vonage", credentials: map[string]string{"signing_secret": "s", "account_id": "abcd1234", "api_key": "app-id", "auth_token": privateKey}, route: telephony.Route{Kind: telephony.TargetClient, Target: "alice"}},
			{name: "aircall", provider: "aircall", credentials: map[string]string{"account_id": "api-id", "auth_token": "api-token", "webhook_token": "hook-token"}, route: telephony.Route{Kind: telephony.TargetQueue, Target: "42"}},
			{name: "generic with own secret", provider: "generic", credentials: map[string]string{"signing_secret": "whsec_" + base64Of("0123456789abcdef0123456789abcdef")}, route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:desk@pbx.example.com"}},
			{name: "api base url", provider: "twilio", credentials: map[string]string{"account_id": "AC0123456789abcdef0123456789abcdef", "auth_token": "t", "api_base_url": "http://127.0.0.1:9999/"}, route: telephony.Route{Kind: telephony.TargetVoicemail}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				route := tt.route
				s, secret, err := f.svc.Create(f.ctx, f.ws, connections.Input{Provider: tt.provider, Name: tt.name, Credentials: tt.credentials, DefaultRoute: &route})
				require.NoError(t, err)
				require.Empty(t, secret)

				got, err := f.svc.Get(f.ctx, f.ws, s.ID)
				require.NoError(t, err)
				for name, value := range tt.credentials {
					require.Equal(t, strings.TrimSpace(value), credentialField(got.Credentials, name), "%s is stored trimmed", name)
				}
			})
		}
	})
}

func TestCreateGenericGeneratesSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, secret, err := f.svc.Create(f.ctx, f.ws, connections.Input{
			Provider: "generic", Name: "PBX", DefaultRoute: &telephony.Route{Kind: telephony.TargetVoicemail},
		})
		require.NoError(t, err)
		require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, secret)
		require.Equal(t, secret, s.Credentials.SigningSecret)

		_, err = generic.Sign(secret, "msg_1", time.Now(), []byte(`{}`))
		require.NoError(t, err, "the generated secret signs webhooks")

		got, err := f.svc.Get(f.ctx, f.ws, s.ID)
		require.NoError(t, err)
		require.Equal(t, secret, got.Credentials.SigningSecret)
		require.Equal(t, map[string]string{"signing_secret": "set"}, connections.Summarize(got.Provider, got.Credentials))
	})
}

func TestCreateRejectsInvalidInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tests := []struct {
			name   string
			change func(*connections.Input)
			want   map[string]string // field name → part of the reason
		}{
			{name: "unknown provider", change: func(in *connections.Input) { in.Provider = "skype" },
				want: map[string]string{"provider": `"skype" is not a supported provider: use twilio, telnyx, vonage, aircall or generic`}},
			{name: "blank name", change: func(in *connections.Input) { in.Name = "  " },
				want: map[string]string{"name": "is required"}},
			{name: "missing credential", change: func(in *connections.Input) { delete(in.Credentials, "auth_token") },
				want: map[string]string{"credentials.auth_token": "is required for twilio connections"}},
			{name: "foreign credential", change: func(in *connections.Input) { in.Credentials["public_key"] = "abc" },
				want: map[string]string{"credentials.public_key": "is not a credential of twilio connections: use account_id, auth_token, api_base_url"}},
			{name: "bad base url", change: func(in *connections.Input) { in.Credentials["api_base_url"] = "ftp://example.com" },
				want: map[string]string{"credentials.api_base_url": "is not an absolute http or https URL"}},
			{name: "phonebook of other workspace", change: func(in *connections.Input) { in.PhonebookIDs = []string{f.phonebook, f.otherBook} },
				want: map[string]string{"phonebook_ids[1]": "no phonebook"}},
			{name: "repeated phonebook", change: func(in *connections.Input) { in.PhonebookIDs = []string{f.phonebook, f.phonebook} },
				want: map[string]string{"phonebook_ids[1]": "repeats phonebook_ids[0]"}},
			{name: "rule does not compile", change: func(in *connections.Input) {
				in.RoutingRules = []routing.Rule{
					{Name: "ok", When: "true", Route: telephony.Route{Kind: telephony.TargetVoicemail}},
					{Name: "broken", When: "contact.nope ==", Route: telephony.Route{Kind: telephony.TargetVoicemail}},
				}
			}, want: map[string]string{"routing_rules[1].when": ""}},
			{name: "rule target invalid", change: func(in *connections.Input) {
				in.RoutingRules = []routing.Rule{{Name: "call", When: "true", Route: telephony.Route{Kind: telephony.TargetNumber, Target: "12"}}}
			}, want: map[string]string{"routing_rules[0].route.target": ""}},
			{name: "missing default route", change: func(in *connections.Input) { in.DefaultRoute = nil },
				want: map[string]string{"default_route": "is required"}},
			{name: "default route number invalid", change: func(in *connections.Input) { in.DefaultRoute.Target = "call me" },
				want: map[string]string{"default_route.target": ""}},
			{name: "deadline too short", change: func(in *connections.Input) { in.DeadlineMillis = ptr(99) },
				want: map[string]string{"deadline_ms": "99 is out of range: use 100 to 10000 milliseconds"}},
			{name: "deadline too long", change: func(in *connections.Input) { in.DeadlineMillis = ptr(10001) },
				want: map[string]string{"deadline_ms": "10001 is out of range"}},
			{name: "lookup order", change: func(in *connections.Input) { in.LookupOrder = "ldap" },
				want: map[string]string{"lookup_order": `"ldap" is invalid: use "phonebook", "crm" or "phonebook_then_crm"`}},
			{name: "option of another provider", change: func(in *connections.Input) { in.Options.HoldMusicURL = "https://example.com/a.mp3" },
				want: map[string]string{"options.hold_music_url": "is not an option of twilio connections"}},
			{name: "sip extensions without domain", change: func(in *connections.Input) { in.Options.ExtensionAs = "sip" },
				want: map[string]string{"options.sip_domain": `is required when extension_as is "sip"`}},
			{name: "unknown extension mode", change: func(in *connections.Input) { in.Options.ExtensionAs = "app" },
				want: map[string]string{"options.extension_as": `"app" is invalid: use "client" (the default) or "sip"`}},
			{name: "sip domain with scheme", change: func(in *connections.Input) { in.Options.SIPDomain = "sip:pbx.example.com" },
				want: map[string]string{"options.sip_domain": "is not a host name"}},
			{name: "voicemail too long", change: func(in *connections.Input) { in.Options.VoicemailMaxSeconds = 3601 },
				want: map[string]string{"options.voicemail_max_seconds": "3601 is out of range: use 1 to 3600 seconds"}},
			{name: "several fields at once", change: func(in *connections.Input) { in.Name = ""; in.DeadlineMillis = ptr(0) },
				want: map[string]string{"name": "is required", "deadline_ms": "out of range"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := twilioInput()
				tt.change(&in)
				_, _, err := f.svc.Create(f.ctx, f.ws, in)
				requireFieldErrors(t, err, tt.want)
			})
		}

		list, err := f.svc.List(f.ctx, f.ws)
		require.NoError(t, err)
		require.Empty(t, list, "no invalid connection was stored")
	})
}

func TestCreateRejectsInvalidProviderCredentials(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		_, privateKey := testKeys(t)
		tests := []struct {
			name  string
			input connections.Input
			want  map[string]string
		}{
			{name: "telnyx key not base64", input: connections.Input{Provider: "telnyx", Credentials: map[string]string{"api_key": "k", "public_key": "not a key"}},
				want: map[string]string{"credentials.public_key": "must be base64 of a 32-byte Ed25519 public key"}},
			{name: "telnyx missing api key", input: connections.Input{Provider: "telnyx", Credentials: map[string]string{"public_key": base64Of("0123456789abcdef0123456789abcdef")}},
				want: map[string]string{"credentials.api_key": "is required for telnyx connections"}},
			{name: "vonage application without key", input: connections.Input{Provider: "vonage", Credentials: map[string]string{"signing_secret": "s", "api_key": "app"}},
				want: map[string]string{"credentials": "need api_key (the application ID) and auth_token (its private key) together"}},
			{name: "vonage key not PEM", input: connections.Input{Provider: "vonage", Credentials: map[string]string{"signing_secret": "s", "api_key": "app", "auth_token": "secret"}},
				want: map[string]string{"credentials.auth_token": "must be the Vonage application's RSA private key in PEM form"}},
			{name: "vonage without signing secret", input: connections.Input{Provider: "vonage", Credentials: map[string]string{"api_key": "app", "auth_token": privateKey}},
				want: map[string]string{"credentials.signing_secret": "is required for vonage connections"}},
			{name: "aircall missing webhook token", input: connections.Input{Provider: "aircall", Credentials: map[string]string{"account_id": "a", "auth_token": "b"}},
				want: map[string]string{"credentials.webhook_token": "is required for aircall connections"}},
			{name: "aircall cannot route to voicemail", input: connections.Input{Provider: "aircall", Credentials: map[string]string{"account_id": "a", "auth_token": "b", "webhook_token": "c"},
				DefaultRoute: &telephony.Route{Kind: telephony.TargetVoicemail}},
				want: map[string]string{"default_route.kind": "aircall connections cannot route to voicemail"}},
			{name: "aircall rule to sip", input: connections.Input{Provider: "aircall", Credentials: map[string]string{"account_id": "a", "auth_token": "b", "webhook_token": "c"},
				RoutingRules: []routing.Rule{{Name: "desk", When: "true", Route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:desk@pbx.example.com"}}}},
				want: map[string]string{"routing_rules[0].route.kind": "aircall connections cannot route to sip"}},
			{name: "twilio account sid malformed", input: connections.Input{Provider: "twilio", Credentials: map[string]string{"account_id": "XYZ", "auth_token": "t"}},
				want: map[string]string{"credentials.account_id": `"XYZ" is not a Twilio Account SID`}},
			{name: "generic secret malformed", input: connections.Input{Provider: "generic", Credentials: map[string]string{"signing_secret": "whsec_***"}},
				want: map[string]string{"credentials.signing_secret": "must be whsec_ followed by base64"}},
			{name: "generic takes no options", input: connections.Input{Provider: "generic", Options: connections.Options{SIPDomain: "pbx.example.com"}},
				want: map[string]string{"options.sip_domain": "is not an option of generic connections"}},
			{name: "vonage language tag", input: connections.Input{Provider: "vonage", Credentials: map[string]string{"signing_secret": "s"}, Options: connections.Options{TalkLanguage: "German"}},
				want: map[string]string{"options.talk_language": `"German" is not a language tag`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := tt.input
				in.Name = tt.name
				if in.DefaultRoute == nil {
					in.DefaultRoute = &telephony.Route{Kind: telephony.TargetQueue, Target: "7"}
				}
				_, _, err := f.svc.Create(f.ctx, f.ws, in)
				requireFieldErrors(t, err, tt.want)
			})
		}
	})
}

func TestUpdateMergesCredentials(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
		require.NoError(t, err)

		updated, err := f.svc.Update(f.ctx, f.ws, s.ID, connections.Patch{
			Name:        ptr("Renamed"),
			Credentials: map[string]string{"auth_token": "rotated-token"},
			Options:     &connections.Options{VoicemailGreeting: "Leave a message."},
			Enabled:     ptr(false),
		})
		require.NoError(t, err)
		require.Equal(t, "Renamed", updated.Name)
		require.False(t, updated.Enabled)
		require.Greater(t, updated.UpdatedAt.UnixMilli(), s.UpdatedAt.UnixMilli()-1)

		got, err := f.svc.Get(f.ctx, f.ws, s.ID)
		require.NoError(t, err)
		require.Equal(t, "rotated-token", got.Credentials.AuthToken)
		require.Equal(t, "AC0123456789abcdef0123456789abcdef", got.Credentials.AccountID, "fields left out keep their value")
		require.Equal(t, connections.Options{VoicemailGreeting: "Leave a message."}, got.Options)
		require.Equal(t, "+14155550100", got.DefaultRoute.Target, "unchanged fields stay")
		require.False(t, got.Enabled)
	})
}

func TestUpdateRejectsClearingRequiredCredential(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
		require.NoError(t, err)

		_, err = f.svc.Update(f.ctx, f.ws, s.ID, connections.Patch{Credentials: map[string]string{"auth_token": ""}})
		requireFieldErrors(t, err, map[string]string{"credentials.auth_token": "is required for twilio connections"})

		_, err = f.svc.Update(f.ctx, f.ws, s.ID, connections.Patch{DefaultRoute: &telephony.Route{}})
		requireFieldErrors(t, err, map[string]string{"default_route.kind": "missing"})

		got, err := f.svc.Get(f.ctx, f.ws, s.ID)
		require.NoError(t, err)
		require.Equal(t, "twilio-auth-token", got.Credentials.AuthToken)
	})
}

func TestOtherWorkspaceCannotReachConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
		require.NoError(t, err)

		_, err = f.svc.Get(f.ctx, f.otherWS, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.svc.Update(f.ctx, f.otherWS, s.ID, connections.Patch{Name: ptr("Mine")})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, f.svc.Delete(f.ctx, f.otherWS, s.ID), store.ErrNotFound)
		list, err := f.svc.List(f.ctx, f.otherWS)
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func TestDeleteConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
		require.NoError(t, err)

		require.NoError(t, f.svc.Delete(f.ctx, f.ws, s.ID))
		_, err = f.svc.Get(f.ctx, f.ws, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.svc.Load(f.ctx, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// requireFieldErrors requires err to be a validation error with exactly
// the fields of want, each reason containing the text given.
func requireFieldErrors(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var verr *validation.Error
	require.True(t, errors.As(err, &verr), "want a validation error, got %v", err)
	got := map[string]string{}
	for _, f := range verr.Fields {
		got[f.Field] = f.Reason
	}
	require.Len(t, got, len(want), "fields: %v", got)
	for field, reason := range want {
		require.Contains(t, got, field, "fields: %v", got)
		require.Contains(t, got[field], reason)
	}
}

func credentialField(c telephony.Credentials, name string) string {
	var fields map[string]string
	raw, _ := json.Marshal(c)
	_ = json.Unmarshal(raw, &fields)
	return fields[name]
}

func ptr[T any](v T) *T { return &v }
