package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// callLogFixture is a workspace with a CRM connection and calls to log.
type callLogFixture struct {
	telephony
	crm store.CRMConnection
}

func setupCallLogs(t *testing.T, s *store.Store) callLogFixture {
	t.Helper()
	f := callLogFixture{telephony: setupTelephony(t, s)}
	f.crm = store.CRMConnection{WorkspaceID: f.ws, Kind: "hubspot", Name: "HubSpot"}
	require.NoError(t, s.CreateCRMConnection(f.ctx, &f.crm))
	return f
}

// endedCall inserts an ended call with a pending log for the fixture's
// CRM connection.
func (f callLogFixture) endedCall(t *testing.T, providerCallID string) (store.Call, store.CallLog) {
	t.Helper()
	c := newCall(f.telephony, providerCallID)
	c.Status = "completed"
	insertCall(t, f.telephony, &c)
	inserted, err := f.s.InsertCallLog(f.ctx, f.ws, c.ID, f.crm.ID, 0)
	require.NoError(t, err)
	require.True(t, inserted)
	logs, err := f.s.ListCallLogsOfCalls(f.ctx, f.ws, []string{c.ID})
	require.NoError(t, err)
	require.Len(t, logs, 1)
	return c, logs[0]
}

// later is far enough ahead that every log made so far is due.
func later() store.UnixMilli { return store.Millis(time.Now().Add(time.Hour)) }

func TestInsertCallLogOncePerConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		c, l := f.endedCall(t, "CA1")

		again, err := s.InsertCallLog(f.ctx, f.ws, c.ID, f.crm.ID, 0)
		require.NoError(t, err)
		require.False(t, again, "a second log of the same call and connection")
		require.Regexp(t, `^clog_[0-9a-f]{32}$`, l.ID)
		require.Equal(t, store.CallLogPending, l.Status)
		require.Equal(t, int64(1), l.Revision)
		require.Equal(t, int64(0), l.LoggedRevision)
		require.True(t, l.Due())
		require.Nil(t, l.CRMContactIDs, "no contact chosen yet")

		require.NoError(t, s.SetCallLogContacts(f.ctx, l.ID, []string{"151", "152"}))
		got, err := s.GetCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.NotNil(t, got.CRMContactIDs)
		require.Equal(t, []string{"151", "152"}, got.CRMContactIDs.V)
		require.NoError(t, s.SetCallLogContacts(f.ctx, l.ID, nil))
		got, err = s.GetCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.NotNil(t, got.CRMContactIDs, "no contact is a choice too")
		require.Empty(t, got.CRMContactIDs.V)
	})
}

func TestListDueCallLogsOldestFirst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		_, first := f.endedCall(t, "CA1")
		_, second := f.endedCall(t, "CA2")
		_, third := f.endedCall(t, "CA3")
		_, err := s.RecordCallLogWritten(f.ctx, second.ID, "901", "https://crm.test/901", second.Revision)
		require.NoError(t, err)

		due, err := s.ListDueCallLogs(f.ctx, f.crm.ID, later(), 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, third.ID}, logIDs(due))

		limited, err := s.ListDueCallLogs(f.ctx, f.crm.ID, later(), 1)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID}, logIDs(limited))

		conns, err := s.ListConnectionsWithDueCallLogs(f.ctx, later(), 10)
		require.NoError(t, err)
		require.Equal(t, []store.CallLogConnection{{WorkspaceID: f.ws, ConnectionID: f.crm.ID}}, conns)

		backlog, err := s.CountDueCallLogs(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 2, backlog.Due)
		require.NotNil(t, backlog.Oldest)
		require.Equal(t, first.CreatedAt, *backlog.Oldest)
	})
}

func TestReviseCallLogsMakesLoggedDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		c, l := f.endedCall(t, "CA1")
		first, err := s.RecordCallLogWritten(f.ctx, l.ID, "901", "https://crm.test/901", l.Revision)
		require.NoError(t, err)
		require.True(t, first)

		revised, err := s.ReviseCallLogs(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Len(t, revised, 1)
		require.Equal(t, int64(2), revised[0].Revision)
		require.Equal(t, int64(1), revised[0].LoggedRevision)
		require.Equal(t, store.CallLogLogged, revised[0].Status)
		require.True(t, revised[0].Due())

		// A write of revision 1 that finishes after the revision keeps the
		// update due; the write of revision 2 clears it.
		again, err := s.RecordCallLogWritten(f.ctx, l.ID, "901", "https://crm.test/901", 1)
		require.NoError(t, err)
		require.False(t, again, "the log had its CRM id already")
		due, err := s.ListDueCallLogs(f.ctx, f.crm.ID, later(), 10)
		require.NoError(t, err)
		require.Equal(t, []string{l.ID}, logIDs(due))

		_, err = s.RecordCallLogWritten(f.ctx, l.ID, "901", "https://crm.test/901", 2)
		require.NoError(t, err)
		due, err = s.ListDueCallLogs(f.ctx, f.crm.ID, later(), 10)
		require.NoError(t, err)
		require.Empty(t, due)
	})
}

func TestRecordCallLogFailureAndRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		_, l := f.endedCall(t, "CA1")
		require.NoError(t, s.MarkCallLogCreateSent(f.ctx, l.ID))

		next := store.Millis(time.Now().Add(time.Minute))
		require.NoError(t, s.RecordCallLogFailure(f.ctx, l.ID, "CRM is unavailable: HTTP 503", 1, next, false))
		got, err := s.GetCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogPending, got.Status)
		require.Equal(t, 1, got.Attempts)
		require.Equal(t, "CRM is unavailable: HTTP 503", got.LastError)
		require.NotNil(t, got.CreateSentAt, "the create mark stays after a failure")
		due, err := s.ListDueCallLogs(f.ctx, f.crm.ID, store.Millis(time.Now()), 10)
		require.NoError(t, err)
		require.Empty(t, due, "not due before next_attempt_at")

		require.NoError(t, s.RecordCallLogFailure(f.ctx, l.ID, "HTTP 400: invalid property", 2, next, true))
		got, err = s.GetCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogFailed, got.Status)
		require.False(t, got.Due())

		conns, n, err := s.RetryFailedCallLogs(f.ctx, f.ws, "")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, []store.CallLogConnection{{WorkspaceID: f.ws, ConnectionID: f.crm.ID}}, conns)
		got, err = s.GetCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogPending, got.Status)
		require.Equal(t, 0, got.Attempts)
		require.Empty(t, got.LastError)
		require.True(t, got.Due())
	})
}

func TestRecordDueCallLogsErrorKeepsAttempts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		_, due := f.endedCall(t, "CA1")
		_, waiting := f.endedCall(t, "CA2")
		_, written := f.endedCall(t, "CA3")
		next := store.Millis(time.Now().Add(time.Hour))
		require.NoError(t, s.RecordCallLogFailure(f.ctx, waiting.ID, "CRM is unavailable: HTTP 503", 1, next, false))
		_, err := s.RecordCallLogWritten(f.ctx, written.ID, "901", "https://crm.test/901", written.Revision)
		require.NoError(t, err)

		const note = "rate limited by the CRM (HTTP 429), retrying in 2s"
		n, err := s.RecordDueCallLogsError(f.ctx, f.crm.ID, store.Millis(time.Now()), note)
		require.NoError(t, err)
		require.Equal(t, 1, n, "only the due log gets the error")

		got, err := s.GetCallLog(f.ctx, f.ws, due.ID)
		require.NoError(t, err)
		require.Equal(t, note, got.LastError)
		require.Equal(t, 0, got.Attempts, "a rate limit spends no attempt")
		require.Equal(t, store.CallLogPending, got.Status)
		require.Equal(t, due.NextAttemptAt, got.NextAttemptAt)

		got, err = s.GetCallLog(f.ctx, f.ws, waiting.ID)
		require.NoError(t, err)
		require.Equal(t, "CRM is unavailable: HTTP 503", got.LastError, "a log not yet due keeps its error")

		got, err = s.GetCallLog(f.ctx, f.ws, written.ID)
		require.NoError(t, err)
		require.Empty(t, got.LastError, "a log with nothing due gets no error")

		_, err = s.RecordCallLogWritten(f.ctx, due.ID, "902", "https://crm.test/902", due.Revision)
		require.NoError(t, err)
		got, err = s.GetCallLog(f.ctx, f.ws, due.ID)
		require.NoError(t, err)
		require.Empty(t, got.LastError, "writing the log clears the error")
	})
}

func TestRetryCallLogRewritesLoggedEntry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		_, l := f.endedCall(t, "CA1")
		_, err := s.RecordCallLogWritten(f.ctx, l.ID, "901", "https://crm.test/901", l.Revision)
		require.NoError(t, err)

		got, err := s.RetryCallLog(f.ctx, f.ws, l.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogLogged, got.Status)
		require.Equal(t, int64(2), got.Revision)
		require.True(t, got.Due())

		_, err = s.RetryCallLog(f.ctx, f.otherWS, l.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestSkipCallLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		c, pending := f.endedCall(t, "CA1")
		_, logged := f.endedCall(t, "CA2")
		_, err := s.RecordCallLogWritten(f.ctx, logged.ID, "901", "", logged.Revision)
		require.NoError(t, err)

		skipped, err := s.SkipCallLog(f.ctx, f.ws, pending.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogSkipped, skipped.Status)
		_, err = s.SkipCallLog(f.ctx, f.ws, logged.ID)
		require.ErrorIs(t, err, store.ErrConflict)

		revised, err := s.ReviseCallLogs(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Empty(t, revised, "a skipped log is not revised")
		due, err := s.ListDueCallLogs(f.ctx, f.crm.ID, later(), 10)
		require.NoError(t, err)
		require.Empty(t, due)
	})
}

func TestListCallLogsByStatusPaged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		var failed []string
		for _, id := range []string{"CA1", "CA2", "CA3"} {
			_, l := f.endedCall(t, id)
			require.NoError(t, s.RecordCallLogFailure(f.ctx, l.ID, "rejected", 1, later(), true))
			failed = append(failed, l.ID)
		}
		f.endedCall(t, "CA4")

		page, more, err := s.ListCallLogs(f.ctx, store.CallLogQuery{WorkspaceID: f.ws, Status: store.CallLogFailed, Limit: 2})
		require.NoError(t, err)
		require.True(t, more)
		require.Equal(t, failed[:2], logIDs(page))
		last := page[len(page)-1]
		rest, more, err := s.ListCallLogs(f.ctx, store.CallLogQuery{
			WorkspaceID: f.ws, Status: store.CallLogFailed, Limit: 2, After: &store.Keyset{At: last.CreatedAt, ID: last.ID},
		})
		require.NoError(t, err)
		require.False(t, more)
		require.Equal(t, failed[2:], logIDs(rest))

		other, _, err := s.ListCallLogs(f.ctx, store.CallLogQuery{WorkspaceID: f.otherWS, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, other)
	})
}

func TestSetCallNotes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		c, _ := f.endedCall(t, "CA1")

		var got store.Call
		require.NoError(t, s.InTx(f.ctx, func(q *store.Queries) error {
			var err error
			got, err = q.SetCallNotes(f.ctx, f.ws, c.ID, "Wants a quote by Friday.")
			return err
		}))
		require.Equal(t, "Wants a quote by Friday.", got.Notes)
		require.True(t, got.UpdatedAt.After(c.UpdatedAt.Time))
		stored, err := s.GetCall(f.ctx, f.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Wants a quote by Friday.", stored.Notes)

		_, err = s.SetCallNotes(f.ctx, f.otherWS, c.ID, "x")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func logIDs(logs []store.CallLog) []string {
	ids := make([]string, len(logs))
	for i, l := range logs {
		ids[i] = l.ID
	}
	return ids
}

func TestCallLogDrainLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		f := setupCallLogs(t, s)
		soon := store.Millis(time.Now().Add(time.Minute))

		got, err := s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-1", soon)
		require.NoError(t, err)
		require.True(t, got)
		got, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-2", soon)
		require.NoError(t, err)
		require.False(t, got, "the lease is held")
		got, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-1", soon)
		require.NoError(t, err)
		require.True(t, got, "the holder renews its lease")

		require.NoError(t, s.ReleaseCallLogDrain(f.ctx, f.crm.ID, "job-2"))
		got, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-2", soon)
		require.NoError(t, err)
		require.False(t, got, "only the holder releases")
		require.NoError(t, s.ReleaseCallLogDrain(f.ctx, f.crm.ID, "job-1"))
		got, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-2", soon)
		require.NoError(t, err)
		require.True(t, got)

		expired := store.Millis(time.Now().Add(-time.Second))
		require.NoError(t, s.ReleaseCallLogDrain(f.ctx, f.crm.ID, "job-2"))
		_, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-3", expired)
		require.NoError(t, err)
		got, err = s.AcquireCallLogDrain(f.ctx, f.crm.ID, "job-4", soon)
		require.NoError(t, err)
		require.True(t, got, "an expired lease is free")
	})
}
