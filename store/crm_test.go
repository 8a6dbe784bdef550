package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// crmFixture is a workspace with one HubSpot connection, and a second
// workspace to check isolation against.
type crmFixture struct {
	ctx     context.Context
	s       *store.Store
	ws      string
	otherWS string
	conn    store.CRMConnection
}

func setupCRM(t *testing.T, s *store.Store) crmFixture {
	t.Helper()
	f := crmFixture{ctx: context.Background(), s: s}

	w := store.Workspace{Name: "Acme"}
	require.NoError(t, s.CreateWorkspace(f.ctx, &w))
	f.ws = w.ID
	other := store.Workspace{Name: "Other"}
	require.NoError(t, s.CreateWorkspace(f.ctx, &other))
	f.otherWS = other.ID

	f.conn = store.CRMConnection{
		WorkspaceID: w.ID, Kind: "hubspot", Name: "HubSpot", Credentials: "ciphertext",
		Settings: json.RawMessage(`{"portal_id":"123"}`),
	}
	require.NoError(t, s.CreateCRMConnection(f.ctx, &f.conn))
	return f
}

func TestCRMConnectionCreateGet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		pb := store.Phonebook{WorkspaceID: f.ws, Name: "Pipedrive people"}
		require.NoError(t, s.CreatePhonebook(f.ctx, &pb))
		c := store.CRMConnection{
			WorkspaceID:         f.ws,
			Kind:                "pipedrive",
			Name:                "Sales",
			BaseURL:             "https://acme.pipedrive.com",
			Credentials:         "sealed",
			Settings:            json.RawMessage(`{ "company_domain": "acme" }`),
			PhonebookID:         &pb.ID,
			Mapping:             json.RawMessage(`{"fields": [ {"target":"first_name","source":"first_name"} ]}`),
			SyncEnabled:         true,
			SyncIntervalSeconds: 900,
		}
		require.NoError(t, s.CreateCRMConnection(f.ctx, &c))
		require.Regexp(t, `^crm_[0-9a-f]{32}$`, c.ID)

		got, err := s.GetCRMConnection(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "pipedrive", got.Kind)
		require.Equal(t, "Sales", got.Name)
		require.Equal(t, "https://acme.pipedrive.com", got.BaseURL)
		require.Equal(t, "sealed", got.Credentials)
		require.Equal(t, `{"company_domain":"acme"}`, string(got.Settings), "documents are stored compacted")
		require.Equal(t, pb.ID, *got.PhonebookID)
		require.Equal(t, `{"fields":[{"target":"first_name","source":"first_name"}]}`, string(got.Mapping))
		require.True(t, got.SyncEnabled)
		require.Equal(t, 900, got.SyncIntervalSeconds)
		require.Equal(t, c.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())
		require.Equal(t, c.CreatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())

		byID, err := s.GetCRMConnectionByID(f.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, f.ws, byID.WorkspaceID)
	})
}

func TestCRMConnectionDefaults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		c := store.CRMConnection{WorkspaceID: f.ws, Kind: "generic", Name: "Legacy CRM"}
		require.NoError(t, s.CreateCRMConnection(f.ctx, &c))

		got, err := s.GetCRMConnection(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, `{}`, string(got.Settings))
		require.Nil(t, got.Mapping, "no mapping means the default mapping")
		require.Nil(t, got.PhonebookID)
		require.False(t, got.SyncEnabled)
		require.Equal(t, store.DefaultCRMSyncIntervalSeconds, got.SyncIntervalSeconds)
	})
}

func TestCRMConnectionInvalidJSONRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		c := store.CRMConnection{WorkspaceID: f.ws, Kind: "hubspot", Name: "Broken", Mapping: json.RawMessage(`{"fields":`)}

		err := s.CreateCRMConnection(f.ctx, &c)
		require.ErrorContains(t, err, "mapping is not valid JSON")
	})
}

func TestCRMConnectionList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		second := store.CRMConnection{WorkspaceID: f.ws, Kind: "salesforce", Name: "Salesforce"}
		require.NoError(t, s.CreateCRMConnection(f.ctx, &second))
		theirs := store.CRMConnection{WorkspaceID: f.otherWS, Kind: "hubspot", Name: "Theirs"}
		require.NoError(t, s.CreateCRMConnection(f.ctx, &theirs))

		list, err := s.ListCRMConnections(f.ctx, f.ws)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, f.conn.ID, list[0].ID, "oldest first")
		require.Equal(t, second.ID, list[1].ID)
	})
}

func TestCRMConnectionUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		pb := store.Phonebook{WorkspaceID: f.ws, Name: "HubSpot contacts"}
		require.NoError(t, s.CreatePhonebook(f.ctx, &pb))
		c := f.conn
		c.Kind = "pipedrive" // ignored: the kind is fixed at creation
		c.Name = "Renamed"
		c.BaseURL = "http://127.0.0.1:9999"
		c.Credentials = "ignored" // credentials change through UpdateCRMCredentials only
		c.Settings = json.RawMessage(`{"portal_id":"456"}`)
		c.PhonebookID = &pb.ID
		c.Mapping = json.RawMessage(`{"fields":[]}`)
		c.SyncEnabled = true
		c.SyncIntervalSeconds = 60
		require.NoError(t, s.UpdateCRMConnection(f.ctx, &c))
		require.Equal(t, f.conn.CreatedAt.UnixMilli(), c.CreatedAt.UnixMilli())
		require.Greater(t, c.UpdatedAt.UnixMilli(), f.conn.UpdatedAt.UnixMilli())

		got, err := s.GetCRMConnection(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "hubspot", got.Kind)
		require.Equal(t, "Renamed", got.Name)
		require.Equal(t, "http://127.0.0.1:9999", got.BaseURL)
		require.Equal(t, "ciphertext", got.Credentials)
		require.Equal(t, `{"portal_id":"456"}`, string(got.Settings))
		require.Equal(t, pb.ID, *got.PhonebookID)
		require.Equal(t, `{"fields":[]}`, string(got.Mapping))
		require.True(t, got.SyncEnabled)
		require.Equal(t, 60, got.SyncIntervalSeconds)

		c.Mapping = nil
		require.NoError(t, s.UpdateCRMConnection(f.ctx, &c))
		got, err = s.GetCRMConnection(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Nil(t, got.Mapping, "an empty mapping goes back to the default")
	})
}

func TestCRMCredentialsUpdateKeepsUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)

		require.NoError(t, s.UpdateCRMCredentials(f.ctx, f.ws, f.conn.ID, "refreshed"))

		got, err := s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Equal(t, "refreshed", got.Credentials)
		require.Equal(t, f.conn.UpdatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())
		require.Equal(t, "HubSpot", got.Name)
	})
}

func TestCRMConnectionGetForUpdateInTx(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)

		err := s.InTx(f.ctx, func(q *store.Queries) error {
			c, err := q.GetCRMConnectionForUpdate(f.ctx, f.ws, f.conn.ID)
			if err != nil {
				return err
			}
			return q.UpdateCRMCredentials(f.ctx, f.ws, c.ID, c.Credentials+"-merged")
		})
		require.NoError(t, err)

		got, err := s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Equal(t, "ciphertext-merged", got.Credentials)
		_, err = s.GetCRMConnectionForUpdate(f.ctx, f.otherWS, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestCRMConnectionPhonebookSetAndCleared(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		pb := store.Phonebook{WorkspaceID: f.ws, Name: "HubSpot contacts"}
		require.NoError(t, s.CreatePhonebook(f.ctx, &pb))

		require.NoError(t, s.SetCRMConnectionPhonebook(f.ctx, f.ws, f.conn.ID, pb.ID))
		got, err := s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Equal(t, pb.ID, *got.PhonebookID)

		require.NoError(t, s.DeletePhonebook(f.ctx, f.ws, pb.ID, true))
		got, err = s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Nil(t, got.PhonebookID, "deleting the phonebook clears the sync target")
	})
}

func TestCRMConnectionOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)

		_, err := s.GetCRMConnection(f.ctx, f.otherWS, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		stolen := f.conn
		stolen.WorkspaceID = f.otherWS
		require.ErrorIs(t, s.UpdateCRMConnection(f.ctx, &stolen), store.ErrNotFound)
		require.ErrorIs(t, s.UpdateCRMCredentials(f.ctx, f.otherWS, f.conn.ID, "x"), store.ErrNotFound)
		require.ErrorIs(t, s.SetCRMConnectionPhonebook(f.ctx, f.otherWS, f.conn.ID, "pb_x"), store.ErrNotFound)
		require.ErrorIs(t, s.DeleteCRMConnection(f.ctx, f.otherWS, f.conn.ID), store.ErrNotFound)
		list, err := s.ListCRMConnections(f.ctx, f.otherWS)
		require.NoError(t, err)
		require.Empty(t, list)

		got, err := s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Equal(t, "ciphertext", got.Credentials)
	})
}

func TestCRMConnectionDeleteRemovesSyncData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		require.NoError(t, s.SaveSyncState(f.ctx, &store.CRMSyncState{ConnectionID: f.conn.ID, WorkspaceID: f.ws}))
		run := store.CRMSyncRun{ConnectionID: f.conn.ID, WorkspaceID: f.ws, Mode: "full"}
		require.NoError(t, s.InsertSyncRun(f.ctx, &run))

		require.NoError(t, s.DeleteCRMConnection(f.ctx, f.ws, f.conn.ID))

		_, err := s.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetSyncState(f.ctx, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		runs, err := s.ListSyncRuns(f.ctx, f.conn.ID, 10)
		require.NoError(t, err)
		require.Empty(t, runs)
	})
}

func TestSyncStateSaveAndReplace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		_, err := s.GetSyncState(f.ctx, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		state := store.CRMSyncState{ConnectionID: f.conn.ID, WorkspaceID: f.ws, Cursor: "page-2", RunID: "crmrun_1", State: store.CRMSyncRunning}
		require.NoError(t, s.SaveSyncState(f.ctx, &state))
		got, err := s.GetSyncState(f.ctx, f.conn.ID)
		require.NoError(t, err)
		require.True(t, got.Checkpoint.IsZero(), "no checkpoint before the first complete run")
		require.Nil(t, got.NextRunAt)
		require.Equal(t, "page-2", got.Cursor)
		require.Equal(t, "crmrun_1", got.RunID)
		require.Equal(t, store.CRMSyncRunning, got.State)
		require.Equal(t, f.ws, got.WorkspaceID)

		checkpoint := store.Millis(time.Date(2026, 3, 10, 14, 2, 11, 0, time.UTC))
		next := store.Millis(time.Date(2026, 3, 10, 14, 7, 11, 0, time.UTC))
		state = store.CRMSyncState{ConnectionID: f.conn.ID, WorkspaceID: f.ws, Checkpoint: checkpoint, NextRunAt: &next, LastError: "HubSpot returned 502"}
		require.NoError(t, s.SaveSyncState(f.ctx, &state))
		got, err = s.GetSyncState(f.ctx, f.conn.ID)
		require.NoError(t, err)
		require.Equal(t, checkpoint.UnixMilli(), got.Checkpoint.UnixMilli())
		require.Equal(t, next.UnixMilli(), got.NextRunAt.UnixMilli())
		require.Empty(t, got.Cursor)
		require.Empty(t, got.RunID)
		require.Equal(t, store.CRMSyncIdle, got.State, "an empty state is stored as idle")
		require.Equal(t, "HubSpot returned 502", got.LastError)
	})
}

func TestSyncRunLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		first := store.CRMSyncRun{ConnectionID: f.conn.ID, WorkspaceID: f.ws, Mode: "full", StartedAt: store.Millis(time.Unix(1_700_000_000, 0))}
		require.NoError(t, s.InsertSyncRun(f.ctx, &first))
		require.Regexp(t, `^crmrun_[0-9a-f]{32}$`, first.ID)
		require.Equal(t, store.CRMSyncRunning, first.State)

		first.Created, first.Failed = 40, 1
		require.NoError(t, s.SaveSyncRunProgress(f.ctx, &first))
		got, err := s.GetSyncRun(f.ctx, f.conn.ID, first.ID)
		require.NoError(t, err)
		require.Equal(t, 40, got.Created)
		require.Equal(t, store.CRMSyncRunning, got.State)
		require.Nil(t, got.FinishedAt)

		first.Created, first.Updated, first.Deleted, first.Failed = 120, 3, 2, 1
		first.State = store.CRMSyncSucceeded
		require.NoError(t, s.FinishSyncRun(f.ctx, &first))
		got, err = s.GetSyncRun(f.ctx, f.conn.ID, first.ID)
		require.NoError(t, err)
		require.Equal(t, store.CRMSyncSucceeded, got.State)
		require.NotNil(t, got.FinishedAt)
		require.Equal(t, first.FinishedAt.UnixMilli(), got.FinishedAt.UnixMilli())
		require.Equal(t, []int{120, 3, 2, 1}, []int{got.Created, got.Updated, got.Deleted, got.Failed})
		require.Equal(t, "full", got.Mode)

		second := store.CRMSyncRun{ConnectionID: f.conn.ID, WorkspaceID: f.ws, Mode: "incremental"}
		require.NoError(t, s.InsertSyncRun(f.ctx, &second))
		second.State, second.Error = store.CRMSyncFailed, "HubSpot rejected the credentials"
		require.NoError(t, s.FinishSyncRun(f.ctx, &second))

		runs, err := s.ListSyncRuns(f.ctx, f.conn.ID, 10)
		require.NoError(t, err)
		require.Len(t, runs, 2)
		require.Equal(t, second.ID, runs[0].ID, "latest first")
		require.Equal(t, "HubSpot rejected the credentials", runs[0].Error)
		require.Equal(t, first.ID, runs[1].ID)

		runs, err = s.ListSyncRuns(f.ctx, f.conn.ID, 1)
		require.NoError(t, err)
		require.Len(t, runs, 1)
	})
}

func TestSyncRunFinishRejectsRunningState(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		run := store.CRMSyncRun{ConnectionID: f.conn.ID, WorkspaceID: f.ws}
		require.NoError(t, s.InsertSyncRun(f.ctx, &run))

		err := s.FinishSyncRun(f.ctx, &run)
		require.ErrorContains(t, err, `state is "running"`)

		run.ID, run.State = "crmrun_missing", store.CRMSyncSucceeded
		require.ErrorIs(t, s.FinishSyncRun(f.ctx, &run), store.ErrNotFound)
	})
}

func TestListDueCRMSyncs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCRM(t, s)
		at := store.Millis(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		newConn := func(name string, enabled bool) store.CRMConnection {
			c := store.CRMConnection{WorkspaceID: f.otherWS, Kind: "hubspot", Name: name, SyncEnabled: enabled}
			require.NoError(t, s.CreateCRMConnection(f.ctx, &c))
			return c
		}
		never := newConn("never synced", true)
		overdue := newConn("overdue", true)
		later := newConn("not due", true)
		newConn("disabled", false)
		past := store.Millis(at.Add(-time.Minute))
		future := store.Millis(at.Add(time.Minute))
		require.NoError(t, s.SaveSyncState(f.ctx, &store.CRMSyncState{ConnectionID: overdue.ID, WorkspaceID: f.otherWS, NextRunAt: &past}))
		require.NoError(t, s.SaveSyncState(f.ctx, &store.CRMSyncState{ConnectionID: later.ID, WorkspaceID: f.otherWS, NextRunAt: &future}))

		due, err := s.ListDueCRMSyncs(f.ctx, at, 10)
		require.NoError(t, err)
		require.Equal(t, []store.CRMConnectionRef{
			{ID: never.ID, WorkspaceID: f.otherWS},
			{ID: overdue.ID, WorkspaceID: f.otherWS},
		}, due, "the fixture's connection has sync disabled")

		due, err = s.ListDueCRMSyncs(f.ctx, at, 1)
		require.NoError(t, err)
		require.Len(t, due, 1)
	})
}
