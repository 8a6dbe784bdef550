package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// CreateAPIKey makes a key for workspaceID and returns it with its token.
// The token is shown this once; only its hash is stored.
func CreateAPIKey(ctx context.Context, q *store.Queries, workspaceID, name string, scopes []string) (store.APIKey, string, error) {
	if err := validateKeyInput(name, scopes); err != nil {
		return store.APIKey{}, "", err
	}
	token := APIKeyPrefix + secret.RandomToken(32)
	key := store.APIKey{
		WorkspaceID: workspaceID,
		Name:        name,
		Prefix:      token[:len(APIKeyPrefix)+8],
		TokenHash:   secret.HashToken(token),
		Scopes:      scopes,
	}
	if err := q.CreateAPIKey(ctx, &key); err != nil {
		return store.APIKey{}, "", err
	}
	return key, token, nil
}

func validateKeyInput(name string, scopes []string) error {
	var v validation.Error
	if name == "" {
		v.Add("name", "is missing: give the key a name that says who uses it")
	}
	if len(name) > 200 {
		v.Add("name", "is longer than 200 characters")
	}
	if len(scopes) == 0 {
		v.Add("scopes", "is empty: give at least one of %s", orList(AllScopes))
	}
	for i, sc := range scopes {
		if !ValidScope(sc) {
			v.Add(fmt.Sprintf("scopes[%d]", i), "%q is not a scope; use one of %s", sc, orList(AllScopes))
		}
	}
	return v.Err()
}

// apiKeyView is an API key as the API shows it.
type apiKeyView struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at"`
	LastUsedAt *string  `json:"last_used_at"`
	RevokedAt  *string  `json:"revoked_at"`
	Token      string   `json:"token,omitempty"`
}

func viewAPIKey(k store.APIKey) apiKeyView {
	return apiKeyView{
		ID:         k.ID,
		Name:       k.Name,
		Prefix:     k.Prefix,
		Scopes:     k.Scopes,
		CreatedAt:  formatTime(k.CreatedAt.Time),
		LastUsedAt: formatOptionalTime(k.LastUsedAt),
		RevokedAt:  formatOptionalTime(k.RevokedAt),
	}
}

type createAPIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (s *Server) listAPIKeys(c echo.Context) error {
	p := principalOf(c)

	keys, err := s.store.ListAPIKeys(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]apiKeyView, len(keys))
	for i, k := range keys {
		views[i] = viewAPIKey(k)
	}
	return c.JSON(http.StatusOK, listResponse[apiKeyView]{Data: views})
}

func (s *Server) createAPIKey(c echo.Context) error {
	p := principalOf(c)

	var req createAPIKeyRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}

	key, token, err := CreateAPIKey(c.Request().Context(), s.store.Queries, p.WorkspaceID, req.Name, req.Scopes)
	if err != nil {
		return err
	}

	view := viewAPIKey(key)
	view.Token = token
	return c.JSON(http.StatusCreated, view)
}

func (s *Server) revokeAPIKey(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	if err := s.revokeKey(ctx, p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}

	key, err := s.store.GetAPIKey(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewAPIKey(key))
}

// revokeKey revokes the key id of workspaceID and drops it from the
// authentication cache, so it stops working on this instance at once.
func (s *Server) revokeKey(ctx context.Context, workspaceID, id string) error {
	if err := s.store.RevokeAPIKey(ctx, workspaceID, id); err != nil {
		return err
	}
	s.auth.keys.forget(id)
	return nil
}

// formatTime renders t the way every API timestamp reads: RFC 3339 in UTC
// with millisecond precision.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func formatOptionalTime(t *store.UnixMilli) *string {
	if t == nil {
		return nil
	}
	s := formatTime(t.Time)
	return &s
}
