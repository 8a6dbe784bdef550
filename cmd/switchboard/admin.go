package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/store"
)

func (e env) migrate(ctx context.Context, args []string) error {
	fs := e.newFlagSet("migrate")
	cfg, positional, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("migrate takes no arguments, got %q", positional)
	}

	st, _, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(e.stdout, "Database (%s) is up to date.\n", st.Dialect())
	return nil
}

func (e env) showConfig(args []string) error {
	fs := e.newFlagSet("config")
	markdown := fs.Bool("markdown", false, "print the table of options as Markdown, for the README")
	cfg, _, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *markdown {
		fmt.Fprint(e.stdout, markdownTable())
		return nil
	}
	for _, line := range cfg.dump() {
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

type workspaceOutput struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultRegion string `json:"default_region"`
	TimeZone      string `json:"time_zone"`
	AdminKeyID    string `json:"admin_key_id,omitempty"`
	AdminKey      string `json:"admin_key,omitempty"`
}

func (e env) workspace(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("workspace needs a subcommand: create or list")
	}
	fs := e.newFlagSet("workspace " + args[0])
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	region := fs.String("region", "", "default region for numbers without country code (default: SWITCHBOARD_DEFAULT_REGION)")
	cfg, positional, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}

	st, _, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "create":
		if len(positional) != 1 || strings.TrimSpace(positional[0]) == "" {
			return usagef("workspace create needs exactly one NAME")
		}
		if *region == "" {
			*region = cfg.str("SWITCHBOARD_DEFAULT_REGION")
		}
		if err := validateRegion(*region); err != nil {
			return fmt.Errorf("--region: %w", err)
		}
		ws, key, token, err := createWorkspaceWithKey(ctx, st, positional[0], strings.ToUpper(*region))
		if err != nil {
			return err
		}
		out := workspaceOutput{ID: ws.ID, Name: ws.Name, DefaultRegion: ws.DefaultRegion, TimeZone: ws.TimeZone, AdminKeyID: key.ID, AdminKey: token}
		if *asJSON {
			return writeJSON(e.stdout, out)
		}
		fmt.Fprintf(e.stdout, "Created workspace %q (%s).\nAdmin API key (shown only once): %s\n", ws.Name, ws.ID, token)
		return nil
	case "list":
		list, err := st.ListWorkspaces(ctx)
		if err != nil {
			return err
		}
		out := make([]workspaceOutput, len(list))
		for i, ws := range list {
			out[i] = workspaceOutput{ID: ws.ID, Name: ws.Name, DefaultRegion: ws.DefaultRegion, TimeZone: ws.TimeZone}
		}
		if *asJSON {
			return writeJSON(e.stdout, out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tREGION\tTIME ZONE")
		for _, w := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.ID, w.Name, w.DefaultRegion, w.TimeZone)
		}
		return tw.Flush()
	}
	return usagef("unknown workspace subcommand %q: use create or list", args[0])
}

type apiKeyOutput struct {
	ID          string   `json:"id"`
	WorkspaceID string   `json:"workspace_id"`
	Name        string   `json:"name"`
	Prefix      string   `json:"prefix"`
	Scopes      []string `json:"scopes"`
	CreatedAt   string   `json:"created_at"`
	LastUsedAt  string   `json:"last_used_at,omitempty"`
	RevokedAt   string   `json:"revoked_at,omitempty"`
	Token       string   `json:"token,omitempty"`
}

func newAPIKeyOutput(k store.APIKey) apiKeyOutput {
	out := apiKeyOutput{ID: k.ID, WorkspaceID: k.WorkspaceID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes,
		CreatedAt: k.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
	if k.LastUsedAt != nil {
		out.LastUsedAt = k.LastUsedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if k.RevokedAt != nil {
		out.RevokedAt = k.RevokedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return out
}

func (e env) apikey(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("apikey needs a subcommand: create, list or revoke")
	}
	fs := e.newFlagSet("apikey " + args[0])
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	workspaceID := fs.String("workspace", "", "workspace id (ws_...)")
	name := fs.String("name", "", "name of the key, saying who uses it")
	scopes := fs.String("scopes", gateway.ScopeAdmin, "comma-separated scopes: "+strings.Join(gateway.AllScopes, ", "))
	cfg, positional, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *workspaceID == "" {
		return usagef("--workspace is required (see 'switchboard workspace list')")
	}

	st, _, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.GetWorkspace(ctx, *workspaceID); err != nil {
		return fmt.Errorf("workspace %s: %w", *workspaceID, err)
	}

	switch args[0] {
	case "create":
		key, token, err := gateway.CreateAPIKey(ctx, st.Queries, *workspaceID, *name, splitList(*scopes))
		if err != nil {
			return err
		}
		out := newAPIKeyOutput(key)
		out.Token = token
		if *asJSON {
			return writeJSON(e.stdout, out)
		}
		fmt.Fprintf(e.stdout, "Created API key %s (%s) with scopes %s.\nKey (shown only once): %s\n", key.ID, key.Name, strings.Join(key.Scopes, " "), token)
		return nil
	case "list":
		keys, err := st.ListAPIKeys(ctx, *workspaceID)
		if err != nil {
			return err
		}
		return e.printKeys(keys, *asJSON)
	case "revoke":
		if len(positional) != 1 {
			return usagef("apikey revoke needs exactly one KEY_ID")
		}
		if err := st.RevokeAPIKey(ctx, *workspaceID, positional[0]); err != nil {
			return fmt.Errorf("revoke %s: %w", positional[0], err)
		}
		key, err := st.GetAPIKey(ctx, *workspaceID, positional[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, newAPIKeyOutput(key))
		}
		fmt.Fprintf(e.stdout, "Revoked API key %s (%s).\n", key.ID, key.Name)
		return nil
	}
	return usagef("unknown apikey subcommand %q: use create, list or revoke", args[0])
}

func (e env) printKeys(keys []store.APIKey, asJSON bool) error {
	out := make([]apiKeyOutput, len(keys))
	for i, k := range keys {
		out[i] = newAPIKeyOutput(k)
	}
	if asJSON {
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tLAST USED\tREVOKED")
	for _, k := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Scopes, " "), orDash(k.LastUsedAt), orDash(k.RevokedAt))
	}
	return tw.Flush()
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
