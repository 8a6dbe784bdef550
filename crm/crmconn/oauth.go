package crmconn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// LabelOAuthState names the subkey that signs OAuth state parameters.
// Changing it invalidates every authorization in progress.
const LabelOAuthState = "switchboard crm oauth state v1"

// StateTTL is how long an authorization may take, from AuthorizeURL to
// CompleteAuthorization.
const StateTTL = 15 * time.Minute

// ErrInvalidState is returned (wrapped) when an OAuth state parameter is
// altered, expired or made with another master key.
var ErrInvalidState = errors.New("OAuth state is invalid or expired")

// AuthorizationError is the CRM's rejection of an authorization code or of
// the OAuth client, with the RFC 6749 error code and description.
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("the CRM rejected the authorization: %s: %s", e.Code, e.Description)
	}
	return "the CRM rejected the authorization: " + e.Code
}

// defaultEndpoints are the OAuth 2.0 endpoints of each kind, as each CRM
// documents them (2026): HubSpot's authorize page and v3 token endpoint,
// Pipedrive's oauth.pipedrive.com, which takes the client credentials in
// a Basic Authorization header, and Salesforce's production login; a
// sandbox or My Domain replaces them with auth.authorize_url and
// auth.token_url. Generic connections have none.
var defaultEndpoints = map[crm.Kind]oauth2.Endpoint{
	crm.KindHubSpot: {
		AuthURL:   "https://app.hubspot.com/oauth/authorize",
		TokenURL:  "https://api.hubapi.com/oauth/v3/token",
		AuthStyle: oauth2.AuthStyleInParams,
	},
	crm.KindPipedrive: {
		AuthURL:   "https://oauth.pipedrive.com/oauth/authorize",
		TokenURL:  "https://oauth.pipedrive.com/oauth/token",
		AuthStyle: oauth2.AuthStyleInHeader,
	},
	crm.KindSalesforce: {
		AuthURL:   "https://login.salesforce.com/services/oauth2/authorize",
		TokenURL:  "https://login.salesforce.com/services/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams,
	},
}

// defaultScopes are requested when a connection lists none. HubSpot needs
// the scopes its app requires; these read contacts, their properties and
// owners. Pipedrive takes the scopes from the app's settings. Salesforce
// issues a refresh token only with the refresh_token scope.
var defaultScopes = map[crm.Kind][]string{
	crm.KindHubSpot:    {"crm.objects.contacts.read", "crm.schemas.contacts.read", "crm.objects.owners.read"},
	crm.KindSalesforce: {"api", "refresh_token"},
}

// endpointOf returns the OAuth endpoints a connection uses: its own URLs,
// else the kind's defaults.
func endpointOf(kind crm.Kind, a AuthConfig) oauth2.Endpoint {
	endpoint := defaultEndpoints[kind]
	if a.AuthorizeURL != "" {
		endpoint.AuthURL = a.AuthorizeURL
	}
	if a.TokenURL != "" {
		endpoint.TokenURL = a.TokenURL
	}
	if endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return endpoint
}

func scopesOf(kind crm.Kind, a AuthConfig) []string {
	if len(a.Scopes) > 0 {
		return a.Scopes
	}
	return defaultScopes[kind]
}

func oauthConfig(kind crm.Kind, a AuthConfig, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret,
		Endpoint:     endpointOf(kind, a),
		RedirectURL:  redirectURL,
		Scopes:       scopesOf(kind, a),
	}
}

// oauthState is the content of the signed state parameter.
type oauthState struct {
	WorkspaceID  string `json:"w"`
	ConnectionID string `json:"c"`
	RedirectURL  string `json:"r"`
	ExpiresAt    int64  `json:"e"`
	Nonce        string `json:"n"`
}

// signState returns st as base64url JSON, a dot and its HMAC-SHA256.
func signState(key []byte, st oauthState) (string, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode OAuth state: %w", err)
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, body)), nil
}

func stateMAC(key []byte, body string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return mac.Sum(nil)
}

// verifyState checks the signature and expiry of state and returns what it
// carries.
func verifyState(key []byte, state string, now time.Time) (oauthState, error) {
	var st oauthState
	body, sig, ok := strings.Cut(state, ".")
	if !ok {
		return st, fmt.Errorf("%w: it has no signature", ErrInvalidState)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, stateMAC(key, body)) {
		return st, fmt.Errorf("%w: the signature does not match", ErrInvalidState)
	}

	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(payload, &st) != nil {
		return st, fmt.Errorf("%w: it cannot be decoded", ErrInvalidState)
	}
	if now.Unix() > st.ExpiresAt {
		return st, fmt.Errorf("%w: it expired at %s; start the authorization again", ErrInvalidState,
			time.Unix(st.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	return st, nil
}

// AuthorizeURL returns the CRM's consent page for the OAuth connection id
// of the workspace. The CRM sends the admin back to redirectURL with the
// code, so it must be registered with the CRM app; it is usually the
// gateway's /oauth/callback/crm. The state parameter binds the callback to
// this workspace, connection and redirect URL for StateTTL.
func (svc *Service) AuthorizeURL(ctx context.Context, workspaceID, id, redirectURL string) (string, error) {
	conn, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return "", err
	}
	if conn.Auth.Type != AuthOAuth2 {
		return "", fmt.Errorf("%w: CRM connection %s authenticates with a token, not OAuth", ErrNotOAuth, id)
	}
	if reason := checkHTTPURL(redirectURL); reason != "" {
		return "", validation.New("redirect_uri", "%s", reason)
	}

	state, err := signState(svc.stateKey, oauthState{
		WorkspaceID:  workspaceID,
		ConnectionID: id,
		RedirectURL:  redirectURL,
		ExpiresAt:    svc.now().Add(StateTTL).Unix(),
		Nonce:        secret.RandomToken(12),
	})
	if err != nil {
		return "", err
	}
	return oauthConfig(conn.Kind, conn.Auth.AuthConfig, redirectURL).AuthCodeURL(state), nil
}

// CompleteAuthorization checks state, exchanges code for tokens at the
// CRM's token endpoint and stores them encrypted. redirectURL must be the
// one given to AuthorizeURL; empty takes it from the state. A Salesforce
// answer's instance_url becomes the connection's settings.instance_url,
// and Pipedrive's api_domain its API root.
func (svc *Service) CompleteAuthorization(ctx context.Context, state, code, redirectURL string) (Connection, error) {
	st, err := verifyState(svc.stateKey, state, svc.now())
	if err != nil {
		return Connection{}, err
	}
	if redirectURL != "" && redirectURL != st.RedirectURL {
		return Connection{}, fmt.Errorf("%w: the redirect URL differs from the one the authorization started with", ErrInvalidState)
	}
	if strings.TrimSpace(code) == "" {
		return Connection{}, validation.New("code", "is missing: the CRM sends it to the redirect URL")
	}

	conn, err := svc.Get(ctx, st.WorkspaceID, st.ConnectionID)
	if err != nil {
		return Connection{}, err
	}
	if conn.Auth.Type != AuthOAuth2 {
		return Connection{}, fmt.Errorf("%w: CRM connection %s authenticates with a token, not OAuth", ErrNotOAuth, conn.ID)
	}

	token, err := oauthConfig(conn.Kind, conn.Auth.AuthConfig, st.RedirectURL).Exchange(svc.oauthContext(ctx), code)
	if err != nil {
		return Connection{}, tokenError("exchange the authorization code", err)
	}
	return svc.storeAuthorization(ctx, conn, token)
}

// storeAuthorization saves the tokens of a completed authorization and the
// settings the token response carries.
func (svc *Service) storeAuthorization(ctx context.Context, conn Connection, token *oauth2.Token) (Connection, error) {
	authorizedAt := svc.now().UTC()
	auth, err := svc.updateAuth(ctx, conn.WorkspaceID, conn.ID, func(a *Auth) error {
		*a = a.clearTokens().withToken(token)
		a.AuthorizedAt = authorizedAt
		return nil
	})
	if err != nil {
		return Connection{}, err
	}
	conn.Auth = auth
	svc.source(conn).reset(auth.token())

	if instance, ok := token.Extra("instance_url").(string); ok && conn.Kind == crm.KindSalesforce && instance != "" {
		instance = strings.TrimRight(instance, "/")
		if instance != conn.Settings.InstanceURL {
			conn.Settings.InstanceURL = instance
			if err := svc.saveSettings(ctx, &conn); err != nil {
				return Connection{}, err
			}
		}
	}
	svc.log.Info("CRM connection authorized", svcFields(conn)...)
	return conn, nil
}

// tokenError classifies an error of the token endpoint. An OAuth error
// response (4xx) becomes an *AuthorizationError, and anything else is
// wrapped in crm.ErrUnavailable.
func tokenError(action string, err error) error {
	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) && retrieveErr.Response != nil &&
		retrieveErr.Response.StatusCode >= 400 && retrieveErr.Response.StatusCode < 500 {
		code := retrieveErr.ErrorCode
		if code == "" {
			code = fmt.Sprintf("HTTP %d", retrieveErr.Response.StatusCode)
		}
		return fmt.Errorf("%s: %w", action, &AuthorizationError{Code: code, Description: retrieveErr.ErrorDescription})
	}
	if errors.As(err, &retrieveErr) && retrieveErr.Response != nil {
		return fmt.Errorf("%w: %s: the token endpoint returned HTTP %d", crm.ErrUnavailable, action, retrieveErr.Response.StatusCode)
	}
	return fmt.Errorf("%w: %s: %w", crm.ErrUnavailable, action, err)
}

// oauthContext returns ctx carrying the HTTP client x/oauth2 sends token
// requests with.
func (svc *Service) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: svc.transport, Timeout: svc.timeout})
}
