package crmsync

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestRunOnceFullSync(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 850)

		run := f.runOnce(t)

		require.Equal(t, ModeFull, run.Mode)
		require.Equal(t, store.CRMSyncSucceeded, run.State)
		require.Equal(t, 850, run.Created)
		require.Zero(t, run.Updated)
		require.Zero(t, run.Unchanged)
		require.Zero(t, run.Deleted)
		require.Zero(t, run.Failed)
		require.Empty(t, run.Errors)
		require.NotNil(t, run.FinishedAt)
		require.Equal(t, []string{"", "200", "400", "600", "800"}, f.crm.afters())
		f.requireInSync(t)

		pb, err := st.GetPhonebook(f.ctx, f.ws, f.phonebookID(t))
		require.NoError(t, err)
		require.Equal(t, "HubSpot EU", pb.Name)
		require.Equal(t, `Contacts synced from the CRM connection "HubSpot EU".`, pb.Description, "the description names the connection, not its id")
		require.Equal(t, "hubspot", pb.Source)

		state := f.state(t)
		require.Equal(t, store.CRMSyncIdle, state.State)
		require.Equal(t, f.crm.latest(), state.Checkpoint.Time)
		require.Empty(t, state.Cursor)
		require.Empty(t, state.RunID)
		require.Empty(t, state.LastError)
		require.Equal(t, testNow.Add(5*time.Minute), state.NextRunAt.Time)
	})
}

func TestRunOnceMapsOwnerIntoExtraData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1001, 1)

		f.runOnce(t)

		c, err := st.GetContactByExternalID(f.ctx, f.ws, f.phonebookID(t), "1001")
		require.NoError(t, err)
		require.JSONEq(t, `{"owner_id":"903","owner_name":"Di Okafor","owner_email":"di@acme.example",
			"crm_url":"https://app.hubspot.com/contacts/4242/record/0-1/1001"}`, string(c.ExtraData))
		require.Equal(t, []store.PhoneNumber{{Label: "work", Number: "(415) 200-1001", E164: "+14152001001"}}, c.PhoneNumbers.V)
		require.Equal(t, "First1001 Last1001", c.DisplayName)
		require.Equal(t, "Acme 1001", c.Company)
	})
}

func TestRunOnceIncremental(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 450)
		f.runOnce(t)
		for _, id := range []string{"1003", "1100", "1448"} {
			f.crm.set(id, map[string]any{"lastname": "Changed"})
		}
		f.crm.set("1200", map[string]any{"phone": "+1 415 299 0000", "hubspot_owner_id": "901"})
		f.crm.archive("1001")
		f.crm.archive("1300")
		f.crm.add(5000, 2)
		f.crm.resetSearches()

		run := f.runOnce(t)

		require.Equal(t, ModeIncremental, run.Mode)
		require.Equal(t, store.CRMSyncSucceeded, run.State)
		require.Equal(t, 2, run.Created)
		require.Equal(t, 4, run.Updated)
		// Contact 1449 changed last before the first run ended, exactly at
		// the checkpoint, so the inclusive since reads it again.
		require.Equal(t, 1, run.Unchanged)
		require.Equal(t, 2, run.Deleted)
		require.Zero(t, run.Failed)
		require.Equal(t, []string{""}, f.crm.afters())
		f.requireInSync(t)
		require.Equal(t, f.crm.latest(), f.state(t).Checkpoint.Time)

		tombstones, _, err := st.ListTombstones(f.ctx, f.ws, store.UnixMilli{}, nil, 10)
		require.NoError(t, err)
		var deleted []string
		for _, ts := range tombstones {
			deleted = append(deleted, *ts.ExternalID)
		}
		require.ElementsMatch(t, []string{"1001", "1300"}, deleted)
	})
}

func TestRunOnceWithoutChangesWritesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 30)
		f.crm.archive("1005")
		f.runOnce(t)
		f.crm.set("1006", map[string]any{"firstname": "Ann"})
		f.crm.archive("1007")
		f.runOnce(t)
		before, err := st.GetContactByExternalID(f.ctx, f.ws, f.phonebookID(t), "1006")
		require.NoError(t, err)

		run := f.runOnce(t)

		require.Zero(t, run.Created)
		require.Zero(t, run.Updated)
		// The checkpoint is the time 1007 was archived, so this run reads
		// that deletion again and finds nothing left to delete.
		require.Zero(t, run.Unchanged)
		require.Zero(t, run.Deleted)
		after, err := st.GetContactByExternalID(f.ctx, f.ws, f.phonebookID(t), "1006")
		require.NoError(t, err)
		require.Equal(t, before.UpdatedAt, after.UpdatedAt)
		f.requireInSync(t)
	})
}

func TestRunOnceResumesInterruptedRun(t *testing.T) {
	tests := []struct {
		name string
		// interrupt makes the fake CRM stop the run at the third page;
		// cancel cancels the run's context.
		interrupt func(cancel context.CancelFunc) func(http.ResponseWriter, *http.Request, int) bool
	}{
		{
			name: "CRM unavailable",
			interrupt: func(context.CancelFunc) func(http.ResponseWriter, *http.Request, int) bool {
				return failWith(3, http.StatusBadGateway, `{"status":"error","message":"Bad gateway"}`)
			},
		},
		{
			name: "context cancelled",
			interrupt: func(cancel context.CancelFunc) func(http.ResponseWriter, *http.Request, int) bool {
				return func(w http.ResponseWriter, r *http.Request, n int) bool {
					if n != 3 {
						return false
					}
					cancel()
					<-r.Context().Done()
					return true
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st *store.Store) {
				f := setup(t, st)
				f.crm.add(1000, 850)
				ctx, cancel := context.WithCancel(f.ctx)
				defer cancel()
				f.crm.setIntercept(tt.interrupt(cancel))

				stopped, err := f.engine.RunOnce(ctx, f.ws, f.conn.ID)

				require.ErrorIs(t, err, ErrRunInterrupted)
				require.NotErrorIs(t, err, ErrRunFailed)
				require.Equal(t, store.CRMSyncFailed, stopped.State)
				require.Equal(t, 400, stopped.Created)
				stored, err := st.GetSyncRun(f.ctx, f.conn.ID, stopped.ID)
				require.NoError(t, err)
				require.Equal(t, store.CRMSyncFailed, stored.State, "the history shows the stopped run as failed")
				require.NotNil(t, stored.FinishedAt)
				state := f.state(t)
				require.Equal(t, stored.Error, state.LastError, "the run's error is the interruption")
				require.Equal(t, stopped.ID, state.RunID)
				require.Equal(t, store.CRMSyncFailed, state.State)
				require.Equal(t, testNow.Add(store.DefaultCRMSyncIntervalSeconds*time.Second), state.NextRunAt.Time)
				require.Len(t, f.phonebook(t), 400)

				f.crm.setIntercept(nil)
				resumed := f.runOnce(t)

				require.Equal(t, stopped.ID, resumed.ID)
				require.Equal(t, ModeFull, resumed.Mode)
				require.Equal(t, store.CRMSyncSucceeded, resumed.State)
				require.Equal(t, 850, resumed.Created)
				require.Empty(t, resumed.Errors, "the interruption is dropped once the run resumes")
				afters := f.crm.afters()
				require.Equal(t, []string{"", "200", "400"}, afters[:3], "the first attempt stopped at its third page")
				require.Equal(t, "", afters[3], "the resumed run lists again from the latest change it stored")
				f.requireInSync(t)
				require.Equal(t, store.CRMSyncIdle, f.state(t).State)
				runs, err := st.ListSyncRuns(f.ctx, f.conn.ID, 10)
				require.NoError(t, err)
				require.Len(t, runs, 1)
			})
		})
	}
}

func TestRunWorkerSnoozesOnRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 450)
		f.crm.setIntercept(failWith(2, http.StatusTooManyRequests,
			`{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee00-1111-2222-3333-444455556666","policyName":"SECONDLY"}`,
			"Retry-After", "7"))
		worker := &RunWorker{engine: f.engine}
		job := &river.Job[RunArgs]{JobRow: &rivertype.JobRow{Kind: "crm_sync"}, Args: RunArgs{WorkspaceID: f.ws, ConnectionID: f.conn.ID}}

		err := worker.Work(f.ctx, job)

		var snooze *river.JobSnoozeError
		require.ErrorAs(t, err, &snooze)
		require.Equal(t, 7*time.Second, snooze.Duration)
		state := f.state(t)
		require.Equal(t, store.CRMSyncRunning, state.State)
		require.Equal(t, testNow.Add(7*time.Second), state.NextRunAt.Time)
		require.Contains(t, state.LastError, "rate limit")
		require.Len(t, f.phonebook(t), 200)

		f.crm.setIntercept(nil)
		require.NoError(t, worker.Work(f.ctx, job))

		f.requireInSync(t)
		runs, err := st.ListSyncRuns(f.ctx, f.conn.ID, 10)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, store.CRMSyncSucceeded, runs[0].State)
		require.Equal(t, 450, runs[0].Created)
	})
}

func TestRunOnceCountsInvalidRecordsAsFailed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 300)
		f.crm.set("1042", map[string]any{"phone": "12"})
		f.crm.set("1043", map[string]any{"phone": "12", "mobilephone": "+1 415 299 1043"})
		f.crm.set("1044", map[string]any{"firstname": strings.Repeat("x", 201)})

		run := f.runOnce(t)

		require.Equal(t, store.CRMSyncSucceeded, run.State)
		require.Equal(t, 298, run.Created)
		require.Equal(t, 2, run.Failed)
		require.Equal(t, []string{
			"record 1042: phone_numbers: no valid phone number in the CRM field(s) phone",
			"record 1044: Validation failed: first_name is 201 characters long; the limit is 200",
		}, run.Errors)
		got := f.phonebook(t)
		require.Len(t, got, 298)
		require.NotContains(t, got, "1042")
		require.NotContains(t, got, "1044")
		require.Equal(t, "+14152991043", got["1043"].Phone)
		stored, err := st.ListSyncRuns(f.ctx, f.conn.ID, 1)
		require.NoError(t, err)
		require.Equal(t, 2, stored[0].Failed)
		require.Equal(t, strings.Join(run.Errors, "\n"), stored[0].Error)
	})
}

func TestRunOnceKeepsFirstErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ids := f.crm.add(1000, 250)
		for _, id := range ids[:MaxRunErrors+5] {
			f.crm.set(id, map[string]any{"phone": "n/a"})
		}

		run := f.runOnce(t)

		require.Equal(t, MaxRunErrors+5, run.Failed)
		require.Len(t, run.Errors, MaxRunErrors)
		require.Equal(t, 250-MaxRunErrors-5, run.Created)
	})
}

func TestRunWorkerCancelsOnRejectedCredentials(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 10)
		f.crm.setToken("pat-na1-rotated")
		worker := &RunWorker{engine: f.engine}
		job := &river.Job[RunArgs]{JobRow: &rivertype.JobRow{Kind: "crm_sync"}, Args: RunArgs{WorkspaceID: f.ws, ConnectionID: f.conn.ID}}

		err := worker.Work(f.ctx, job)

		var cancelled *river.JobCancelError
		require.ErrorAs(t, err, &cancelled)
		require.ErrorIs(t, err, crm.ErrUnauthorized)
		require.ErrorIs(t, err, ErrRunFailed)
		state := f.state(t)
		require.Equal(t, store.CRMSyncFailed, state.State)
		require.Contains(t, state.LastError, "CRM rejected the credentials")
		require.Contains(t, state.LastError, "update the connection's token or authorize it again")
		require.NotContains(t, state.LastError, ErrRunFailed.Error())
		require.Empty(t, state.RunID)
		require.Empty(t, state.Cursor)
		require.Equal(t, testNow.Add(5*time.Minute), state.NextRunAt.Time)
		runs, err := st.ListSyncRuns(f.ctx, f.conn.ID, 10)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, store.CRMSyncFailed, runs[0].State)
		require.Equal(t, state.LastError, runs[0].Error)

		f.crm.setToken(fakeToken)
		run := f.runOnce(t)

		require.Equal(t, ModeFull, run.Mode)
		require.Equal(t, 10, run.Created)
		require.Empty(t, f.state(t).LastError)
	})
}

func TestRunOnceFailedFirstRunCreatesNoPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 20)
		f.crm.setIntercept(failWith(1, http.StatusBadGateway, `{"status":"error","message":"Bad gateway"}`))

		stopped, err := f.engine.RunOnce(f.ctx, f.ws, f.conn.ID)

		require.ErrorIs(t, err, ErrRunInterrupted)
		require.Equal(t, store.CRMSyncFailed, stopped.State)
		require.NotEmpty(t, stopped.Errors)
		conn, err := st.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		require.Nil(t, conn.PhonebookID, "a run that read nothing creates no phonebook")

		f.crm.setIntercept(nil)
		resumed := f.runOnce(t)

		require.Equal(t, stopped.ID, resumed.ID)
		require.Equal(t, store.CRMSyncSucceeded, resumed.State)
		require.Equal(t, 20, resumed.Created)
		f.requireInSync(t)
	})
}

func TestRunOnceRecreatesDeletedPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 20)
		f.runOnce(t)
		first := f.phonebookID(t)
		require.NoError(t, st.DeletePhonebook(f.ctx, f.ws, first, true))
		f.crm.set("1003", map[string]any{"lastname": "Moved"})

		run := f.runOnce(t)

		require.Equal(t, ModeFull, run.Mode)
		require.Equal(t, 20, run.Created)
		require.NotEqual(t, first, f.phonebookID(t))
		f.requireInSync(t)
	})
}

func TestRunOnceFullSyncIntoEmptiedPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 20)
		f.runOnce(t)
		pb := f.phonebookID(t)
		for id := range f.phonebook(t) {
			c, err := st.GetContactByExternalID(f.ctx, f.ws, pb, id)
			require.NoError(t, err)
			require.NoError(t, st.DeleteContact(f.ctx, f.ws, c.ID))
		}

		run := f.runOnce(t)

		require.Equal(t, ModeFull, run.Mode)
		require.Equal(t, 20, run.Created)
		f.requireInSync(t)
	})
}

func TestRunOnceUnknownConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		other := store.Workspace{Name: "Other"}
		require.NoError(t, st.CreateWorkspace(f.ctx, &other))

		_, err := f.engine.RunOnce(f.ctx, f.ws, "crm_missing")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.engine.RunOnce(f.ctx, other.ID, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.GetSyncState(f.ctx, f.conn.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestRunOnceRejectsInvalidMapping(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.add(1000, 3)
		rec, err := st.GetCRMConnection(f.ctx, f.ws, f.conn.ID)
		require.NoError(t, err)
		rec.Mapping = json.RawMessage(`{"fields":[{"target":"nickname","source":"firstname"}]}`)
		require.NoError(t, st.UpdateCRMConnection(f.ctx, &rec))

		run, err := f.engine.RunOnce(f.ctx, f.ws, f.conn.ID)

		require.ErrorIs(t, err, ErrRunFailed)
		require.Equal(t, store.CRMSyncFailed, run.State)
		require.Contains(t, f.state(t).LastError, "the field mapping is invalid")
		require.Empty(t, f.crm.afters())
	})
}

func TestPrepareKeepsLastVersionOfRepeatedRecord(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	records := []crm.Record{
		{ID: "7", Properties: map[string]any{"firstname": "Old", "phone": "+14152000007"}, UpdatedAt: at},
		{ID: "8", Archived: true, UpdatedAt: at.Add(time.Second)},
		{ID: "7", Properties: map[string]any{"firstname": "New", "phone": "+14152000007"}, UpdatedAt: at.Add(2 * time.Second)},
	}

	work := prepare(mapping.Default(crm.KindHubSpot), "US", records)

	require.Len(t, work.items, 1)
	require.Contains(t, string(work.items[0]), `"first_name":"New"`)
	require.Equal(t, []string{"7"}, work.itemIDs)
	require.Equal(t, []string{"8"}, work.deletes)
	require.Equal(t, at.Add(2*time.Second), work.seenUntil)
}

func TestResumedRunKeepsChangesMadeDuringInterruption(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ids := f.crm.add(1000, 850)
		f.crm.setIntercept(failWith(3, http.StatusBadGateway, `{"status":"error","message":"Bad gateway"}`))

		_, err := f.engine.RunOnce(f.ctx, f.ws, f.conn.ID)
		require.Error(t, err)
		require.Len(t, f.phonebook(t), 400)

		// While the run is stopped, a contact already synced changes. It
		// moves to the end of HubSpot's change order, so every record after
		// it shifts one place down: an offset cursor would skip one.
		f.crm.set(ids[0], map[string]any{"company": "Changed during the outage"})
		f.crm.archive(ids[1])
		f.crm.setIntercept(nil)

		resumed := f.runOnce(t)

		require.Equal(t, store.CRMSyncSucceeded, resumed.State)
		f.requireInSync(t)
	})
}
