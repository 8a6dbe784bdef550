// Command switchboard runs the Switchboard gateway and its administration
// commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones work on hosts without a zoneinfo database
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Switchboard connects VoIP platforms to CRMs.

Usage:
  switchboard serve [flags]                      start the gateway (migrates first)
  switchboard migrate [flags]                    apply database migrations
  switchboard workspace create NAME [--json]     create a workspace and its admin key
  switchboard workspace list [--json]            list workspaces
  switchboard apikey create --workspace ID --name NAME [--scopes a,b] [--json]
  switchboard apikey list --workspace ID [--json]
  switchboard apikey revoke --workspace ID KEY_ID [--json]
  switchboard import contacts --workspace ID --phonebook ID FILE.csv [--json]
  switchboard user create --email EMAIL --password-file FILE [--role admin|agent]
                          [--name NAME] [--workspace ID] [--json]
  switchboard config [--markdown]                show the configuration, secrets hidden
  switchboard version                            print the version

Every command takes the configuration flags; run 'switchboard serve -h' to
list them. Environment variables (SWITCHBOARD_*) set the same options, and
flags override them.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	var ue *usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "switchboard: %v\n\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "switchboard: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a command line the program cannot read.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// env gives commands their input and output, so tests can run them.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "workspace":
		return e.workspace(ctx, rest)
	case "apikey":
		return e.apikey(ctx, rest)
	case "import":
		return e.importCmd(ctx, rest)
	case "user":
		return e.user(ctx, rest)
	case "config":
		return e.showConfig(rest)
	case "version", "--version":
		fmt.Fprintf(stdout, "switchboard %s\n", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

// newFlagSet returns a flag set with the configuration flags and extra
// command flags registered by setup.
func (e env) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addConfigFlags(fs)
	return fs
}

// parse parses args, flags and positional arguments in any order, and
// resolves the configuration. It returns the positional arguments.
func (e env) parse(fs *flag.FlagSet, args []string) (*config, []string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			return nil, nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}

	cfg, err := loadConfig(fs, e.getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, positional, nil
}
