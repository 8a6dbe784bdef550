package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// tokenResponse is the RFC 6749 section 5.1 access token response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// issueToken implements the OAuth 2.0 client credentials grant (RFC 6749
// section 4.4). The client id is an API key's id and the client secret is
// the key itself, sent in the form or with HTTP Basic authentication. The
// optional scope parameter narrows the key's scopes.
func (s *Server) issueToken(c echo.Context) error {
	req := c.Request()
	body, err := s.readBody(c, 64<<10, echo.MIMEApplicationForm)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return oauthProblem(probOAuthRequest, "invalid_request", "The form body could not be read: "+err.Error()+".")
	}

	if gt := form.Get("grant_type"); gt != "client_credentials" {
		return oauthProblem(probOAuthRequest, "unsupported_grant_type", "grant_type must be client_credentials, got "+quoteOrNone(gt)+".")
	}

	clientID, clientSecret, hasBasic := req.BasicAuth()
	if !hasBasic {
		clientID, clientSecret = form.Get("client_id"), form.Get("client_secret")
	}
	if clientID == "" || clientSecret == "" {
		return oauthProblem(probOAuthRequest, "invalid_request", "client_id and client_secret are required, in the form or as HTTP Basic credentials.")
	}

	key, err := s.store.GetAPIKeyByHash(req.Context(), secret.HashToken(clientSecret))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (key.ID != clientID || key.RevokedAt != nil)) {
		if hasBasic {
			// RFC 6749 section 5.2: a client that used Basic gets the
			// scheme it should retry with.
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="switchboard"`)
		}
		return oauthProblem(probOAuthClient, "invalid_client", "The client id and secret do not match an active API key.")
	}
	if err != nil {
		return err
	}

	scopes, err := narrowScopes(key.Scopes, form.Get("scope"))
	if err != nil {
		return err
	}
	token, _, err := s.auth.issueToken(key, scopes)
	if err != nil {
		return err
	}

	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int(s.cfg.TokenTTL.Seconds()),
		Scope:       strings.Join(scopes, " "),
	})
}

// narrowScopes returns the requested scopes when the key holds each of them,
// or all the key's scopes when none are requested.
func narrowScopes(held []string, requested string) ([]string, error) {
	want := strings.Fields(requested)
	if len(want) == 0 {
		return held, nil
	}
	holder := Principal{Scopes: held}
	for _, sc := range want {
		if !ValidScope(sc) || !holder.Has(sc) {
			return nil, oauthProblem(probOAuthRequest, "invalid_scope", "The key does not hold the scope "+quoteOrNone(sc)+".")
		}
	}
	return want, nil
}

func oauthProblem(pt problemType, code, detail string) *Problem {
	p := newProblem(pt, "%s", detail)
	p.OAuthError = code
	p.OAuthErrorDescription = detail
	return p
}

func quoteOrNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return `"` + s + `"`
}
