package store

import (
	"context"
	"fmt"
	"strings"
)

// APIKey is a workspace credential. The token itself is shown once at
// creation and only its SHA-256 hash is stored.
type APIKey struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	Name        string `db:"name"`
	// Prefix is the first characters of the token, to recognise a key in
	// lists without revealing it.
	Prefix     string     `db:"prefix"`
	TokenHash  string     `db:"token_hash"`
	Scopes     ScopeList  `db:"scopes"`
	CreatedAt  UnixMilli  `db:"created_at"`
	LastUsedAt *UnixMilli `db:"last_used_at"`
	RevokedAt  *UnixMilli `db:"revoked_at"`
}

// ScopeList is a set of scopes stored as space-separated text, the form
// OAuth 2.0 uses for the scope parameter.
type ScopeList []string

// String returns the scopes separated by spaces.
func (s ScopeList) String() string { return strings.Join(s, " ") }

// Scan implements sql.Scanner.
func (s *ScopeList) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*s = strings.Fields(v)
	case []byte:
		*s = strings.Fields(string(v))
	default:
		return fmt.Errorf("scan ScopeList: unsupported type %T", src)
	}
	return nil
}

const apiKeyColumns = `id, workspace_id, name, prefix, token_hash, scopes, created_at, last_used_at, revoked_at`

// CreateAPIKey inserts k, filling its id and creation time.
func (q *Queries) CreateAPIKey(ctx context.Context, k *APIKey) error {
	k.ID = NewID(PrefixAPIKey)
	k.CreatedAt = now()

	_, err := q.exec(ctx, `INSERT INTO api_keys (id, workspace_id, name, prefix, token_hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.WorkspaceID, k.Name, k.Prefix, k.TokenHash, k.Scopes.String(), k.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// GetAPIKeyByHash returns the key whose token hashes to hash, revoked or
// not; the caller decides what a revoked key may do.
func (q *Queries) GetAPIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var k APIKey
	if err := q.get(ctx, &k, `SELECT `+apiKeyColumns+` FROM api_keys WHERE token_hash = ?`, hash); err != nil {
		return APIKey{}, notFound(err, "api key")
	}
	return k, nil
}

// GetAPIKey returns the key with id in workspaceID.
func (q *Queries) GetAPIKey(ctx context.Context, workspaceID, id string) (APIKey, error) {
	var k APIKey
	err := q.get(ctx, &k, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return APIKey{}, notFound(err, "api key")
	}
	return k, nil
}

// ListAPIKeys returns the keys of workspaceID, oldest first, revoked ones
// included.
func (q *Queries) ListAPIKeys(ctx context.Context, workspaceID string) ([]APIKey, error) {
	keys := []APIKey{}
	err := q.selectAll(ctx, &keys, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey marks the key revoked. Revoking a revoked key keeps the
// first revocation time.
func (q *Queries) RevokeAPIKey(ctx context.Context, workspaceID, id string) error {
	if _, err := q.GetAPIKey(ctx, workspaceID, id); err != nil {
		return err
	}
	_, err := q.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL`,
		now(), workspaceID, id)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	return nil
}

// TouchAPIKey records that the key was used at t.
func (q *Queries) TouchAPIKey(ctx context.Context, id string, t UnixMilli) error {
	if _, err := q.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, t, id); err != nil {
		return fmt.Errorf("record api key use: %w", err)
	}
	return nil
}
