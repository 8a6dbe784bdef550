package e2e

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmsync"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/internal/fakecrm"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// The admin who signs in to the admin UI.
const (
	adminEmail    = "admin@example.com"
	adminPassword = "a long admin passphrase"
)

// adminOutputEnv names the variable that moves the admin UI's screenshots
// from test-output/admin/ at the repository root.
const adminOutputEnv = "SWITCHBOARD_E2E_OUTPUT"

// adminEnv is the gateway wired as `switchboard serve` wires it for the
// admin UI (CRM connections, CRM sync and call logging on a job queue,
// telephony) over a fresh SQLite database, with one workspace, its admin
// user and a fake HubSpot on loopback.
type adminEnv struct {
	URL       string
	Store     *store.Store
	Workspace store.Workspace
	// CRMURL is the fake HubSpot's base URL, and CRM the fake itself.
	CRMURL string
	CRM    *fakecrm.CRM
}

func setupAdmin(t *testing.T) *adminEnv {
	t.Helper()
	st := testdb.Open(t, store.SQLite)
	_, err := jobs.Migrate(t.Context(), st)
	require.NoError(t, err)
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	registry := prometheus.NewRegistry()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	baseURL := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())

	conns := connections.New(st, keyring)
	crmConns := crmconn.New(st, keyring, crmconn.Options{Log: log})
	dir := directory.New(st)
	callLogs, err := calllog.New(calllog.Config{Store: st, Connections: crmConns, Log: log, Registry: registry})
	require.NoError(t, err)
	calls, err := inbound.New(inbound.Config{Store: st, Connections: conns, Log: log, Registry: registry, CallLogs: callLogs})
	require.NoError(t, err)
	workers := river.NewWorkers()
	callLogs.AddWorkers(workers)
	crmsync.AddWorkers(workers, crmsync.NewEngine(crmsync.Config{Store: st, Directory: dir, Connections: crmConns, Log: log}))
	queue, err := jobs.New(jobs.Config{
		Store: st, Log: log, Workers: workers, StopTimeout: 5 * time.Second,
		Queues: map[string]int{jobs.DefaultQueue: 1, crmsync.Queue: 1, calllog.Queue: 1},
	})
	require.NoError(t, err)
	callLogs.SetQueue(queue)
	require.NoError(t, queue.Start(ctx))

	srv := gateway.New(gateway.Config{
		PublicBaseURL: baseURL, MaxBodyBytes: 1 << 20, MaxImportBytes: 1 << 20, TokenTTL: time.Hour, Version: "e2e",
	}, gateway.Deps{
		Store: st, Directory: dir, Keyring: keyring, Inbound: calls, Connections: conns,
		CRMConnections: crmConns, CRMSync: crmsync.NewService(st, queue), CallLogs: callLogs, Log: log, Registry: registry,
	})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, queue.Stop(context.Background()))
	})

	crm := fakecrm.New(fakecrm.Sample())
	fake := httptest.NewServer(crm)
	t.Cleanup(fake.Close)

	e := &adminEnv{URL: baseURL, Store: st, CRMURL: fake.URL, CRM: crm}
	e.Workspace = store.Workspace{Name: "E2E", DefaultRegion: "US"}
	require.NoError(t, st.CreateWorkspace(ctx, &e.Workspace))
	_, err = gateway.CreateUser(ctx, st.Queries, e.Workspace.ID, gateway.NewUserInput{
		Email: adminEmail, Name: "Ada Admin", Password: adminPassword, Role: "admin",
	})
	require.NoError(t, err)
	return e
}

// adminShotDir is where the admin UI's screenshots go:
// $SWITCHBOARD_E2E_OUTPUT, or test-output/admin/ at the repository root.
func adminShotDir() string {
	if dir := os.Getenv(adminOutputEnv); dir != "" {
		return dir
	}
	return filepath.Join("..", "test-output", "admin")
}
