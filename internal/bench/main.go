// Command bench measures the contact directory end to end on SQLite and
// PostgreSQL: phone lookups in a large directory, CSV import, a full
// incremental listing and Twilio's incoming-call webhook, each through the
// real gateway served over HTTP on a loopback port of the same process. `make bench` runs it; docs/benchmarks.md
// records a run and explains each measurement. Results go to stdout as
// Markdown and progress to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"

	_ "github.com/lib/pq" // registers the "postgres" driver for createSchema

	"github.com/switchboard-oss/switchboard/crm/crmconn"
)

// defaultPostgresURL is the PostgreSQL server of the development machine
// and CI, the same one the tests use.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	knownStores = []string{"sqlite", "postgres"}
	knownStages = []string{"lookup", "import", "list", "webhook", "agents", "calllog"}
)

// options are the command-line flags.
type options struct {
	stores      []string
	stages      []string
	contacts    int
	lookups     int
	concurrency int
	importRows  int
	pgURL       string
	cpuProfile  string
	keep        bool
	pgAnalyze   bool
	// agentSockets is the number of agent sockets of the agents stage.
	agentSockets int
	// callLogCalls and callLogRate size the calllog stage.
	callLogCalls int
	callLogRate  float64
}

func main() {
	if wsURL := os.Getenv(agentClientsEnv); wsURL != "" {
		os.Exit(runAgentClients(wsURL))
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var opts options
	stores := fs.String("stores", "sqlite,postgres", "comma-separated stores to measure: sqlite, postgres")
	stages := fs.String("only", "lookup,import,list,webhook", "comma-separated benchmarks to run: lookup, import, list, webhook, and agents and calllog, which are left out by default")
	fs.IntVar(&opts.contacts, "contacts", 1_000_000, "contacts seeded into the directory for the lookup and list benchmarks")
	fs.IntVar(&opts.lookups, "lookups", 20_000, "phone lookups measured, after a warm-up of a tenth of that (100 to 2,000)")
	fs.IntVar(&opts.concurrency, "concurrency", 8, "concurrent HTTP clients of the lookup benchmark and of the closed-loop webhook runs")
	fs.IntVar(&opts.importRows, "import-rows", 200_000, "rows of the generated CSV file of the import benchmark")
	fs.StringVar(&opts.pgURL, "pg-url", defaultPostgresURL, "PostgreSQL server URL; the benchmark creates a schema there and drops it at the end")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (read it with go tool pprof)")
	fs.BoolVar(&opts.pgAnalyze, "pg-analyze", true, "on PostgreSQL, run ANALYZE after seeding, as autovacuum would; -pg-analyze=false measures a directory without statistics")
	fs.IntVar(&opts.agentSockets, "agent-sockets", 10_000, "agent sockets the agents benchmark opens, from a second process of this binary")
	fs.IntVar(&opts.callLogCalls, "calllog-calls", 100_000, "ended calls whose CRM logs the calllog benchmark drains")
	fs.Float64Var(&opts.callLogRate, "calllog-rate", 100, "requests per second the calllog benchmark's fake CRM allows, and the connection's pace")
	fs.BoolVar(&opts.keep, "keep", false, "keep the SQLite folder and the PostgreSQL schema after the run, to inspect query plans; remove them yourself")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q: every setting is a flag", fs.Args())
	}

	var err error
	if opts.stores, err = splitList("-stores", *stores, knownStores); err != nil {
		return options{}, err
	}
	if opts.stages, err = splitList("-only", *stages, knownStages); err != nil {
		return options{}, err
	}
	return opts, opts.check()
}

// splitList splits a comma-separated flag value and checks every item is
// one of known.
func splitList(flagName, value string, known []string) ([]string, error) {
	var items []string
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if !slices.Contains(known, item) {
			return nil, fmt.Errorf("%s: %q is unknown: use a comma-separated list of %s", flagName, item, strings.Join(known, ", "))
		}
		if !slices.Contains(items, item) {
			items = append(items, item)
		}
	}
	return items, nil
}

func (o options) check() error {
	// Contact i reserves numbers 2i and 2i+1, and an unknown number may be
	// number 2n.
	maxContacts := (maxNumbers - 1) / numbersPerContact
	switch {
	case o.contacts < 1 || o.contacts > maxContacts:
		return fmt.Errorf("-contacts is %d: it must be between 1 and %d, the numbers the generator has", o.contacts, maxContacts)
	case o.importRows < 1 || o.importRows > maxContacts:
		return fmt.Errorf("-import-rows is %d: it must be between 1 and %d", o.importRows, maxContacts)
	case o.lookups < 1:
		return fmt.Errorf("-lookups is %d: it must be at least 1", o.lookups)
	case o.concurrency < 1:
		return fmt.Errorf("-concurrency is %d: it must be at least 1", o.concurrency)
	case o.callLogCalls < 1:
		return fmt.Errorf("-calllog-calls is %d: it must be at least 1", o.callLogCalls)
	case o.callLogRate <= 0 || o.callLogRate > crmconn.MaxCallLogRate:
		return fmt.Errorf("-calllog-rate is %g: it must be above 0 and at most %g requests per second", o.callLogRate, crmconn.MaxCallLogRate)
	case o.agentSockets < agentsPerQueue:
		return fmt.Errorf("-agent-sockets is %d: it must be at least %d, the agents one call rings", o.agentSockets, agentsPerQueue)
	}
	return nil
}

func (o options) runs(stage string) bool { return slices.Contains(o.stages, stage) }

func run(ctx context.Context, opts options) error {
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	loadBefore := loadAverage()
	var results []result
	var versions []string
	var errs []error
	for _, name := range opts.stores {
		rs, version, err := runStore(ctx, opts, name)
		results = append(results, rs...)
		if version != "" {
			versions = append(versions, version)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}

	writeReport(os.Stdout, command(), versions, loadBefore, results)
	return errors.Join(errs...)
}

// runStore runs the chosen benchmarks on a fresh store of kind name, and
// returns the results measured before any error.
func runStore(ctx context.Context, opts options, name string) ([]result, string, error) {
	progress(name, "opening a fresh store")
	t, cleanup, err := openTarget(ctx, name, opts.pgURL, opts.concurrency, opts.keep)
	if err != nil {
		return nil, "", err
	}
	defer func() {
		progress(name, "removing the store")
		cleanup()
	}()

	var results []result
	add := func(r result) {
		r.store = name
		results = append(results, r)
	}

	if opts.runs("lookup") || opts.runs("list") || opts.runs("webhook") {
		w, err := t.newWorkspace(ctx, "bench directory")
		if err != nil {
			return results, t.version, err
		}
		seed, err := seedDirectory(ctx, t, w, opts.contacts)
		if err != nil {
			return results, t.version, err
		}
		add(seed)
		if opts.pgAnalyze {
			if err := t.analyze(ctx); err != nil {
				return results, t.version, err
			}
		}

		if opts.runs("lookup") {
			r, err := benchLookups(ctx, t, w, opts.contacts, opts.lookups, opts.concurrency)
			if err != nil {
				return results, t.version, err
			}
			add(r)
		}
		if opts.runs("list") {
			r, err := benchList(ctx, t, w, opts.contacts)
			if err != nil {
				return results, t.version, err
			}
			add(r)
		}
		if opts.runs("webhook") {
			rs, err := benchWebhooks(ctx, t, w, opts.contacts, opts.concurrency)
			for _, r := range rs {
				add(r)
			}
			if err != nil {
				return results, t.version, err
			}
		}
	}

	if opts.runs("agents") {
		rs, err := benchAgents(ctx, t, opts.pgURL, opts.agentSockets)
		for _, r := range rs {
			add(r)
		}
		if err != nil {
			return results, t.version, err
		}
	}

	if opts.runs("calllog") {
		rs, err := benchCallLogs(ctx, t, opts.callLogCalls, opts.callLogRate)
		for _, r := range rs {
			add(r)
		}
		if err != nil {
			return results, t.version, err
		}
	}

	if opts.runs("import") {
		rs, err := benchImports(ctx, t, opts.importRows)
		if err != nil {
			return results, t.version, err
		}
		for _, r := range rs {
			add(r)
		}
	}
	return results, t.version, nil
}

// command returns the command line of this run, quoted for a POSIX shell,
// with any password in -pg-url masked.
func command() string {
	parts := []string{"go", "run", "./internal/bench"}
	args := os.Args[1:]
	for i, arg := range args {
		if value, ok := strings.CutPrefix(strings.TrimLeft(arg, "-"), "pg-url="); ok {
			arg = "-pg-url=" + redact(value)
		} else if i > 0 && strings.TrimLeft(args[i-1], "-") == "pg-url" {
			arg = redact(arg)
		}
		if strings.ContainsAny(arg, " \t'\"$&|;<>*?()`\\") {
			arg = "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
		}
		parts = append(parts, arg)
	}
	return strings.Join(parts, " ")
}
