package crmsync

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

const testMasterKey = "test-master-key-0123456789abcdef"

// testNow is the engine's clock in every test.
var testNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

// fixture is an engine over a fresh store with a workspace (region US)
// and one HubSpot connection with a token, pointed at a fake HubSpot.
type fixture struct {
	ctx    context.Context
	st     *store.Store
	crm    *fakeHubSpot
	conns  *crmconn.Service
	engine *Engine
	ws     string
	conn   crmconn.Connection
}

func setup(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), st: st, crm: newFakeHubSpot(t)}
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	f.conns = crmconn.New(st, keyring, crmconn.Options{})

	w := store.Workspace{Name: "Acme", DefaultRegion: "US"}
	require.NoError(t, st.CreateWorkspace(f.ctx, &w))
	f.ws = w.ID
	f.conn, err = f.conns.Create(f.ctx, w.ID, crmconn.Input{
		Kind: "hubspot", Name: "HubSpot EU", BaseURL: f.crm.URL,
		Auth:     &crmconn.AuthConfig{Type: crmconn.AuthToken, Token: fakeToken},
		Settings: crmconn.Settings{PortalID: "4242"},
	})
	require.NoError(t, err)

	f.engine = NewEngine(Config{
		Store: st, Directory: directory.New(st), Connections: f.conns,
		Log: zaptest.NewLogger(t), Now: func() time.Time { return testNow },
	})
	return f
}

// runOnce runs the sync and fails the test on an error.
func (f *fixture) runOnce(t *testing.T) Run {
	t.Helper()
	run, err := f.engine.RunOnce(f.ctx, f.ws, f.conn.ID)
	require.NoError(t, err)
	return run
}

// state returns the stored sync state.
func (f *fixture) state(t *testing.T) store.CRMSyncState {
	t.Helper()
	state, err := f.st.GetSyncState(f.ctx, f.conn.ID)
	require.NoError(t, err)
	return state
}

// phonebookID returns the phonebook the sync writes into.
func (f *fixture) phonebookID(t *testing.T) string {
	t.Helper()
	conn, err := f.conns.Get(f.ctx, f.ws, f.conn.ID)
	require.NoError(t, err)
	require.NotEmpty(t, conn.PhonebookID, "the connection has no phonebook")
	return conn.PhonebookID
}

// syncedContact is what a test compares of a contact: its key fields.
type syncedContact struct {
	FirstName  string
	LastName   string
	Email      string
	Phone      string // E.164
	OwnerEmail string
	CRMURL     string
}

// phonebook returns the synced phonebook's contacts by external_id.
func (f *fixture) phonebook(t *testing.T) map[string]syncedContact {
	t.Helper()
	out := map[string]syncedContact{}
	query := store.ContactQuery{WorkspaceID: f.ws, PhonebookID: f.phonebookID(t), Limit: 500}
	for {
		contacts, more, err := f.st.ListContacts(f.ctx, query)
		require.NoError(t, err)
		for _, c := range contacts {
			require.NotNil(t, c.ExternalID)
			var extra struct {
				OwnerEmail string `json:"owner_email"`
				CRMURL     string `json:"crm_url"`
			}
			require.NoError(t, json.Unmarshal(c.ExtraData, &extra))
			sc := syncedContact{FirstName: c.FirstName, LastName: c.LastName, OwnerEmail: extra.OwnerEmail, CRMURL: extra.CRMURL}
			if len(c.Emails.V) > 0 {
				sc.Email = c.Emails.V[0]
			}
			if len(c.PhoneNumbers.V) > 0 {
				sc.Phone = c.PhoneNumbers.V[0].E164
			}
			out[*c.ExternalID] = sc
		}
		if !more {
			return out
		}
		last := contacts[len(contacts)-1]
		query.After = &store.Keyset{At: last.CreatedAt, ID: last.ID}
	}
}

// expected returns the live contacts of the fake CRM as the phonebook
// should hold them.
func (f *fixture) expected(t *testing.T) map[string]syncedContact {
	t.Helper()
	out := map[string]syncedContact{}
	for id, c := range f.crm.live() {
		text := func(name string) string { s, _ := c.Properties[name].(string); return s }
		sc := syncedContact{
			FirstName: text("firstname"), LastName: text("lastname"), Email: text("email"),
			OwnerEmail: f.crm.owners[text("hubspot_owner_id")].Email,
			CRMURL:     "https://app.hubspot.com/contacts/4242/record/0-1/" + id,
		}
		if n, err := phone.Parse(text("phone"), "US"); err == nil {
			sc.Phone = n.E164
		}
		out[id] = sc
	}
	return out
}

// requireInSync fails the test unless the phonebook holds exactly the
// fake CRM's live contacts with their key fields.
func (f *fixture) requireInSync(t *testing.T) {
	t.Helper()
	want, got := f.expected(t), f.phonebook(t)
	require.Len(t, got, len(want))
	for id, c := range want {
		require.Equal(t, c, got[id], "contact with external_id %s", id)
	}
}

// lines returns the errors of run that contain substr.
func lines(run Run, substr string) []string {
	var out []string
	for _, e := range run.Errors {
		if strings.Contains(e, substr) {
			out = append(out, e)
		}
	}
	return out
}
