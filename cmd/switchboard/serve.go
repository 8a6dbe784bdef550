package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmsync"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/lookup"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

func (e env) serve(ctx context.Context, args []string) error {
	fs := e.newFlagSet("serve")
	cfg, positional, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("serve takes no arguments, got %q", positional)
	}

	log, err := newLogger(cfg)
	if err != nil {
		return err
	}
	defer log.Sync()

	st, keyring, err := e.openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	if err := e.bootstrap(ctx, cfg, st); err != nil {
		return err
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	conns := connections.New(st, keyring)
	if n, err := conns.Warm(ctx); err != nil {
		log.Warn("loading telephony connections at start failed; each loads on its first webhook", zap.Error(err))
	} else {
		log.Info("telephony connections loaded", zap.Int("connections", n))
	}
	crmConns := crmconn.New(st, keyring, crmconn.Options{Log: log.Named("crm")})
	crmLookups, err := lookup.New(lookup.Config{
		Connections: crmConns, Workspaces: st, Log: log, Registry: registry,
		CacheTTL:        cfg.duration("SWITCHBOARD_CRM_CACHE_TTL"),
		NegativeTTL:     cfg.duration("SWITCHBOARD_CRM_NEGATIVE_CACHE_TTL"),
		CacheSize:       int(cfg.int64("SWITCHBOARD_CRM_CACHE_SIZE")),
		BreakerFailures: uint32(min(cfg.int64("SWITCHBOARD_CRM_BREAKER_FAILURES"), math.MaxUint32)),
		BreakerTimeout:  cfg.duration("SWITCHBOARD_CRM_BREAKER_TIMEOUT"),
	})
	if err != nil {
		return err
	}
	hub, err := agents.New(agents.Config{Store: st, Log: log, Registry: registry, DatabaseURL: cfg.str("SWITCHBOARD_DATABASE_URL")})
	if err != nil {
		return err
	}
	if err := hub.Start(ctx); err != nil {
		return err
	}
	// Deferred after st.Close, so the agent sockets and the PostgreSQL
	// listener close before the store does.
	defer hub.Close()
	hooks, err := newWebhooks(cfg, st, keyring, log, registry)
	if err != nil {
		return err
	}
	// One directory for the API and the CRM sync, so both record webhook
	// events for contact and phonebook changes.
	dir := directory.New(st, directory.WithEvents(hooks))
	callLogs, err := calllog.New(calllog.Config{
		Store: st, Connections: crmConns, AgentEmail: agentEmail(st), Events: hooks, Lookups: crmLookups, Log: log, Registry: registry,
	})
	if err != nil {
		return err
	}
	calls, err := inbound.New(inbound.Config{
		Store: st, Connections: conns, Log: log, Registry: registry, Notifier: hub, CRM: crmLookups, Events: hooks, CallLogs: callLogs,
		PublicBaseURL: cfg.publicBaseURL(),
	})
	if err != nil {
		return err
	}
	// Deferred after st.Close, so the background attempts to store routing
	// webhooks stop before the store closes.
	defer calls.Close()
	workers := river.NewWorkers()
	hooks.Register(workers)
	callLogs.AddWorkers(workers)
	crmsync.AddWorkers(workers, crmsync.NewEngine(crmsync.Config{
		Store: st, Directory: dir, Connections: crmConns, Log: log.Named("crmsync"),
	}))
	jobQueue, err := jobs.New(jobs.Config{
		Store:       st,
		Log:         log,
		Registry:    registry,
		ListenURL:   cfg.str("SWITCHBOARD_DATABASE_URL"),
		StopTimeout: cfg.duration("SWITCHBOARD_SHUTDOWN_TIMEOUT"),
		Workers:     workers,
		Queues: map[string]int{
			jobs.DefaultQueue: jobs.DefaultMaxWorkers, crmsync.Queue: crmsync.QueueWorkers, webhooks.QueueName: webhooks.DefaultMaxWorkers,
			calllog.Queue: calllog.QueueWorkers,
		},
	})
	if err != nil {
		return err
	}
	hooks.SetQueue(jobQueue)
	callLogs.SetQueue(jobQueue)
	if _, err := jobQueue.Client().PeriodicJobs().AddSafely(crmsync.PeriodicJob()); err != nil {
		return fmt.Errorf("schedule CRM syncs: %w", err)
	}
	if _, err := jobQueue.Client().PeriodicJobs().AddSafely(calllog.PeriodicJob()); err != nil {
		return fmt.Errorf("schedule the call log sweep: %w", err)
	}
	if err := jobQueue.Start(ctx); err != nil {
		return err
	}
	// Deferred after st.Close, so it runs before it: HTTP requests drain in
	// srv.Serve, then the job queue stops, then the store closes. Stop logs
	// its own failure.
	defer jobQueue.Stop(context.WithoutCancel(ctx))
	srv := gateway.New(gateway.Config{
		PublicBaseURL:  cfg.publicBaseURL(),
		MaxBodyBytes:   cfg.int64("SWITCHBOARD_MAX_BODY_BYTES"),
		MaxImportBytes: cfg.int64("SWITCHBOARD_MAX_IMPORT_BYTES"),
		RateLimit:      cfg.float("SWITCHBOARD_RATE_LIMIT"),
		TokenTTL:       cfg.duration("SWITCHBOARD_TOKEN_TTL"),
		Version:        version,
		AllowedOrigins: cfg.list("SWITCHBOARD_ALLOWED_ORIGINS"),
	}, gateway.Deps{
		Store:       st,
		Directory:   dir,
		Keyring:     keyring,
		Inbound:     calls,
		Agents:      hub,
		Connections: conns,
		// One CRM connection service per process, so each OAuth
		// connection has one token source and refreshes once at a time.
		CRMConnections: crmConns,
		CRMSync:        crmsync.NewService(st, jobQueue),
		Webhooks:       hooks,
		CallLogs:       callLogs,
		Log:            log,
		Registry:       registry,
	})

	ln, err := net.Listen("tcp", cfg.str("SWITCHBOARD_LISTEN_ADDR"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.str("SWITCHBOARD_LISTEN_ADDR"), err)
	}
	log.Info("gateway started",
		zap.String("listen_addr", ln.Addr().String()),
		zap.String("public_base_url", cfg.publicBaseURL()),
		zap.String("database", string(st.Dialect())),
		zap.String("version", version))
	fmt.Fprintf(e.stdout, "Switchboard is listening on http://%s (API reference: %s/docs)\n", ln.Addr(), cfg.publicBaseURL())

	err = srv.Serve(ctx, ln, cfg.duration("SWITCHBOARD_SHUTDOWN_TIMEOUT"))
	log.Info("gateway stopped")
	return err
}

// agentEmail returns the function that finds the email address of a
// call's agent: the workspace user whose extension, client identity or
// email the agent is, as screen pops match them.
func agentEmail(st *store.Store) calllog.AgentEmail {
	return func(ctx context.Context, workspaceID, agent string) (string, error) {
		users, err := st.ListUsers(ctx, workspaceID)
		if err != nil {
			return "", err
		}
		for i := range users {
			if !users[i].Disabled && agents.Rings(&users[i], nil, agent) {
				return users[i].Email, nil
			}
		}
		return "", nil
	}
}

// newWebhooks builds the webhooks service with the configured allow list
// of internal destinations.
func newWebhooks(cfg *config, st *store.Store, keyring *secret.Keyring, log *zap.Logger, registry prometheus.Registerer) (*webhooks.Service, error) {
	allow, err := webhooks.ParseAllowList(cfg.list("SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"))
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS: %w", err)
	}
	return webhooks.New(webhooks.Config{
		Store: st, Keyring: keyring, Log: log, Registry: registry, Render: gateway.WebhookData,
		Guard: webhooks.NewGuard(webhooks.GuardConfig{Allow: allow}),
	})
}

// openStore opens and migrates the database and loads the master key.
func (e env) openStore(ctx context.Context, cfg *config, log *zap.Logger) (*store.Store, *secret.Keyring, error) {
	key, generated, err := cfg.masterKey()
	if err != nil {
		return nil, nil, fmt.Errorf("load master key: %w", err)
	}
	if generated {
		log.Warn("generated a master key in the data folder; set SWITCHBOARD_MASTER_KEY in production and share it between instances",
			zap.String("data_dir", cfg.str("SWITCHBOARD_DATA_DIR")))
	}
	keyring, err := secret.NewKeyring(key)
	if err != nil {
		return nil, nil, fmt.Errorf("master key: %w", err)
	}

	newFile := cfg.str("SWITCHBOARD_DATABASE_URL") == "" && !fileExists(filepath.Join(cfg.str("SWITCHBOARD_DATA_DIR"), store.SQLiteFileName))

	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := store.Open(openCtx, store.Options{
		DatabaseURL: cfg.str("SWITCHBOARD_DATABASE_URL"),
		DataDir:     cfg.str("SWITCHBOARD_DATA_DIR"),
	})
	if err != nil {
		return nil, nil, err
	}

	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	jobsApplied, err := jobs.Migrate(ctx, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	applied = append(applied, jobsApplied...)
	for _, m := range applied {
		log.Info("migration applied", zap.String("migration", m))
	}
	if newFile {
		abs, _ := filepath.Abs(cfg.str("SWITCHBOARD_DATA_DIR"))
		fmt.Fprintf(e.stderr, "note: no database was in %s, so a new empty one was created there; "+
			"pass --data-dir (or set SWITCHBOARD_DATA_DIR) to use another gateway's database\n", abs)
	}
	return st, keyring, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// bootstrap creates the first workspace and an admin key on an empty
// database and prints the key once.
//
// NOTE: two instances starting at once on an empty PostgreSQL database can
// each create a first workspace; start one instance first.
func (e env) bootstrap(ctx context.Context, cfg *config, st *store.Store) error {
	n, err := st.CountWorkspaces(ctx)
	if err != nil || n > 0 {
		return err
	}

	ws, _, token, err := createWorkspaceWithKey(ctx, st, "Default", cfg.str("SWITCHBOARD_DEFAULT_REGION"))
	if err != nil {
		return fmt.Errorf("create the first workspace: %w", err)
	}
	base := cfg.publicBaseURL()
	fmt.Fprintf(e.stdout, `
First start: created workspace %q (%s) and an admin API key.
The key is shown only this once; store it now:

    %s

Try it:

    export SWITCHBOARD_API_KEY=%s
    curl -H "Authorization: Bearer $SWITCHBOARD_API_KEY" %s/v1/workspace

To set Switchboard up in the browser, create an admin user, then sign in
at %s/admin:

    ./bin/switchboard user create --email you@example.com --password-file -

`, ws.Name, ws.ID, token, token, base, base)
	return nil
}

// createWorkspaceWithKey creates a workspace and an admin key for it in one
// transaction.
func createWorkspaceWithKey(ctx context.Context, st *store.Store, name, region string) (store.Workspace, store.APIKey, string, error) {
	ws := store.Workspace{Name: name, DefaultRegion: region}
	var key store.APIKey
	var token string
	err := st.InTx(ctx, func(q *store.Queries) error {
		if err := q.CreateWorkspace(ctx, &ws); err != nil {
			return err
		}
		var err error
		key, token, err = gateway.CreateAPIKey(ctx, q, ws.ID, "admin (created with the workspace)", []string{gateway.ScopeAdmin})
		return err
	})
	return ws, key, token, err
}

func newLogger(cfg *config) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.str("SWITCHBOARD_LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	if cfg.str("SWITCHBOARD_LOG_FORMAT") == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.EncoderConfig.TimeKey = "time"
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return zc.Build()
}
