package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/riverqueue/river"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

func (e env) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "contacts" {
		return usagef("import needs a subcommand: contacts")
	}
	fs := e.newFlagSet("import contacts")
	asJSON := fs.Bool("json", false, "print the import report as JSON")
	workspaceID := fs.String("workspace", "", "workspace id (ws_...)")
	phonebookID := fs.String("phonebook", "", "phonebook id (pb_...) to import into")
	cfg, positional, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *workspaceID == "" || *phonebookID == "" {
		return usagef("--workspace and --phonebook are required")
	}
	if len(positional) != 1 {
		return usagef("import contacts needs exactly one CSV file (or - for standard input)")
	}

	var in io.Reader = os.Stdin
	if positional[0] != "-" {
		f, err := os.Open(positional[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}

	st, keyring, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()
	hooks, err := importEvents(cfg, st, keyring)
	if err != nil {
		return err
	}

	report, err := directory.New(st, directory.WithEvents(hooks)).ImportCSV(ctx, *workspaceID, *phonebookID, in)
	if err != nil {
		return fmt.Errorf("import %s: %w", positional[0], err)
	}
	if *asJSON {
		return writeJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "Imported %d rows: %d created, %d updated, %d unchanged, %d failed.\n",
		report.Rows, report.Created, report.Updated, report.Unchanged, report.Failed)
	for _, re := range report.Errors {
		for _, p := range re.InvalidParams {
			fmt.Fprintf(e.stdout, "  line %d: %s: %s\n", re.Line, p.Field, p.Reason)
		}
	}
	return nil
}

// importEvents returns the webhook service an import records its contact
// events with. Its job queue only inserts delivery jobs, which a running
// gateway works, so the CLI sends nothing itself.
func importEvents(cfg *config, st *store.Store, keyring *secret.Keyring) (*webhooks.Service, error) {
	hooks, err := newWebhooks(cfg, st, keyring, zap.NewNop(), nil)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	hooks.Register(workers)
	queue, err := jobs.New(jobs.Config{Store: st, Workers: workers, Queues: map[string]int{webhooks.QueueName: 1}})
	if err != nil {
		return nil, err
	}
	hooks.SetQueue(queue)
	return hooks, nil
}
