package gateway

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

type usersPage struct {
	Users  []store.User
	Keys   []store.APIKey
	Scopes []string
	// NewUser holds the create form's values after an invalid submission.
	NewUser struct{ Email, Name, Role, Extensions, ClientIdentities, Queues string }
	KeyName string
	// NewToken is the token of the key just created, shown this once.
	NewToken string
	// EditedID is the user whose row form failed, so its errors show
	// there.
	EditedID string
}

func (s *Server) listAdminUsers(c echo.Context) error {
	page, err := s.usersPage(c)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "users.html", page)
}

func (s *Server) usersPage(c echo.Context) (*adminPage, error) {
	p := principalOf(c)
	ctx := c.Request().Context()

	// The agent scope works only in user tokens, so keys are not offered
	// it.
	data := &usersPage{Scopes: slices.DeleteFunc(slices.Clone(AllScopes), func(s string) bool { return s == ScopeAgent })}
	data.NewUser.Role = agents.RoleAgent
	var err error
	if data.Users, err = s.store.ListUsers(ctx, p.WorkspaceID); err != nil {
		return nil, err
	}
	if data.Keys, err = s.store.ListAPIKeys(ctx, p.WorkspaceID); err != nil {
		return nil, err
	}
	return &adminPage{Title: "Users and API keys", Section: "users", Data: data}, nil
}

// createAdminUser invites a user: an agent, by default, with the
// extensions, softphone identities and queues that ring them.
func (s *Server) createAdminUser(c echo.Context) error {
	p := principalOf(c)

	email, name, role, password := c.FormValue("email"), c.FormValue("name"), c.FormValue("role"), c.FormValue("password")
	extensions, queues := splitForm(c.FormValue("extensions")), splitForm(c.FormValue("queues"))
	identities := splitForm(c.FormValue("client_identities"))
	u := store.User{WorkspaceID: p.WorkspaceID, Role: agents.RoleAgent}
	err := applyUserRequest(&u, userRequest{
		Email: &email, Name: &name, Role: &role, Password: &password, Extensions: &extensions, ClientIdentities: &identities, Queues: &queues,
	}, true)
	if err == nil {
		if err = s.store.CreateUser(c.Request().Context(), &u); err == nil {
			return adminRedirect(c, "/admin/users?notice=created")
		}
	}

	page, perr := s.usersPage(c)
	if perr != nil {
		return perr
	}
	data := page.Data.(*usersPage)
	data.NewUser.Email, data.NewUser.Name, data.NewUser.Role = email, name, role
	data.NewUser.Extensions, data.NewUser.Queues = c.FormValue("extensions"), c.FormValue("queues")
	data.NewUser.ClientIdentities = c.FormValue("client_identities")
	return s.renderAdminForm(c, "users.html", page, err)
}

// updateAdminUser saves one user's row: role, extensions, softphone
// identities, queues and whether the user is disabled. An admin cannot demote or disable
// themselves here, so the admin who acts stays an admin and the workspace
// keeps at least one.
func (s *Server) updateAdminUser(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	u, err := s.store.GetUser(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	role, disabled := c.FormValue("role"), c.FormValue("disabled") == "on"
	extensions, queues := splitForm(c.FormValue("extensions")), splitForm(c.FormValue("queues"))
	identities := splitForm(c.FormValue("client_identities"))
	req := userRequest{Role: &role, Disabled: &disabled, Extensions: &extensions, ClientIdentities: &identities, Queues: &queues}
	if u.ID == p.UserID && (role != agents.RoleAdmin || disabled) {
		err = newProblem(probConflict, "You cannot demote or disable yourself; ask another admin.")
	} else if err = applyUserRequest(&u, req, false); err == nil {
		if err = s.store.UpdateUser(ctx, &u); err == nil {
			s.userChanged(ctx, u.WorkspaceID, u.ID)
			return adminRedirect(c, "/admin/users?notice=saved")
		}
	}

	page, perr := s.usersPage(c)
	if perr != nil {
		return perr
	}
	page.Data.(*usersPage).EditedID = u.ID
	return s.renderAdminForm(c, "users.html", page, err)
}

// createAdminKey creates an API key and shows its token once.
func (s *Server) createAdminKey(c echo.Context) error {
	p := principalOf(c)

	name := strings.TrimSpace(c.FormValue("key_name"))
	key, token, err := CreateAPIKey(c.Request().Context(), s.store.Queries, p.WorkspaceID, name, formValues(c, "scopes"))
	page, perr := s.usersPage(c)
	if perr != nil {
		return perr
	}
	data := page.Data.(*usersPage)
	if err != nil {
		data.KeyName = name
		return s.renderAdminForm(c, "users.html", page, renameFields(err, keyFormField))
	}
	data.NewToken = token
	page.Notice = "Created the API key " + key.Name + ". Copy it now: it is not shown again."
	return s.renderAdmin(c, http.StatusOK, "users.html", page)
}

func (s *Server) revokeAdminKey(c echo.Context) error {
	p := principalOf(c)
	key, err := s.store.GetAPIKey(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}

	if !confirmed(c) {
		return s.askConfirmation(c, "Revoke "+key.Name+"?",
			"Revoking the API key "+key.Name+" makes every request that uses it fail with 401 at once. It cannot be undone.",
			"Revoke key", "/admin/users#keys")
	}
	if err := s.revokeKey(c.Request().Context(), p.WorkspaceID, key.ID); err != nil {
		return err
	}
	return adminRedirect(c, "/admin/users?notice=revoked#keys")
}

// splitForm splits a comma-separated form value into its trimmed,
// non-empty items.
func splitForm(value string) []string {
	out := []string{}
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// keyFormField moves the errors of a new API key onto the key form,
// whose name input is key_name and whose scopes are check boxes.
func keyFormField(f validation.FieldError) validation.FieldError {
	switch {
	case f.Field == "name":
		f.Field = "key_name"
	case f.Field == "scopes":
		f.Reason = "is empty: tick at least one scope"
	case strings.HasPrefix(f.Field, "scopes["):
		f.Field, f.Reason = "scopes", "has a scope this form does not offer: tick the scopes shown"
	}
	return f
}
