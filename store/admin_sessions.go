package store

import (
	"context"
	"fmt"
)

// AdminSession is a signed-in admin of the web UI. The cookie holds a
// random token; only its hash is stored, so a copy of the database
// cannot sign anyone in.
type AdminSession struct {
	TokenHash   string    `db:"token_hash"`
	WorkspaceID string    `db:"workspace_id"`
	UserID      string    `db:"user_id"`
	CreatedAt   UnixMilli `db:"created_at"`
	ExpiresAt   UnixMilli `db:"expires_at"`
}

const adminSessionColumns = `token_hash, workspace_id, user_id, created_at, expires_at`

// CreateAdminSession inserts s, filling its creation time, and deletes
// the sessions of every user that have expired, so the table does not
// grow with each sign-in.
func (q *Queries) CreateAdminSession(ctx context.Context, s *AdminSession) error {
	s.CreatedAt = now()
	if _, err := q.exec(ctx, `DELETE FROM admin_sessions WHERE expires_at <= ?`, s.CreatedAt); err != nil {
		return fmt.Errorf("delete expired admin sessions: %w", err)
	}
	_, err := q.exec(ctx, `INSERT INTO admin_sessions (`+adminSessionColumns+`) VALUES (?, ?, ?, ?, ?)`,
		s.TokenHash, s.WorkspaceID, s.UserID, s.CreatedAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert admin session: %w", err)
	}
	return nil
}

// GetAdminSession returns the session whose token hashes to tokenHash,
// expired or not; the caller checks ExpiresAt.
func (q *Queries) GetAdminSession(ctx context.Context, tokenHash string) (AdminSession, error) {
	var s AdminSession
	err := q.get(ctx, &s, `SELECT `+adminSessionColumns+` FROM admin_sessions WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return AdminSession{}, notFound(err, "admin session")
	}
	return s, nil
}

// DeleteAdminSession removes the session whose token hashes to tokenHash.
// Deleting a session that is gone already is not an error, so signing out
// twice works.
func (q *Queries) DeleteAdminSession(ctx context.Context, tokenHash string) error {
	if _, err := q.exec(ctx, `DELETE FROM admin_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}
