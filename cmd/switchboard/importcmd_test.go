package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
)

func TestCLIImportRecordsContactEvents(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	out, err := runCLI(t, dir, "workspace", "create", "Acme", "--json")
	require.NoError(t, err)
	var ws workspaceOutput
	require.NoError(t, json.Unmarshal([]byte(out), &ws))

	st, err := store.Open(ctx, store.Options{DataDir: dir})
	require.NoError(t, err)
	defer st.Close()
	pb := store.Phonebook{WorkspaceID: ws.ID, Name: "Customers", Source: "csv"}
	require.NoError(t, st.CreatePhonebook(ctx, &pb))
	sub := store.WebhookSubscription{WorkspaceID: ws.ID, URL: "http://127.0.0.1:9/hook", Secret: "unused", Enabled: true}
	sub.EventTypes.V = []string{"contact.created"}
	require.NoError(t, st.CreateWebhookSubscription(ctx, &sub))
	file := filepath.Join(dir, "contacts.csv")
	require.NoError(t, os.WriteFile(file, []byte("external_id,first_name\na,Ann\nb,Bob\n"), 0o600))

	_, err = runCLI(t, dir, "import", "contacts", "--workspace", ws.ID, "--phonebook", pb.ID, file)
	require.NoError(t, err)

	events, _, err := st.ListWebhookEvents(ctx, store.WebhookEventQuery{WorkspaceID: ws.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, events, 2, "one contact.created event per imported contact")
	require.Equal(t, "contact.created", events[0].Type)
}
