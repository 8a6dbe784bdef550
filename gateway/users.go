package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// Limits on user fields.
const (
	maxUserNameLength  = 200
	maxEmailLength     = 254
	maxRingTargets     = 50
	maxRingTargetChars = 128
)

// userView is a user as the API shows it. The password hash is never
// shown.
type userView struct {
	ID               string   `json:"id"`
	Email            string   `json:"email"`
	Name             string   `json:"name"`
	Role             string   `json:"role"`
	Extensions       []string `json:"extensions"`
	ClientIdentities []string `json:"client_identities"`
	Queues           []string `json:"queues"`
	Disabled         bool     `json:"disabled"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

func viewUser(u store.User) userView {
	return userView{
		ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role,
		Extensions: orEmpty(u.Extensions.V), ClientIdentities: orEmpty(u.ClientIdentities.V), Queues: orEmpty(u.Queues.V),
		Disabled:  u.Disabled,
		CreatedAt: formatTime(u.CreatedAt.Time), UpdatedAt: formatTime(u.UpdatedAt.Time),
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// userRequest is the body of POST /v1/users and PATCH /v1/users/{id}.
// Absent fields keep their value on PATCH.
type userRequest struct {
	Email            *string   `json:"email"`
	Name             *string   `json:"name"`
	Role             *string   `json:"role"`
	Password         *string   `json:"password"`
	Extensions       *[]string `json:"extensions"`
	ClientIdentities *[]string `json:"client_identities"`
	Queues           *[]string `json:"queues"`
	Disabled         *bool     `json:"disabled"`
}

func (s *Server) listUsers(c echo.Context) error {
	p := principalOf(c)

	users, err := s.store.ListUsers(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]userView, len(users))
	for i, u := range users {
		views[i] = viewUser(u)
	}
	return c.JSON(http.StatusOK, listResponse[userView]{Data: views})
}

func (s *Server) createUser(c echo.Context) error {
	p := principalOf(c)

	var req userRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u := store.User{WorkspaceID: p.WorkspaceID, Role: agents.RoleAgent}
	if err := applyUserRequest(&u, req, true); err != nil {
		return err
	}

	if err := s.store.CreateUser(c.Request().Context(), &u); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewUser(u))
}

func (s *Server) getUser(c echo.Context) error {
	p := principalOf(c)

	u, err := s.store.GetUser(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewUser(u))
}

func (s *Server) updateUser(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	var req userRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	if err := applyUserRequest(&u, req, false); err != nil {
		return err
	}

	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return err
	}
	s.userChanged(ctx, u.WorkspaceID, u.ID)
	return c.JSON(http.StatusOK, viewUser(u))
}

func (s *Server) deleteUser(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	if err := s.store.DeleteUser(ctx, p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	s.userChanged(ctx, p.WorkspaceID, c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

// userChanged publishes the change to the agent hub, so the user's open
// sockets follow it or close.
func (s *Server) userChanged(ctx context.Context, workspaceID, userID string) {
	if s.agents != nil {
		s.agents.UserChanged(ctx, workspaceID, userID)
	}
}

// getMe returns the signed-in user.
func (s *Server) getMe(c echo.Context) error {
	u, err := s.signedInUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewUser(u))
}

// signedInUser returns the user of the request's user token, or a 404
// problem for an API key, which has no user.
func (s *Server) signedInUser(c echo.Context) (store.User, error) {
	p := principalOf(c)
	if p.UserID == "" {
		return store.User{}, newProblem(probNotFound,
			"This credential is an API key or its access token, which has no user; sign in at /v1/auth/sign-in for a user token.")
	}
	return s.store.GetUser(c.Request().Context(), p.WorkspaceID, p.UserID)
}

// applyUserRequest validates req and copies its fields to u. On create,
// email, name and password are required.
func applyUserRequest(u *store.User, req userRequest, create bool) error {
	var v validation.Error
	if create {
		required := []struct {
			field   string
			missing bool
		}{{"email", req.Email == nil}, {"name", req.Name == nil}, {"password", req.Password == nil}}
		for _, r := range required {
			if r.missing {
				v.Add(r.field, "is missing")
			}
		}
	}
	if req.Email != nil {
		u.Email = checkEmail(&v, *req.Email)
	}
	if req.Name != nil {
		u.Name = strings.TrimSpace(*req.Name)
		if u.Name == "" || len([]rune(u.Name)) > maxUserNameLength {
			v.Add("name", "must be 1 to %d characters", maxUserNameLength)
		}
	}
	if req.Role != nil {
		u.Role = *req.Role
		if u.Role != agents.RoleAdmin && u.Role != agents.RoleAgent {
			v.Add("role", "%q is not a role; use admin or agent", u.Role)
		}
	}
	if req.Password != nil {
		u.PasswordHash = setPassword(&v, *req.Password, u.PasswordHash)
	}
	if req.Extensions != nil {
		u.Extensions.V = checkRingTargets(&v, "extensions", *req.Extensions)
	}
	if req.ClientIdentities != nil {
		u.ClientIdentities.V = checkRingTargets(&v, "client_identities", *req.ClientIdentities)
	}
	if req.Queues != nil {
		u.Queues.V = checkRingTargets(&v, "queues", *req.Queues)
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	return v.Err()
}

func checkEmail(v *validation.Error, raw string) string {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email || len(email) > maxEmailLength {
		v.Add("email", "%q is not an email address such as ann@example.com", raw)
	}
	return email
}

// setPassword checks password and returns its hash, or current when the
// password is invalid.
func setPassword(v *validation.Error, password, current string) string {
	if utf8.RuneCountInString(password) < agents.MinPasswordChars {
		v.Add("password", "must be at least %d characters long", agents.MinPasswordChars)
		return current
	}
	if len(password) > agents.MaxPasswordBytes {
		v.Add("password", "must be at most %d bytes long in UTF-8", agents.MaxPasswordBytes)
		return current
	}
	hash, err := agents.HashPassword(password)
	if err != nil {
		v.Add("password", "could not be hashed: %v", err)
		return current
	}
	return hash
}

// checkRingTargets checks a list of extensions, client identities or
// queues and returns it trimmed, without repeats (compared without regard
// to case).
func checkRingTargets(v *validation.Error, field string, items []string) []string {
	if len(items) > maxRingTargets {
		v.Add(field, "has %d entries; the limit is %d", len(items), maxRingTargets)
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, raw := range items {
		item := strings.TrimSpace(raw)
		name := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case item == "":
			v.Add(name, "is empty: leave the entry out instead")
		case len([]rune(item)) > maxRingTargetChars:
			v.Add(name, "is longer than %d characters", maxRingTargetChars)
		case strings.IndexFunc(item, unicode.IsControl) >= 0:
			v.Add(name, "contains a control character")
		case strings.IndexFunc(item, unicode.IsSpace) >= 0:
			v.Add(name, "%q contains a space: providers name extensions, identities and queues without spaces", item)
		case !seen[strings.ToLower(item)]:
			seen[strings.ToLower(item)] = true
			out = append(out, item)
		}
	}
	return out
}
