package store

import (
	"context"
	"fmt"
	"strings"
)

// PrefixUser starts the id of a user.
const PrefixUser = "usr_"

// User is a person who signs in: an admin or an agent of one workspace.
type User struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	// Email is unique across all workspaces. Writes store it lowercased.
	Email string `db:"email"`
	Name  string `db:"name"`
	// Role is "admin" or "agent".
	Role string `db:"role"`
	// PasswordHash is an argon2id hash in PHC string format.
	PasswordHash string `db:"password_hash"`
	// Extensions, ClientIdentities and Queues are the route targets that
	// ring this user: agent extensions, softphone identities and queue
	// names.
	Extensions       JSONColumn[[]string] `db:"extensions"`
	ClientIdentities JSONColumn[[]string] `db:"client_identities"`
	Queues           JSONColumn[[]string] `db:"queues"`
	// Disabled users cannot sign in, and their tokens stop working.
	Disabled  bool      `db:"disabled"`
	CreatedAt UnixMilli `db:"created_at"`
	UpdatedAt UnixMilli `db:"updated_at"`
}

const userColumns = `id, workspace_id, email, name, role, password_hash, extensions, client_identities, queues,
	disabled, created_at, updated_at`

// CreateUser inserts u, filling its id and timestamps and lowercasing its
// email. An email that any workspace already uses gives an error wrapping
// ErrConflict.
func (q *Queries) CreateUser(ctx context.Context, u *User) error {
	u.ID = NewID(PrefixUser)
	u.Email = strings.ToLower(u.Email)
	u.CreatedAt = now()
	u.UpdatedAt = u.CreatedAt

	_, err := q.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.WorkspaceID, u.Email, u.Name, u.Role, u.PasswordHash, u.Extensions, u.ClientIdentities, u.Queues,
		u.Disabled, u.CreatedAt, u.UpdatedAt)
	if q.dialect.isUniqueViolation(err) {
		return fmt.Errorf("email %s is already used by another user: %w", u.Email, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// GetUser returns the user id of workspaceID.
func (q *Queries) GetUser(ctx context.Context, workspaceID, id string) (User, error) {
	var u User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM users WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return User{}, notFound(err, "user "+id)
	}
	return u, nil
}

// GetUserByEmail returns the user with email, compared without regard to
// case, in whichever workspace it is. It is for signing in, the one place
// that looks across workspaces.
func (q *Queries) GetUserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM users WHERE email = ?`, strings.ToLower(email))
	if err != nil {
		return User{}, notFound(err, "user")
	}
	return u, nil
}

// ListUsers returns the users of workspaceID, oldest first, disabled ones
// included.
func (q *Queries) ListUsers(ctx context.Context, workspaceID string) ([]User, error) {
	users := []User{}
	err := q.selectAll(ctx, &users, `SELECT `+userColumns+` FROM users WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UpdateUser stores every field of u but its id, workspace and created_at,
// lowercasing the email and moving updated_at to now. An email another
// user has gives an error wrapping ErrConflict.
func (q *Queries) UpdateUser(ctx context.Context, u *User) error {
	u.Email = strings.ToLower(u.Email)
	u.UpdatedAt = now()

	err := q.execOne(ctx, "user "+u.ID, `UPDATE users SET email = ?, name = ?, role = ?, password_hash = ?,
		extensions = ?, client_identities = ?, queues = ?, disabled = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		u.Email, u.Name, u.Role, u.PasswordHash, u.Extensions, u.ClientIdentities, u.Queues, u.Disabled, u.UpdatedAt,
		u.WorkspaceID, u.ID)
	if q.dialect.isUniqueViolation(err) {
		return fmt.Errorf("email %s is already used by another user: %w", u.Email, ErrConflict)
	}
	return err
}

// DeleteUser removes the user id of workspaceID.
func (q *Queries) DeleteUser(ctx context.Context, workspaceID, id string) error {
	res, err := q.exec(ctx, `DELETE FROM users WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return nil
}
