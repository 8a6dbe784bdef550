package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// runCLI runs the command with a fresh SQLite data folder shared by calls
// that pass the same dir.
func runCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr, envOf(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	return stdout.String(), err
}

func TestCLIWorkspaceAndKeys(t *testing.T) {
	dir := t.TempDir()

	out, err := runCLI(t, dir, "workspace", "create", "Acme Support", "--json", "--region", "gb")
	require.NoError(t, err)
	var ws workspaceOutput
	require.NoError(t, json.Unmarshal([]byte(out), &ws))
	require.Equal(t, "Acme Support", ws.Name)
	require.Equal(t, "GB", ws.DefaultRegion)
	require.Contains(t, ws.AdminKey, "sbk_")

	out, err = runCLI(t, dir, "apikey", "create", "--workspace", ws.ID, "--name", "zapier", "--scopes", "directory:read,calls:read", "--json")
	require.NoError(t, err)
	var key apiKeyOutput
	require.NoError(t, json.Unmarshal([]byte(out), &key))
	require.Equal(t, []string{"directory:read", "calls:read"}, key.Scopes)
	require.NotEmpty(t, key.Token)

	out, err = runCLI(t, dir, "apikey", "revoke", key.ID, "--workspace", ws.ID, "--json")
	require.NoError(t, err)
	var revoked apiKeyOutput
	require.NoError(t, json.Unmarshal([]byte(out), &revoked))
	require.NotEmpty(t, revoked.RevokedAt)

	out, err = runCLI(t, dir, "apikey", "list", "--workspace", ws.ID, "--json")
	require.NoError(t, err)
	var keys []apiKeyOutput
	require.NoError(t, json.Unmarshal([]byte(out), &keys))
	require.Len(t, keys, 2)
	for _, k := range keys {
		require.Empty(t, k.Token, "list never shows a token")
	}
}

func TestCLIRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, dir, "workspace", "create", "Acme", "--json")
	require.NoError(t, err)
	var ws workspaceOutput
	require.NoError(t, json.Unmarshal([]byte(out), &ws))

	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, want: `unknown command "frobnicate"`},
		{name: "unknown scope", args: []string{"apikey", "create", "--workspace", ws.ID, "--name", "x", "--scopes", "everything"}, want: `"everything" is not a scope`},
		{name: "missing key name", args: []string{"apikey", "create", "--workspace", ws.ID}, want: "name: is missing"},
		{name: "unknown workspace", args: []string{"apikey", "list", "--workspace", "ws_nope"}, want: "not found"},
		{name: "revoke unknown key", args: []string{"apikey", "revoke", "--workspace", ws.ID, "key_nope"}, want: "not found"},
		{name: "workspace without name", args: []string{"workspace", "create"}, want: "exactly one NAME"},
		{name: "bad region", args: []string{"workspace", "create", "X", "--region", "Atlantis"}, want: "not a region code"},
		{name: "bad flag", args: []string{"serve", "--no-such-flag"}, want: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCLI(t, dir, tt.args...)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCLIWarnsAboutNewDatabase(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"workspace", "list"}, &bytes.Buffer{}, &stderr, envOf(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	require.NoError(t, err)
	require.Contains(t, stderr.String(), "a new empty one was created")

	stderr.Reset()
	err = run(context.Background(), []string{"workspace", "list"}, &bytes.Buffer{}, &stderr, envOf(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	require.NoError(t, err)
	require.Empty(t, stderr.String(), "an existing database gets no note")
}
