package lookup_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/lookup"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
)

const (
	testWorkspace = "ws_acme"
	testConn      = "crm_hubspot"
	caller        = "+14155550123"
)

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// searchAnswer is a scripted result of the fake connector.
type searchAnswer struct {
	records []crm.Record
	err     error
	// hang blocks the search until its context ends.
	hang bool
}

// fakeConnector is a crm.Connector whose SearchByPhone returns scripted
// results in order, repeating the last one, and records every call.
type fakeConnector struct {
	mu       sync.Mutex
	answers  []searchAnswer
	searches [][]string
}

func (f *fakeConnector) answer(answers ...searchAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = answers
}

// calls returns the number of searches so far.
func (f *fakeConnector) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.searches)
}

func (f *fakeConnector) SearchByPhone(ctx context.Context, forms []string) ([]crm.Record, error) {
	f.mu.Lock()
	f.searches = append(f.searches, forms)
	a := searchAnswer{}
	if len(f.answers) > 0 {
		a = f.answers[0]
		if len(f.answers) > 1 {
			f.answers = f.answers[1:]
		}
	}
	f.mu.Unlock()

	if a.hang {
		<-ctx.Done()
		return nil, fmt.Errorf("%w: %w", crm.ErrUnavailable, ctx.Err())
	}
	return a.records, a.err
}

func (f *fakeConnector) Kind() crm.Kind { return crm.KindHubSpot }
func (f *fakeConnector) Test(context.Context) (crm.Capabilities, error) {
	return crm.Capabilities{}, nil
}
func (f *fakeConnector) Fields(context.Context) ([]crm.Field, error) { return nil, nil }
func (f *fakeConnector) ListChanged(context.Context, time.Time, string) (crm.Page, error) {
	return crm.Page{}, nil
}
func (f *fakeConnector) Sample(context.Context) (crm.Record, error) { return crm.Record{}, nil }
func (f *fakeConnector) RecordURL(r crm.Record) string {
	return "https://app.hubspot.com/contacts/12345/record/0-1/" + r.ID
}

// fakeConnections opens one HubSpot connection of testWorkspace.
type fakeConnections struct {
	connector *fakeConnector
	mapping   *mapping.Mapping
}

func (f *fakeConnections) Open(_ context.Context, workspaceID, id string) (crmconn.Connection, crm.Connector, error) {
	if workspaceID != testWorkspace || id != testConn {
		return crmconn.Connection{}, nil, fmt.Errorf("CRM connection %s: %w", id, store.ErrNotFound)
	}
	conn := crmconn.Connection{ID: id, WorkspaceID: workspaceID, Kind: crm.KindHubSpot, Mapping: f.mapping}
	return conn, f.connector, nil
}

// fakeWorkspaces returns every workspace with default region DE.
type fakeWorkspaces struct{}

func (fakeWorkspaces) GetWorkspace(_ context.Context, id string) (store.Workspace, error) {
	return store.Workspace{ID: id, DefaultRegion: "DE"}, nil
}

// fixture is a lookup service over fake connections on a fake clock.
type fixture struct {
	ctx       context.Context
	svc       *lookup.Service
	conns     *fakeConnections
	connector *fakeConnector
	clock     *clock
	registry  *prometheus.Registry
}

func setup(t *testing.T, configure ...func(*lookup.Config)) *fixture {
	t.Helper()
	connector := &fakeConnector{}
	f := &fixture{
		ctx:       context.Background(),
		conns:     &fakeConnections{connector: connector},
		connector: connector,
		clock:     &clock{t: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)},
		registry:  prometheus.NewRegistry(),
	}
	cfg := lookup.Config{
		Connections: f.conns, Workspaces: fakeWorkspaces{}, Log: zaptest.NewLogger(t),
		Registry: f.registry, Now: f.clock.now,
	}
	for _, fn := range configure {
		fn(&cfg)
	}
	svc, err := lookup.New(cfg)
	require.NoError(t, err)
	f.svc = svc
	return f
}

// lookups returns the value of switchboard_crm_lookups_total for result.
func (f *fixture) lookups(t *testing.T, result string) float64 {
	t.Helper()
	families, err := f.registry.Gather()
	require.NoError(t, err)
	for _, family := range families {
		if family.GetName() != "switchboard_crm_lookups_total" {
			continue
		}
		for _, m := range family.GetMetric() {
			for _, label := range m.GetLabel() {
				if label.GetName() == "result" && label.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// ann is a HubSpot contact with an owner.
func ann() crm.Record {
	return crm.Record{
		ID:     "51",
		Object: "contact",
		Properties: map[string]any{
			"firstname": "Ann", "lastname": "Lee", "email": "ann.lee@example.com",
			"phone": "+1 415 555 0123", "mobilephone": "030 1234567", "company": "Acme", "tier": "gold",
		},
		OwnerID:    "7",
		OwnerName:  "Olga Owner",
		OwnerEmail: "olga@acme.test",
		UpdatedAt:  time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC),
	}
}
