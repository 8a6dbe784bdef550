package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func newCallEvent(c store.Call, dedupeKey string, offset int) store.CallEventRecord {
	return store.CallEventRecord{
		WorkspaceID: c.WorkspaceID,
		CallID:      c.ID,
		DedupeKey:   dedupeKey,
		Status:      "ringing",
		Hook:        "status",
		OccurredAt:  callAt(offset),
		RawBody:     "CallSid=" + c.ProviderCallID + "&CallStatus=ringing",
		RawQuery:    "attempt=1",
		Normalized:  json.RawMessage(`{"status": "ringing"}`),
	}
}

// insertEvent inserts e in its own transaction and returns whether it was
// stored.
func insertEvent(t *testing.T, tel telephony, e *store.CallEventRecord) bool {
	t.Helper()
	var inserted bool
	require.NoError(t, tel.s.InTx(tel.ctx, func(q *store.Queries) error {
		var err error
		inserted, err = q.InsertCallEvent(tel.ctx, e)
		return err
	}))
	return inserted
}

func TestInsertCallEventStoresOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA-ev")
		insertCall(t, tel, &c)

		first := newCallEvent(c, "evt-1", 0)
		require.True(t, insertEvent(t, tel, &first))
		require.Regexp(t, `^cev_[0-9a-f]{32}$`, first.ID)
		require.False(t, first.ReceivedAt.IsZero(), "received_at defaults to now")

		retry := newCallEvent(c, "evt-1", 0)
		retry.RawQuery = "attempt=2"
		require.False(t, insertEvent(t, tel, &retry), "a retried delivery is not stored again")
		require.Empty(t, retry.ID)

		other := newCall(tel, "CA-ev-2")
		insertCall(t, tel, &other)
		sameKey := newCallEvent(other, "evt-1", 0)
		require.True(t, insertEvent(t, tel, &sameKey), "dedupe keys are per call")

		events, err := s.ListCallEvents(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, first.ID, events[0].ID)
		require.Equal(t, "attempt=1", events[0].RawQuery)
		require.Equal(t, "CallSid=CA-ev&CallStatus=ringing", events[0].RawBody)
		require.Equal(t, "status", events[0].Hook)
		require.Equal(t, "ringing", events[0].Status)
		require.Equal(t, `{"status":"ringing"}`, string(events[0].Normalized))
		require.Equal(t, callAt(0).UnixMilli(), events[0].OccurredAt.UnixMilli())
		require.Equal(t, first.ReceivedAt.UnixMilli(), events[0].ReceivedAt.UnixMilli())
	})
}

func TestListCallEventsByOccurredAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA-order")
		insertCall(t, tel, &c)

		// Received out of order: completed first, then ringing, then answered.
		for _, ev := range []struct {
			key    string
			offset int
		}{{"completed", 60}, {"ringing", 0}, {"answered", 5}} {
			e := newCallEvent(c, ev.key, ev.offset)
			e.Status = ev.key
			require.True(t, insertEvent(t, tel, &e))
		}

		events, err := s.ListCallEvents(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		var keys []string
		for _, e := range events {
			keys = append(keys, e.DedupeKey)
		}
		require.Equal(t, []string{"ringing", "answered", "completed"}, keys)

		none, err := s.ListCallEvents(tel.ctx, tel.otherWS, c.ID)
		require.NoError(t, err)
		require.Empty(t, none, "another workspace sees no events")
	})
}

func TestInsertCallEventEdgeCases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA-edge")
		insertCall(t, tel, &c)

		noKey := newCallEvent(c, "", 0)
		_, err := s.InsertCallEvent(tel.ctx, &noKey)
		require.ErrorContains(t, err, "dedupe key is empty")

		binary := newCallEvent(c, "binary", 0)
		binary.RawBody = "a\x00b\xffc"
		binary.Normalized = nil
		inserted, err := s.InsertCallEvent(tel.ctx, &binary)
		require.NoError(t, err)
		require.True(t, inserted)

		events, err := s.ListCallEvents(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, "a\uFFFDb\uFFFDc", events[0].RawBody)
		require.Equal(t, `{}`, string(events[0].Normalized))
	})
}
