package gateway

import (
	"context"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/store"
)

// NewUserInput is a user written outside the API, such as by the
// command line: the fields POST /v1/users requires, and the role.
type NewUserInput struct {
	Email    string
	Name     string
	Password string
	// Role is "admin" or "agent".
	Role string
}

// CreateUser validates in as POST /v1/users does, hashes the password and
// stores the user in workspaceID. Invalid fields give a
// *validation.Error, and an email in use an error wrapping
// store.ErrConflict.
func CreateUser(ctx context.Context, q *store.Queries, workspaceID string, in NewUserInput) (store.User, error) {
	u := store.User{WorkspaceID: workspaceID, Role: agents.RoleAgent}
	req := userRequest{Email: &in.Email, Name: &in.Name, Password: &in.Password, Role: &in.Role}
	if err := applyUserRequest(&u, req, true); err != nil {
		return store.User{}, err
	}
	if err := q.CreateUser(ctx, &u); err != nil {
		return store.User{}, err
	}
	return u, nil
}
