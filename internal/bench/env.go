package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// target is one store with the gateway serving it on a loopback port.
type target struct {
	name      string // "sqlite" or "postgres"
	store     *store.Store
	directory *directory.Service
	baseURL   string
	client    *http.Client
	version   string // database version, for the report
}

// workspace is a workspace of the benchmark with an admin API key and one
// phonebook.
type workspace struct {
	id          string
	token       string
	phonebookID string
}

// openTarget opens a fresh migrated store of kind name and serves the
// gateway on it. The returned function stops the gateway, closes the store
// and removes its data, the temporary folder of SQLite or the schema of
// PostgreSQL, unless keep is set.
func openTarget(ctx context.Context, name, pgURL string, concurrency int, keep bool) (*target, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}

	opts, dropData, err := dataLocation(ctx, name, pgURL)
	if err != nil {
		return nil, nil, err
	}
	if keep {
		where := "folder " + opts.DataDir
		if opts.DatabaseURL != "" {
			where = "database " + redact(opts.DatabaseURL)
		}
		dropData = func() { progress(name, "-keep: the data stays in %s", where) }
	}
	cleanups = append(cleanups, dropData)

	st, err := store.Open(ctx, opts)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cleanups = append(cleanups, func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}

	t := &target{name: name, store: st, directory: directory.New(st)}
	t.version, err = databaseVersion(ctx, st)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	stop, err := t.serve(concurrency)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cleanups = append(cleanups, stop)
	return t, cleanup, nil
}

// dataLocation returns the store options of a fresh database of kind name
// and the function that removes it.
func dataLocation(ctx context.Context, name, pgURL string) (store.Options, func(), error) {
	switch name {
	case "sqlite":
		dir, err := os.MkdirTemp("", "switchboard-bench-")
		if err != nil {
			return store.Options{}, nil, fmt.Errorf("create SQLite folder: %w", err)
		}
		return store.Options{DataDir: dir}, func() { os.RemoveAll(dir) }, nil
	case "postgres":
		dbURL, drop, err := createSchema(ctx, pgURL)
		if err != nil {
			return store.Options{}, nil, err
		}
		return store.Options{DatabaseURL: dbURL}, drop, nil
	}
	return store.Options{}, nil, fmt.Errorf("store %q is unknown: use sqlite or postgres", name)
}

// createSchema creates an empty schema named bench_<random> and returns a
// URL whose search_path selects it, and the function that drops it.
func createSchema(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return "", nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	defer admin.Close()

	schema := "bench_" + strings.ToLower(strings.ReplaceAll(secret.RandomToken(9), "-", "_"))
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		return "", nil, fmt.Errorf("create schema on PostgreSQL at %s: %w", redact(base), err)
	}
	drop := func() {
		db, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); err != nil {
			progress("postgres", "drop schema %s failed: %v", schema, err)
		}
	}

	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("parse -pg-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// databaseVersion returns the database version and, for PostgreSQL, the
// server settings that matter most to these benchmarks.
func databaseVersion(ctx context.Context, st *store.Store) (string, error) {
	query := `SELECT 'SQLite ' || sqlite_version()`
	if st.Dialect() == store.Postgres {
		query = `SELECT 'PostgreSQL ' || current_setting('server_version') ||
			' (shared_buffers ' || current_setting('shared_buffers') ||
			', autovacuum ' || current_setting('autovacuum') ||
			', synchronous_commit ' || current_setting('synchronous_commit') || ')'`
	}
	var v string
	if err := st.DB().QueryRowContext(ctx, query).Scan(&v); err != nil {
		return "", fmt.Errorf("read database version: %w", err)
	}
	return v, nil
}

// serve starts the gateway on 127.0.0.1 with a random port, wired as
// cmd/switchboard wires it, and returns the function that stops it.
func (t *target) serve(concurrency int) (func(), error) {
	keyring, err := secret.NewKeyring(secret.RandomToken(32))
	if err != nil {
		return nil, err
	}
	srv := gateway.New(gateway.Config{
		PublicBaseURL:  "http://127.0.0.1",
		MaxBodyBytes:   8 << 20,
		MaxImportBytes: 1 << 30,
		RateLimit:      0,
		TokenTTL:       15 * time.Minute,
		Version:        "bench",
	}, gateway.Deps{
		Store:     t.store,
		Directory: t.directory,
		Keyring:   keyring,
		Log:       zap.NewNop(),
		Registry:  prometheus.NewRegistry(),
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	t.baseURL = "http://" + ln.Addr().String()
	t.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     time.Minute,
	}}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 10*time.Second) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			progress(t.name, "gateway stopped with an error: %v", err)
		}
	}, nil
}

// newWorkspace creates a workspace with default region US, an admin API
// key and one empty phonebook.
func (t *target) newWorkspace(ctx context.Context, name string) (workspace, error) {
	var w workspace
	err := t.store.InTx(ctx, func(q *store.Queries) error {
		ws := store.Workspace{Name: name, DefaultRegion: "US"}
		if err := q.CreateWorkspace(ctx, &ws); err != nil {
			return err
		}
		_, token, err := gateway.CreateAPIKey(ctx, q, ws.ID, "bench admin", []string{gateway.ScopeAdmin})
		if err != nil {
			return err
		}
		w = workspace{id: ws.ID, token: token}
		return nil
	})
	if err != nil {
		return workspace{}, fmt.Errorf("create workspace %q: %w", name, err)
	}
	w.phonebookID, err = t.newPhonebook(ctx, w, name)
	return w, err
}

func (t *target) newPhonebook(ctx context.Context, w workspace, name string) (string, error) {
	pb := store.Phonebook{WorkspaceID: w.id, Name: name, Source: "bench"}
	if err := t.store.CreatePhonebook(ctx, &pb); err != nil {
		return "", fmt.Errorf("create phonebook %q: %w", name, err)
	}
	return pb.ID, nil
}

// errStatus is returned for a response with an unexpected status code.
var errStatus = errors.New("unexpected HTTP status")

// do sends a request with the workspace's key and returns the body of a
// 200 response.
func (t *target) do(ctx context.Context, w workspace, method, path, contentType string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.baseURL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}

	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s %s returned %d: %.300s", errStatus, method, path, resp.StatusCode, data)
	}
	return data, nil
}

// analyze refreshes the planner statistics of the contact tables on
// PostgreSQL, as autovacuum does on a default server a minute or so after
// a bulk load. Without statistics the planner may pick plans a running
// deployment would not.
func (t *target) analyze(ctx context.Context) error {
	if t.store.Dialect() != store.Postgres {
		return nil
	}
	progress(t.name, "ANALYZE contacts, contact_phones, contact_emails")
	for _, table := range []string{"contacts", "contact_phones", "contact_emails"} {
		if _, err := t.store.DB().ExecContext(ctx, `ANALYZE `+table); err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
	}
	return nil
}
