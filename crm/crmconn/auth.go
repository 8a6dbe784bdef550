package crmconn

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// AuthConfig is a connection's authentication method as an admin writes
// it: a token, or an OAuth 2.0 client that an admin then authorizes.
type AuthConfig struct {
	// Type is AuthToken or AuthOAuth2.
	Type string `json:"type"`
	// Token is a HubSpot private app token, a Pipedrive API token, a
	// Salesforce access token or the generic CRM's token.
	Token string `json:"token,omitempty"`
	// ClientID and ClientSecret identify the OAuth app registered at the
	// CRM.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// AuthorizeURL and TokenURL replace the kind's OAuth endpoints, such
	// as a Salesforce sandbox or My Domain login URL. A generic connection
	// must set both.
	AuthorizeURL string `json:"authorize_url,omitempty"`
	TokenURL     string `json:"token_url,omitempty"`
	// Scopes replace the kind's default scopes.
	Scopes []string `json:"scopes,omitempty"`
}

// Auth is a connection's stored authentication: its configuration and,
// for OAuth, the tokens the CRM issued.
type Auth struct {
	AuthConfig
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// APIDomain is the API root Pipedrive names in its token response,
	// such as https://acme.pipedrive.com.
	APIDomain    string    `json:"api_domain,omitempty"`
	AuthorizedAt time.Time `json:"authorized_at,omitzero"`
}

// Authorized reports whether the connection has what it needs to call the
// CRM: a token, or OAuth tokens from an authorization.
func (a Auth) Authorized() bool {
	if a.Type == AuthToken {
		return a.Token != ""
	}
	return a.AccessToken != "" || a.RefreshToken != ""
}

// token returns the OAuth tokens as an oauth2.Token.
func (a Auth) token() *oauth2.Token {
	return &oauth2.Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, TokenType: a.TokenType, Expiry: a.Expiry}
}

// withToken returns a with the tokens of t. A refresh response without a
// refresh token keeps the stored one, as RFC 6749 section 6 allows.
func (a Auth) withToken(t *oauth2.Token) Auth {
	a.AccessToken = t.AccessToken
	a.TokenType = t.TokenType
	a.Expiry = t.Expiry
	if t.RefreshToken != "" {
		a.RefreshToken = t.RefreshToken
	}
	if domain, ok := t.Extra("api_domain").(string); ok && domain != "" {
		a.APIDomain = strings.TrimRight(domain, "/")
	}
	return a
}

// clearTokens returns a without OAuth tokens.
func (a Auth) clearTokens() Auth {
	return Auth{AuthConfig: a.AuthConfig}
}

// applyAuth returns stored with the configuration in replaced by in, as
// Patch describes.
func applyAuth(kind crm.Kind, stored Auth, in AuthConfig) Auth {
	in = trimAuth(in)
	sameType := in.Type == stored.Type
	if sameType && in.Type == AuthToken && in.Token == "" {
		in.Token = stored.Token
	}
	sameClient := sameType && in.Type == AuthOAuth2 && in.ClientID == stored.ClientID
	if sameClient && in.ClientSecret == "" {
		in.ClientSecret = stored.ClientSecret
	}

	if sameClient && endpointOf(kind, in).TokenURL == endpointOf(kind, stored.AuthConfig).TokenURL {
		next := stored
		next.AuthConfig = in
		return next
	}
	return Auth{AuthConfig: in}
}

func trimAuth(in AuthConfig) AuthConfig {
	in.Type = strings.TrimSpace(in.Type)
	in.Token = strings.TrimSpace(in.Token)
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	in.AuthorizeURL = strings.TrimSpace(in.AuthorizeURL)
	in.TokenURL = strings.TrimSpace(in.TokenURL)
	return in
}

// checkAuth adds an error under auth.{field} for every invalid field.
func checkAuth(v *validation.Error, kind crm.Kind, a Auth) {
	switch a.Type {
	case AuthToken:
		checkTokenAuth(v, a.AuthConfig)
	case AuthOAuth2:
		checkOAuthConfig(v, kind, a.AuthConfig)
	case "":
		v.Add("auth.type", "is required: use token or oauth2")
	default:
		v.Add("auth.type", "%q is not an authentication type: use token or oauth2", a.Type)
	}
}

func checkTokenAuth(v *validation.Error, a AuthConfig) {
	switch {
	case a.Token == "":
		v.Add("auth.token", "is required with the token type")
	case len(a.Token) > MaxSecretLength:
		v.Add("auth.token", "is %d bytes long, the maximum is %d", len(a.Token), MaxSecretLength)
	}
	oauthFields := []struct {
		name string
		set  bool
	}{
		{"client_id", a.ClientID != ""}, {"client_secret", a.ClientSecret != ""}, {"authorize_url", a.AuthorizeURL != ""},
		{"token_url", a.TokenURL != ""}, {"scopes", len(a.Scopes) > 0},
	}
	for _, f := range oauthFields {
		if f.set {
			v.Add("auth."+f.name, "is only read with the oauth2 type: leave it out")
		}
	}
}

func checkOAuthConfig(v *validation.Error, kind crm.Kind, a AuthConfig) {
	if a.Token != "" {
		v.Add("auth.token", "is only read with the token type: OAuth tokens come from the authorization")
	}
	if a.ClientID == "" {
		v.Add("auth.client_id", "is required with the oauth2 type: the client id of your app at the CRM")
	}
	switch {
	case a.ClientSecret == "":
		v.Add("auth.client_secret", "is required with the oauth2 type: the client secret of your app at the CRM")
	case len(a.ClientSecret) > MaxSecretLength:
		v.Add("auth.client_secret", "is %d bytes long, the maximum is %d", len(a.ClientSecret), MaxSecretLength)
	}

	defaults := defaultEndpoints[kind]
	for _, endpoint := range [][2]string{{"authorize_url", a.AuthorizeURL}, {"token_url", a.TokenURL}} {
		name, value := endpoint[0], endpoint[1]
		switch {
		case value != "":
			if reason := checkHTTPURL(value); reason != "" {
				v.Add("auth."+name, "%s", reason)
			}
		case defaults.AuthURL == "":
			v.Add("auth."+name, "is required for %s connections, which have no default OAuth endpoints", kind)
		}
	}

	if len(a.Scopes) > MaxScopes {
		v.Add("auth.scopes", "lists %d scopes, the maximum is %d", len(a.Scopes), MaxScopes)
	}
	for i, scope := range a.Scopes {
		if scope == "" || strings.ContainsAny(scope, " \t\r\n\"\\") {
			v.Add(fmt.Sprintf("auth.scopes[%d]", i), "%q is not a scope: scopes are non-empty and have no spaces, quotes or backslashes", scope)
		}
	}
}

// AuthSummary shows a connection's authentication without its secrets:
// "set" stands for each secret that is set.
type AuthSummary struct {
	Type         string   `json:"type"`
	Token        string   `json:"token,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	AuthorizeURL string   `json:"authorize_url,omitempty"`
	TokenURL     string   `json:"token_url,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	// Authorized is true when the connection can call the CRM: a token
	// is set, or an OAuth authorization completed.
	Authorized   bool       `json:"authorized"`
	AuthorizedAt *time.Time `json:"authorized_at,omitempty"`
	// AccessTokenExpiresAt is when the current OAuth access token expires;
	// it is refreshed a minute before.
	AccessTokenExpiresAt *time.Time `json:"access_token_expires_at,omitempty"`
	RefreshToken         string     `json:"refresh_token,omitempty"`
}

// Summarize returns a's configuration with each secret replaced by "set".
// OAuth endpoints and scopes are the ones in effect: the kind's defaults
// unless the connection replaces them.
func Summarize(kind crm.Kind, a Auth) AuthSummary {
	s := AuthSummary{Type: a.Type, Authorized: a.Authorized()}
	if a.Token != "" {
		s.Token = "set"
	}
	if a.Type != AuthOAuth2 {
		return s
	}

	endpoint := endpointOf(kind, a.AuthConfig)
	s.ClientID = a.ClientID
	s.AuthorizeURL, s.TokenURL = endpoint.AuthURL, endpoint.TokenURL
	s.Scopes = scopesOf(kind, a.AuthConfig)
	if a.ClientSecret != "" {
		s.ClientSecret = "set"
	}
	if a.RefreshToken != "" {
		s.RefreshToken = "set"
	}
	if !a.Expiry.IsZero() && a.AccessToken != "" {
		expiry := a.Expiry.UTC()
		s.AccessTokenExpiresAt = &expiry
	}
	if !a.AuthorizedAt.IsZero() {
		at := a.AuthorizedAt.UTC()
		s.AuthorizedAt = &at
	}
	return s
}

// sealAuth returns a as JSON encrypted with keyring.
func sealAuth(keyring *secret.Keyring, a Auth) (string, error) {
	plaintext, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode CRM credentials: %w", err)
	}
	sealed, err := keyring.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("encrypt CRM credentials: %w", err)
	}
	return sealed, nil
}

// openAuth decrypts the credentials of connection id.
func openAuth(keyring *secret.Keyring, id, sealed string) (Auth, error) {
	var a Auth
	if sealed == "" {
		return a, nil
	}
	plaintext, err := keyring.Decrypt(sealed)
	if err != nil {
		return a, fmt.Errorf("decrypt credentials of CRM connection %s: %w", id, err)
	}
	if err := json.Unmarshal(plaintext, &a); err != nil {
		return a, fmt.Errorf("decode credentials of CRM connection %s: %w", id, err)
	}
	return a, nil
}
