package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
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

	st, _, err := e.openStore(ctx, cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer st.Close()

	report, err := directory.New(st).ImportCSV(ctx, *workspaceID, *phonebookID, in)
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
