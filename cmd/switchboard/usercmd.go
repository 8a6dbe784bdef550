package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/store"
)

type userOutput struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspace_id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
}

// user runs `switchboard user create`, the way to make the first admin
// who signs in to /admin. The password is read from a file or standard
// input, never from the command line, where other users of the host can
// see it in the process list.
func (e env) user(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("user needs a subcommand: create")
	}
	fs := e.newFlagSet("user create")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	workspaceID := fs.String("workspace", "", "workspace id (ws_...); may be left out when there is one workspace")
	email := fs.String("email", "", "email address the user signs in with")
	name := fs.String("name", "", "the user's name (default: the part of the email before @)")
	role := fs.String("role", "admin", "admin (signs in to /admin) or agent (signs in to /agent)")
	passwordFile := fs.String("password-file", "", "file holding the password on its first line, or - for standard input")
	cfg, positional, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("user create takes no arguments, got %q", positional)
	}
	if *email == "" || *passwordFile == "" {
		return usagef("--email and --password-file are required")
	}
	password, err := readPassword(*passwordFile)
	if err != nil {
		return err
	}
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}

	st, _, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()
	if *workspaceID == "" {
		if *workspaceID, err = onlyWorkspace(ctx, st); err != nil {
			return err
		}
	}

	u, err := gateway.CreateUser(ctx, st.Queries, *workspaceID, gateway.NewUserInput{
		Email: *email, Name: *name, Password: password, Role: *role,
	})
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	out := userOutput{ID: u.ID, WorkspaceID: u.WorkspaceID, Email: u.Email, Name: u.Name, Role: u.Role}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "Created %s %s (%s) in workspace %s.\n", u.Role, u.Email, u.ID, u.WorkspaceID)
	if u.Role == "admin" {
		fmt.Fprintf(e.stdout, "Sign in at %s/admin with this email and the password.\n", cfg.publicBaseURL())
		if cfg.source["SWITCHBOARD_PUBLIC_BASE_URL"] == "default" && cfg.source["SWITCHBOARD_LISTEN_ADDR"] == "default" {
			fmt.Fprintln(e.stdout, "That URL uses the default listen address, because neither SWITCHBOARD_PUBLIC_BASE_URL nor SWITCHBOARD_LISTEN_ADDR is set here; use the address your gateway serves on if it differs.")
		}
	}
	return nil
}

// readPassword returns the first line of path, or of standard input when
// path is "-".
func readPassword(path string) (string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 64<<10))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read --password-file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// onlyWorkspace returns the id of the database's one workspace, and an
// error naming --workspace when there are none or several.
func onlyWorkspace(ctx context.Context, st *store.Store) (string, error) {
	list, err := st.ListWorkspaces(ctx)
	if err != nil {
		return "", err
	}
	if len(list) != 1 {
		return "", usagef("the database has %d workspaces: choose one with --workspace (see 'switchboard workspace list')", len(list))
	}
	return list[0].ID, nil
}
