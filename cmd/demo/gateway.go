package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// demoGateway is a gateway served on a loopback port over a fresh SQLite
// database, with one workspace and its admin API key.
type demoGateway struct {
	baseURL  string
	dataDir  string
	apiKey   string
	shutdown func() error
}

// startGateway creates a temporary data folder, opens and migrates the
// embedded SQLite database in it and serves the gateway on 127.0.0.1 with
// a random port, wired as `switchboard serve` wires it. Gateway errors are
// logged to logOut. The returned gateway's shutdown stops the server,
// closes the store and removes the folder.
func startGateway(ctx context.Context, logOut io.Writer) (*demoGateway, error) {
	dir, err := os.MkdirTemp("", "switchboard-demo-")
	if err != nil {
		return nil, fmt.Errorf("create the data folder: %w", err)
	}
	cleanups := []func(){func() { os.RemoveAll(dir) }}
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}

	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		cleanup()
		return nil, err
	}
	cleanups = append(cleanups, func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		cleanup()
		return nil, err
	}

	g := &demoGateway{dataDir: dir}
	if g.apiKey, err = createWorkspace(ctx, st); err != nil {
		cleanup()
		return nil, err
	}

	serveErr, stop, err := g.serve(st, logOut)
	if err != nil {
		cleanup()
		return nil, err
	}
	g.shutdown = func() error {
		stop()
		err := <-serveErr
		cleanup()
		return err
	}
	return g, nil
}

// serve starts the gateway over st on a loopback port. It returns the
// channel that receives the server's result and the function that starts
// its shutdown.
func (g *demoGateway) serve(st *store.Store, logOut io.Writer) (<-chan error, func(), error) {
	keyring, err := secret.NewKeyring(secret.RandomToken(32))
	if err != nil {
		return nil, nil, err
	}
	log := zap.New(zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.AddSync(logOut),
		zapcore.ErrorLevel,
	))
	registry := prometheus.NewRegistry()

	conns := connections.New(st, keyring)
	calls, err := inbound.New(inbound.Config{Store: st, Connections: conns, Log: log, Registry: registry})
	if err != nil {
		return nil, nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen on loopback: %w", err)
	}
	g.baseURL = "http://" + ln.Addr().String()

	srv := gateway.New(gateway.Config{
		PublicBaseURL:  g.baseURL,
		MaxBodyBytes:   8 << 20,
		MaxImportBytes: 256 << 20,
		TokenTTL:       15 * time.Minute,
		Version:        "demo",
	}, gateway.Deps{
		Store:       st,
		Directory:   directory.New(st),
		Keyring:     keyring,
		Inbound:     calls,
		Connections: conns,
		Log:         log,
		Registry:    registry,
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	return done, cancel, nil
}

// createWorkspace creates the demo's workspace, whose numbers without a
// country code are read as US numbers, and returns a new admin API key.
func createWorkspace(ctx context.Context, st *store.Store) (string, error) {
	var token string
	err := st.InTx(ctx, func(q *store.Queries) error {
		ws := store.Workspace{Name: "Demo", DefaultRegion: "US"}
		if err := q.CreateWorkspace(ctx, &ws); err != nil {
			return err
		}
		var err error
		_, token, err = gateway.CreateAPIKey(ctx, q, ws.ID, "demo admin", []string{gateway.ScopeAdmin})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create the demo workspace: %w", err)
	}
	return token, nil
}
