package crmconn_test

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

const redirectURL = "https://switchboard.example.com/oauth/callback/crm"

func TestAuthorizeURL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput("hubspot"))
		require.NoError(t, err)

		raw, err := f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirectURL)
		require.NoError(t, err)

		u := mustParse(t, raw)
		require.Equal(t, f.crm.URL()+"/oauth/authorize", u.Scheme+"://"+u.Host+u.Path)
		q := u.Query()
		require.Equal(t, "client-1", q.Get("client_id"))
		require.Equal(t, redirectURL, q.Get("redirect_uri"))
		require.Equal(t, "code", q.Get("response_type"))
		require.Equal(t, "crm.objects.contacts.read crm.schemas.contacts.read crm.objects.owners.read", q.Get("scope"))
		require.NotEmpty(t, q.Get("state"))
		require.NotContains(t, raw, "client-secret-1")
	})
}

func TestAuthorizeURLDefaultsPerKind(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tests := []struct {
			kind      string
			endpoint  string
			wantScope string
		}{
			{kind: "hubspot", endpoint: "https://app.hubspot.com/oauth/authorize", wantScope: "crm.objects.contacts.read crm.schemas.contacts.read crm.objects.owners.read"},
			{kind: "pipedrive", endpoint: "https://oauth.pipedrive.com/oauth/authorize", wantScope: ""},
			{kind: "salesforce", endpoint: "https://login.salesforce.com/services/oauth2/authorize", wantScope: "api refresh_token"},
		}
		for _, tt := range tests {
			t.Run(tt.kind, func(t *testing.T) {
				conn, err := f.svc.Create(f.ctx, f.ws, crmconn.Input{
					Kind: tt.kind, Name: tt.kind, Auth: &crmconn.AuthConfig{Type: "oauth2", ClientID: "c", ClientSecret: "s"},
				})
				require.NoError(t, err)

				raw, err := f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirectURL)

				require.NoError(t, err)
				require.True(t, strings.HasPrefix(raw, tt.endpoint+"?"), raw)
				require.Equal(t, tt.wantScope, mustParse(t, raw).Query().Get("scope"))
			})
		}
	})
}

func TestAuthorizeURLRejectsTokenConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, hubspotTokenInput())
		require.NoError(t, err)

		_, err = f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirectURL)

		require.ErrorIs(t, err, crmconn.ErrNotOAuth)
	})
}

func TestCompleteAuthorizationStoresTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)

		conn := f.authorize(t, "hubspot")

		require.True(t, conn.Auth.Authorized())
		require.Equal(t, "at-1", conn.Auth.AccessToken)
		require.Equal(t, "rt-1", conn.Auth.RefreshToken)
		require.WithinDuration(t, time.Now().Add(30*time.Minute), conn.Auth.Expiry, time.Minute)
		forms, _ := f.crm.tokenRequests()
		require.Len(t, forms, 1)
		require.Equal(t, url.Values{
			"grant_type": {"authorization_code"}, "code": forms[0]["code"], "redirect_uri": {redirectURL},
			"client_id": {"client-1"}, "client_secret": {"client-secret-1"},
		}, forms[0], "HubSpot takes the client credentials in the form")

		rec, err := st.GetCRMConnection(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.NotContains(t, rec.Credentials, "rt-1", "tokens are stored encrypted")
		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, "rt-1", got.Auth.RefreshToken)
		summary := crmconn.Summarize(got.Kind, got.Auth)
		require.True(t, summary.Authorized)
		require.Equal(t, "set", summary.RefreshToken)
		require.NotNil(t, summary.AccessTokenExpiresAt)
	})
}

func TestCompleteAuthorizationSalesforceInstanceURL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.extra = map[string]any{"instance_url": "https://acme.my.salesforce.com/", "id": "https://login.salesforce.com/id/00D/005"}

		conn := f.authorize(t, "salesforce")

		require.Equal(t, "https://acme.my.salesforce.com", conn.Settings.InstanceURL)
		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, "https://acme.my.salesforce.com", got.Settings.InstanceURL)
	})
}

func TestCompleteAuthorizationPipedriveBasicAuth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.extra = map[string]any{"api_domain": "https://acme.pipedrive.com"}

		conn := f.authorize(t, "pipedrive")

		forms, headers := f.crm.tokenRequests()
		require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("client-1:client-secret-1")), headers[0])
		require.Empty(t, forms[0].Get("client_secret"), "Pipedrive takes the client credentials in the header")
		require.Equal(t, "https://acme.pipedrive.com", conn.Auth.APIDomain)
	})
}

func TestCompleteAuthorizationRejects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput("hubspot"))
		require.NoError(t, err)
		raw, err := f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirectURL)
		require.NoError(t, err)
		state := mustParse(t, raw).Query().Get("state")
		body, sig, _ := strings.Cut(state, ".")

		t.Run("altered state", func(t *testing.T) {
			forged := base64.RawURLEncoding.EncodeToString([]byte(`{"w":"` + f.otherWS + `","c":"` + conn.ID + `","r":"` + redirectURL + `","e":9999999999}`))
			_, err := f.svc.CompleteAuthorization(f.ctx, forged+"."+sig, f.crm.issueCode(), "")
			require.ErrorIs(t, err, crmconn.ErrInvalidState)
		})
		t.Run("no signature", func(t *testing.T) {
			_, err := f.svc.CompleteAuthorization(f.ctx, body, f.crm.issueCode(), "")
			require.ErrorIs(t, err, crmconn.ErrInvalidState)
		})
		t.Run("other redirect", func(t *testing.T) {
			_, err := f.svc.CompleteAuthorization(f.ctx, state, f.crm.issueCode(), "https://evil.example.com/cb")
			require.ErrorIs(t, err, crmconn.ErrInvalidState)
		})
		t.Run("unknown code", func(t *testing.T) {
			_, err := f.svc.CompleteAuthorization(f.ctx, state, "code-unknown", "")
			var authErr *crmconn.AuthorizationError
			require.True(t, errors.As(err, &authErr), "error: %v", err)
			require.Equal(t, "invalid_grant", authErr.Code)
			require.Equal(t, "code expired", authErr.Description)
		})
		t.Run("expired state", func(t *testing.T) {
			f.clock.advance(crmconn.StateTTL + time.Second)
			_, err := f.svc.CompleteAuthorization(f.ctx, state, f.crm.issueCode(), "")
			require.ErrorIs(t, err, crmconn.ErrInvalidState)
			require.ErrorContains(t, err, "expired")
		})

		got, err := f.svc.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.False(t, got.Auth.Authorized(), "no attempt stored tokens")
	})
}

func TestCompleteAuthorizationStateOfDeletedConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn, err := f.svc.Create(f.ctx, f.ws, f.oauthInput("hubspot"))
		require.NoError(t, err)
		raw, err := f.svc.AuthorizeURL(f.ctx, f.ws, conn.ID, redirectURL)
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.ctx, f.ws, conn.ID))

		_, err = f.svc.CompleteAuthorization(f.ctx, mustParse(t, raw).Query().Get("state"), f.crm.issueCode(), "")

		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
