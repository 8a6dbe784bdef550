package connections_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/connections"
)

// crmConnection stores a HubSpot CRM connection in workspaceID and returns
// its id.
func crmConnection(t *testing.T, f fixture, workspaceID string) string {
	t.Helper()
	c := store.CRMConnection{WorkspaceID: workspaceID, Kind: "hubspot", Name: "HubSpot", Credentials: "sealed"}
	require.NoError(t, f.st.CreateCRMConnection(f.ctx, &c))
	return c.ID
}

func TestCreateCRMLookup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		crmID := crmConnection(t, f, f.ws)
		in := twilioInput()
		in.LookupOrder = connections.LookupPhonebookThenCRM
		in.CRMConnectionID = crmID
		in.RerouteLateCRMAnswers = ptr(true)

		created, _, err := f.svc.Create(f.ctx, f.ws, in)
		require.NoError(t, err)
		got, err := f.svc.Get(f.ctx, f.ws, created.ID)

		require.NoError(t, err)
		require.Equal(t, "phonebook_then_crm", got.LookupOrder)
		require.Equal(t, crmID, got.CRMConnectionID)
		require.Equal(t, store.DefaultCRMDeadlineMillis, got.CRMDeadlineMillis)
		require.True(t, got.RerouteLateCRMAnswers)
	})
}

func TestCreateRejectsInvalidCRMLookup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		crmID := crmConnection(t, f, f.ws)
		otherCRM := crmConnection(t, f, f.otherWS)
		tests := []struct {
			name   string
			change func(*connections.Input)
			want   map[string]string // field name → part of the reason
		}{
			{name: "crm order without connection", change: func(in *connections.Input) { in.LookupOrder = "crm" },
				want: map[string]string{"crm_connection_id": `is required with lookup_order "crm"`}},
			{name: "crm connection of other workspace", change: func(in *connections.Input) {
				in.LookupOrder, in.CRMConnectionID = "crm", otherCRM
			}, want: map[string]string{"crm_connection_id": `no CRM connection "` + otherCRM + `" exists in this workspace`}},
			{name: "unknown crm connection with phonebook order", change: func(in *connections.Input) { in.CRMConnectionID = "crm_missing" },
				want: map[string]string{"crm_connection_id": `no CRM connection "crm_missing"`}},
			{name: "crm deadline not below deadline", change: func(in *connections.Input) {
				in.LookupOrder, in.CRMConnectionID = "phonebook_then_crm", crmID
				in.DeadlineMillis, in.CRMDeadlineMillis = ptr(800), ptr(800)
			}, want: map[string]string{"crm_deadline_ms": "800 must be below deadline_ms (800)"}},
			{name: "crm deadline too short", change: func(in *connections.Input) { in.CRMDeadlineMillis = ptr(49) },
				want: map[string]string{"crm_deadline_ms": "49 is out of range: use 50 to 9999 milliseconds"}},
			{name: "late reroute on generic", change: func(in *connections.Input) {
				in.Provider, in.Credentials = "generic", nil
				in.RerouteLateCRMAnswers = ptr(true)
			}, want: map[string]string{"reroute_late_crm_answers": "generic connections have no API to move a live call"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := twilioInput()
				tt.change(&in)
				_, _, err := f.svc.Create(f.ctx, f.ws, in)
				requireFieldErrors(t, err, tt.want)
			})
		}
	})
}

func TestCRMDeadlineIgnoredForPhonebookOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		in := twilioInput()
		in.DeadlineMillis = ptr(500)

		created, _, err := f.svc.Create(f.ctx, f.ws, in)

		require.NoError(t, err, "the default CRM deadline of 800 ms only matters once the CRM is read")
		require.Equal(t, 800, created.CRMDeadlineMillis)
	})
}

func TestUpdateSwitchesLookupOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		crmID := crmConnection(t, f, f.ws)
		created, _, err := f.svc.Create(f.ctx, f.ws, twilioInput())
		require.NoError(t, err)

		updated, err := f.svc.Update(f.ctx, f.ws, created.ID, connections.Patch{
			LookupOrder: ptr("crm"), CRMConnectionID: ptr(crmID), CRMDeadlineMillis: ptr(300),
		})
		require.NoError(t, err)
		require.Equal(t, "crm", updated.LookupOrder)
		require.Equal(t, 300, updated.CRMDeadlineMillis)

		_, err = f.svc.Update(f.ctx, f.ws, created.ID, connections.Patch{CRMConnectionID: ptr("")})
		requireFieldErrors(t, err, map[string]string{"crm_connection_id": "is required"})

		back, err := f.svc.Update(f.ctx, f.ws, created.ID, connections.Patch{LookupOrder: ptr("phonebook"), CRMConnectionID: ptr("")})
		require.NoError(t, err)
		require.Equal(t, "", back.CRMConnectionID)
	})
}
