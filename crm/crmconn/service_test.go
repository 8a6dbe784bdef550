package crmconn_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/hubspot"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/crm/pipedrive"
	"github.com/switchboard-oss/switchboard/crm/salesforce"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func hubspotTokenInput() crmconn.Input {
	return crmconn.Input{
		Kind:     "hubspot",
		Name:     " HubSpot ",
		Auth:     &crmconn.AuthConfig{Type: "token", Token: " pat-na1-0123 "},
		Settings: crmconn.Settings{PortalID: "123456"},
	}
}

func TestCreateTokenConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		enabled := true

		in := hubspotTokenInput()
		in.SyncEnabled = &enabled
		conn, err := f.svc.Create(f.ctx, f.ws, in)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(conn.ID, "crm_"))
		require.Equal(t, "HubSpot", conn.Name)
		require.Equal(t, 300, conn.SyncIntervalSeconds)
		require.True(t, conn.SyncEnabled)

		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, crm.KindHubSpot, got.Kind)
		require.Equal(t, "pat-na1-0123", got.Auth.Token, "stored trimmed")
		require.Equal(t, "123456", got.Settings.PortalID)
		require.Nil(t, got.Mapping)
		require.Equal(t, mapping.Default(crm.KindHubSpot), got.EffectiveMapping())

		rec, err := st.GetCRMConnection(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.NotContains(t, rec.Credentials, "pat-na1", "credentials are stored encrypted")
		require.Equal(t, crmconn.AuthSummary{Type: "token", Token: "set", Authorized: true}, crmconn.Summarize(got.Kind, got.Auth))
	})
}

func TestCreateRejectsInvalidInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tests := []struct {
			name   string
			change func(*crmconn.Input)
			want   map[string]string // field name → part of the reason
		}{
			{name: "unknown kind", change: func(in *crmconn.Input) { in.Kind = "zoho" },
				want: map[string]string{"kind": `"zoho" is not a supported CRM: use hubspot, pipedrive, salesforce or generic`}},
			{name: "missing name and auth", change: func(in *crmconn.Input) { in.Name, in.Auth = "", nil },
				want: map[string]string{"name": "is required", "auth": "is required"}},
			{name: "token missing", change: func(in *crmconn.Input) { in.Auth.Token = "" },
				want: map[string]string{"auth.token": "is required with the token type"}},
			{name: "oauth field with token", change: func(in *crmconn.Input) { in.Auth.ClientID = "x" },
				want: map[string]string{"auth.client_id": "only read with the oauth2 type"}},
			{name: "unknown auth type", change: func(in *crmconn.Input) { in.Auth.Type = "basic" },
				want: map[string]string{"auth.type": `"basic" is not an authentication type`}},
			{name: "oauth without client", change: func(in *crmconn.Input) { in.Auth = &crmconn.AuthConfig{Type: "oauth2", Scopes: []string{"a b"}} },
				want: map[string]string{"auth.client_id": "is required", "auth.client_secret": "is required", "auth.scopes[0]": "is not a scope"}},
			{name: "generic oauth needs endpoints", change: func(in *crmconn.Input) {
				in.Kind, in.Settings = "generic", crmconn.Settings{Config: genericConfig()}
				in.Auth = &crmconn.AuthConfig{Type: "oauth2", ClientID: "c", ClientSecret: "s"}
			}, want: map[string]string{"auth.authorize_url": "no default OAuth endpoints", "auth.token_url": "no default OAuth endpoints"}},
			{name: "bad base url", change: func(in *crmconn.Input) { in.BaseURL = "ftp://crm.example.com" },
				want: map[string]string{"base_url": "is not an absolute http or https URL"}},
			{name: "setting of another kind", change: func(in *crmconn.Input) { in.Settings.CompanyDomain = "acme" },
				want: map[string]string{"settings.company_domain": "is not a setting of hubspot connections"}},
			{name: "generic setting on hubspot", change: func(in *crmconn.Input) { in.Settings.Config = &generic.Config{IDPath: "id"} },
				want: map[string]string{"settings.id_path": "is not a setting of hubspot connections"}},
			{name: "generic without lookup", change: func(in *crmconn.Input) {
				in.Kind, in.Settings = "generic", crmconn.Settings{Config: &generic.Config{IDPath: "id", DisplayNamePath: "name"}}
			}, want: map[string]string{"settings.lookup_url_template": "is required"}},
			{name: "generic with base url", change: func(in *crmconn.Input) {
				in.Kind, in.BaseURL, in.Settings = "generic", "https://crm.example.com", crmconn.Settings{Config: genericConfig()}
			}, want: map[string]string{"base_url": "is not read by generic connections"}},
			{name: "bad portal id", change: func(in *crmconn.Input) { in.Settings.PortalID = "acme" },
				want: map[string]string{"settings.portal_id": "digits only"}},
			{name: "salesforce token without instance", change: func(in *crmconn.Input) {
				in.Kind, in.Settings = "salesforce", crmconn.Settings{Objects: []string{"Opportunity"}}
			}, want: map[string]string{"settings.instance_url": "is required with token authentication", "settings.objects[0]": "must be Contact, Lead or Account"}},
			{name: "pipedrive bad domain", change: func(in *crmconn.Input) {
				in.Kind, in.Settings = "pipedrive", crmconn.Settings{CompanyDomain: "acme.pipedrive.com"}
			}, want: map[string]string{"settings.company_domain": "must be the subdomain"}},
			{name: "sync interval", change: func(in *crmconn.Input) { n := 5; in.SyncIntervalSeconds = &n },
				want: map[string]string{"sync_interval_seconds": "5 is out of range"}},
			{name: "unknown phonebook", change: func(in *crmconn.Input) { in.PhonebookID = "pb_missing" },
				want: map[string]string{"phonebook_id": `no phonebook "pb_missing" exists in this workspace`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := hubspotTokenInput()
				tt.change(&in)

				_, err := f.svc.Create(f.ctx, f.ws, in)

				requireFieldErrors(t, err, tt.want)
			})
		}
	})
}

// genericConfig is a valid generic connector configuration.
func genericConfig() *generic.Config {
	return &generic.Config{LookupURLTemplate: "https://crm.example.com/api/contacts?phone={e164}", IDPath: "id", DisplayNamePath: "name"}
}

func TestSettingsJSONIsFlat(t *testing.T) {
	raw := `{"lookup_url_template":"https://crm.example.com/api/contacts?phone={e164}","id_path":"id","display_name_path":"name","phone_paths":["phones.#.number"]}`
	var s crmconn.Settings
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()

	require.NoError(t, dec.Decode(&s))
	require.Equal(t, []string{"phones.#.number"}, s.PhonePaths)
	encoded, err := json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, raw, string(encoded))

	hubspot, err := json.Marshal(crmconn.Settings{PortalID: "1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"portal_id":"1"}`, string(hubspot), "no generic field shows on other kinds")
}

func requireFieldErrors(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var verr *validation.Error
	require.True(t, errors.As(err, &verr), "error: %v", err)
	got := map[string]string{}
	for _, f := range verr.Fields {
		got[f.Field] = f.Reason
	}
	require.Len(t, got, len(want), "errors: %v", got)
	for field, reason := range want {
		require.Contains(t, got[field], reason, "field %s", field)
	}
}

func TestCreateSalesforceOAuthWithoutInstance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		in := f.oauthInput("salesforce")
		in.BaseURL = ""

		conn, err := f.svc.Create(f.ctx, f.ws, in)

		require.NoError(t, err, "OAuth fills instance_url when the admin authorizes")
		require.False(t, conn.Auth.Authorized())
	})
}

func TestUpdateConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, hubspotTokenInput())
		require.NoError(t, err)
		name, interval := "Renamed", 600

		updated, err := f.svc.Update(f.ctx, f.ws, conn.ID, crmconn.Patch{
			Name: &name, SyncIntervalSeconds: &interval, Auth: &crmconn.AuthConfig{Type: "token"},
		})
		require.NoError(t, err)
		require.Equal(t, "Renamed", updated.Name)
		require.Greater(t, updated.UpdatedAt.UnixMilli(), conn.UpdatedAt.UnixMilli())

		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, "pat-na1-0123", got.Auth.Token, "an empty token keeps the stored one")
		require.Equal(t, 600, got.SyncIntervalSeconds)
		require.Equal(t, "123456", got.Settings.PortalID, "settings not sent are kept")

		_, err = f.svc.Update(f.ctx, f.ws, conn.ID, crmconn.Patch{Settings: &crmconn.Settings{InstanceURL: "https://x.my.salesforce.com"}})
		requireFieldErrors(t, err, map[string]string{"settings.instance_url": "is not a setting of hubspot connections"})
	})
}

func TestUpdateOAuthClientKeepsOrDropsTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		sameClient := *f.oauthInput("hubspot").Auth
		sameClient.ClientSecret = ""
		sameClient.Scopes = []string{"crm.objects.contacts.read"}

		_, err := f.svc.Update(f.ctx, f.ws, conn.ID, crmconn.Patch{Auth: &sameClient})
		require.NoError(t, err)
		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, "client-secret-1", got.Auth.ClientSecret, "an empty secret keeps the stored one")
		require.Equal(t, "rt-1", got.Auth.RefreshToken, "tokens stay while the client stays")
		require.Equal(t, []string{"crm.objects.contacts.read"}, got.Auth.Scopes)

		otherClient := sameClient
		otherClient.ClientID, otherClient.ClientSecret = "client-2", "secret-2"
		_, err = f.svc.Update(f.ctx, f.ws, conn.ID, crmconn.Patch{Auth: &otherClient})
		require.NoError(t, err)
		got, err = f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Empty(t, got.Auth.RefreshToken, "tokens of another client are dropped")
		require.False(t, got.Auth.Authorized())

		_, err = f.svc.Update(f.ctx, f.ws, conn.ID, crmconn.Patch{Auth: &crmconn.AuthConfig{Type: "oauth2", ClientID: "client-3"}})
		requireFieldErrors(t, err, map[string]string{"auth.client_secret": "is required"})
	})
}

func TestConnectionsOfOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, hubspotTokenInput())
		require.NoError(t, err)
		name := "Taken over"

		_, err = f.svc.Get(f.ctx, f.otherWS, conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.svc.Update(f.ctx, f.otherWS, conn.ID, crmconn.Patch{Name: &name})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.svc.AuthorizeURL(f.ctx, f.otherWS, conn.ID, "https://switchboard.example.com/cb")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.svc.Test(f.ctx, f.otherWS, conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, f.svc.Delete(f.ctx, f.otherWS, conn.ID), store.ErrNotFound)
		list, err := f.svc.List(f.ctx, f.otherWS)
		require.NoError(t, err)
		require.Empty(t, list)

		require.NoError(t, f.svc.Delete(f.ctx, f.ws, conn.ID))
		_, err = f.svc.Get(f.ctx, f.ws, conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestHTTPClientSendsTokenPerKind(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tests := []struct {
			kind       string
			settings   crmconn.Settings
			wantHeader map[string]string
		}{
			{kind: "hubspot", wantHeader: map[string]string{"authorization": "Bearer api-token", "x_api_token": ""}},
			{kind: "pipedrive", wantHeader: map[string]string{"authorization": "", "x_api_token": "api-token"}},
			{kind: "salesforce", settings: crmconn.Settings{InstanceURL: f.crm.URL()}, wantHeader: map[string]string{"authorization": "Bearer api-token", "x_api_token": ""}},
			{kind: "generic", settings: crmconn.Settings{Config: genericConfig()}, wantHeader: map[string]string{"authorization": "Bearer api-token", "x_api_token": ""}},
		}
		for _, tt := range tests {
			t.Run(tt.kind, func(t *testing.T) {
				conn, err := f.svc.Create(f.ctx, f.ws, crmconn.Input{
					Kind: tt.kind, Name: tt.kind, Settings: tt.settings, Auth: &crmconn.AuthConfig{Type: "token", Token: "api-token"},
				})
				require.NoError(t, err)
				client, err := f.svc.HTTPClient(conn)
				require.NoError(t, err)

				got := getJSON(t, client, f.crm.URL()+"/api/echo")

				require.Equal(t, tt.wantHeader, got)
			})
		}
	})
}

func getJSON(t *testing.T, client *http.Client, url string) map[string]string {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", body)
	var out map[string]string
	require.NoError(t, json.Unmarshal(body, &out))
	return out
}

func TestUnauthorizedOAuthConnectionHasNoClient(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput("hubspot"))
		require.NoError(t, err)

		_, err = f.svc.HTTPClient(conn)
		require.ErrorIs(t, err, crmconn.ErrNotAuthorized)
		_, err = f.svc.Test(f.ctx, f.ws, conn.ID)
		require.ErrorIs(t, err, crmconn.ErrNotAuthorized)
		require.Equal(t, crmconn.AuthSummary{
			Type: "oauth2", ClientID: "client-1", ClientSecret: "set",
			AuthorizeURL: f.crm.URL() + "/oauth/authorize", TokenURL: f.crm.URL() + "/oauth/token",
			Scopes: []string{"crm.objects.contacts.read", "crm.schemas.contacts.read", "crm.objects.owners.read"},
		}, crmconn.Summarize(conn.Kind, conn.Auth))
	})
}

func TestOpenBuildsConnectorPerKind(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tests := []struct {
			kind     string
			settings crmconn.Settings
			want     any
		}{
			{kind: "hubspot", want: &hubspot.Connector{}},
			{kind: "pipedrive", settings: crmconn.Settings{CompanyDomain: "acme"}, want: &pipedrive.Connector{}},
			{kind: "salesforce", settings: crmconn.Settings{InstanceURL: "https://acme.my.salesforce.com"}, want: &salesforce.Connector{}},
			{kind: "generic", settings: crmconn.Settings{Config: genericConfig()}, want: &generic.Connector{}},
		}
		for _, tt := range tests {
			t.Run(tt.kind, func(t *testing.T) {
				conn, err := f.svc.Create(f.ctx, f.ws, crmconn.Input{
					Kind: tt.kind, Name: tt.kind, Settings: tt.settings, Auth: &crmconn.AuthConfig{Type: "token", Token: "api-token"},
				})
				require.NoError(t, err)

				_, connector, err := f.svc.Open(f.ctx, f.ws, conn.ID)
				require.NoError(t, err)
				require.IsType(t, tt.want, connector)
				require.Equal(t, crm.Kind(tt.kind), connector.Kind())

				_, again, err := f.svc.Open(f.ctx, f.ws, conn.ID)
				require.NoError(t, err)
				require.Same(t, connector, again, "an unchanged connection reuses its connector")
			})
		}
	})
}

func TestPreviewWithRecordNeedsNoCRM(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput("hubspot")) // not authorized: the CRM cannot be called
		require.NoError(t, err)
		record := &crmconn.RecordInput{ID: "7", Properties: map[string]any{"lastname": "Lee", "phone": "415-555-0142"}}

		preview, err := f.svc.Preview(f.ctx, f.ws, conn.ID, crmconn.PreviewInput{Record: record})
		require.NoError(t, err)
		require.Equal(t, "default", preview.MappingSource)
		require.Equal(t, "Lee", preview.Contact.LastName)
		require.Equal(t, "7", preview.Contact.ExternalID)

		bad := &mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "nickname", Source: "lastname"}}}
		_, err = f.svc.Preview(f.ctx, f.ws, conn.ID, crmconn.PreviewInput{Record: record, Mapping: bad})
		requireFieldErrors(t, err, map[string]string{"mapping.fields[0].target": "is not a contact field"})
	})
}
