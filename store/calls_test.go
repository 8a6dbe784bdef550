package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// callAt is 2024-05-01T12:00:00Z plus offset seconds.
func callAt(offset int) store.UnixMilli {
	return store.Millis(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(offset) * time.Second))
}

func newCall(tel telephony, providerCallID string) store.Call {
	return store.Call{
		WorkspaceID:    tel.ws,
		ConnectionID:   tel.conn.ID,
		Provider:       "twilio",
		ProviderCallID: providerCallID,
		Direction:      "inbound",
		FromRaw:        "+14155550100",
		FromE164:       "+14155550100",
		ToRaw:          "+14155550111",
		ToE164:         "+14155550111",
		Status:         "ringing",
		StartedAt:      callAt(0),
		LastEventAt:    callAt(0),
	}
}

// insertCall inserts c in its own transaction.
func insertCall(t *testing.T, tel telephony, c *store.Call) {
	t.Helper()
	require.NoError(t, tel.s.InTx(tel.ctx, func(q *store.Queries) error { return q.InsertCall(tel.ctx, c) }))
}

func TestInsertCallGetByProviderID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA100")
		insertCall(t, tel, &c)
		require.Regexp(t, `^call_[0-9a-f]{32}$`, c.ID)
		require.False(t, c.CreatedAt.IsZero())
		require.Equal(t, c.CreatedAt, c.UpdatedAt)

		var got store.Call
		require.NoError(t, s.InTx(tel.ctx, func(q *store.Queries) error {
			var err error
			got, err = q.GetCallByProviderIDForUpdate(tel.ctx, tel.conn.ID, "CA100")
			return err
		}))
		require.Equal(t, c.ID, got.ID)
		require.Equal(t, "+14155550100", got.FromE164)
		require.Equal(t, "ringing", got.Status)
		require.Equal(t, callAt(0).UnixMilli(), got.StartedAt.UnixMilli())
		require.Nil(t, got.AnsweredAt)
		require.Nil(t, got.EndedAt)
		require.Nil(t, got.ContactID)
		require.Nil(t, got.Routing, "a call never routed has no routing document")
		require.Equal(t, []string{}, got.MatchedContactIDs.V)

		_, err := s.GetCallByProviderIDForUpdate(tel.ctx, tel.conn.ID, "CA999")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestInsertCallDuplicateKeepsTransactionUsable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		first := newCall(tel, "CA200")
		insertCall(t, tel, &first)

		err := s.InTx(tel.ctx, func(q *store.Queries) error {
			dup := newCall(tel, "CA200")
			err := q.InsertCall(tel.ctx, &dup)
			require.ErrorIs(t, err, store.ErrConflict)
			require.Empty(t, dup.ID)

			// On PostgreSQL a failed statement would abort the transaction;
			// ON CONFLICT DO NOTHING does not.
			existing, err := q.GetCallByProviderIDForUpdate(tel.ctx, tel.conn.ID, "CA200")
			require.NoError(t, err)
			existing.Status = "answered"
			return q.UpdateCall(tel.ctx, &existing)
		})
		require.NoError(t, err)

		got, err := s.GetCall(tel.ctx, tel.ws, first.ID)
		require.NoError(t, err)
		require.Equal(t, "answered", got.Status)
	})
}

func TestInsertCallSameIDOnOtherConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		other := store.TelephonyConnection{WorkspaceID: tel.ws, Provider: "twilio", Name: "Second number"}
		require.NoError(t, s.CreateTelephonyConnection(tel.ctx, &other))

		a := newCall(tel, "CA300")
		insertCall(t, tel, &a)
		b := newCall(tel, "CA300")
		b.ConnectionID = other.ID
		insertCall(t, tel, &b)

		require.NotEqual(t, a.ID, b.ID)
	})
}

// TestConcurrentWebhooksCreateOneCall runs the sequence of the webhook
// path (read under lock, insert when missing, on conflict read again and
// update) for one provider call id from several goroutines at once.
func TestConcurrentWebhooksCreateOneCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		const writers = 8
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup

		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.InTx(tel.ctx, func(q *store.Queries) error {
					return upsertCallAgent(tel, q, fmt.Sprintf("agent-%d", i))
				})
			}()
		}
		close(start)
		wg.Wait()

		for i, err := range errs {
			require.NoError(t, err, "writer %d", i)
		}
		calls, _, err := s.ListCalls(tel.ctx, store.CallQuery{WorkspaceID: tel.ws, Limit: 10})
		require.NoError(t, err)
		require.Len(t, calls, 1)
		require.Regexp(t, `^agent-[0-7]$`, calls[0].Agent)
	})
}

func upsertCallAgent(tel telephony, q *store.Queries, agent string) error {
	c, err := q.GetCallByProviderIDForUpdate(tel.ctx, tel.conn.ID, "CA-RACE")
	if err == nil {
		c.Agent = agent
		return q.UpdateCall(tel.ctx, &c)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}

	c = newCall(tel, "CA-RACE")
	c.Agent = agent
	err = q.InsertCall(tel.ctx, &c)
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	c, err = q.GetCallByProviderIDForUpdate(tel.ctx, tel.conn.ID, "CA-RACE")
	if err != nil {
		return err
	}
	c.Agent = agent
	return q.UpdateCall(tel.ctx, &c)
}

func TestUpdateCallStoresEveryField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA400")
		insertCall(t, tel, &c)

		answered, ended := callAt(5), callAt(65)
		contact, phonebook := "ct_1", "pb_1"
		c.Status = "completed"
		c.Agent = "alice"
		c.AnsweredAt = &answered
		c.EndedAt = &ended
		c.DurationSeconds = 60
		c.RecordingURL = "https://recordings.example.com/r1.mp3"
		c.ContactID = &contact
		c.PhonebookID = &phonebook
		c.MatchedContactIDs.V = []string{"ct_1", "ct_2"}
		c.Routing = json.RawMessage(`{ "route": {"kind": "queue", "target": "vip"}, "rule_index": 0 }`)
		c.LastEventAt = ended
		require.NoError(t, s.InTx(tel.ctx, func(q *store.Queries) error { return q.UpdateCall(tel.ctx, &c) }))

		got, err := s.GetCall(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "completed", got.Status)
		require.Equal(t, "alice", got.Agent)
		require.Equal(t, answered.UnixMilli(), got.AnsweredAt.UnixMilli())
		require.Equal(t, ended.UnixMilli(), got.EndedAt.UnixMilli())
		require.Equal(t, 60, got.DurationSeconds)
		require.Equal(t, "https://recordings.example.com/r1.mp3", got.RecordingURL)
		require.Equal(t, "ct_1", *got.ContactID)
		require.Equal(t, "pb_1", *got.PhonebookID)
		require.Equal(t, []string{"ct_1", "ct_2"}, got.MatchedContactIDs.V)
		require.Equal(t, `{"route":{"kind":"queue","target":"vip"},"rule_index":0}`, string(got.Routing))
		require.Equal(t, ended.UnixMilli(), got.LastEventAt.UnixMilli())
		require.Equal(t, c.UpdatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())
		require.Greater(t, got.UpdatedAt.UnixMilli(), got.CreatedAt.UnixMilli())
	})
}

func TestUpdateCallUnchangedKeepsUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA500")
		c.Routing = json.RawMessage(`{"reason":"rule"}`)
		insertCall(t, tel, &c)
		stored, err := s.GetCall(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)

		// The same call, with the routing document spaced differently and
		// times carrying a time zone, is unchanged.
		same := stored
		same.Routing = json.RawMessage(`{ "reason": "rule" }`)
		same.StartedAt = store.UnixMilli{Time: stored.StartedAt.In(time.FixedZone("CEST", 7200))}
		same.UpdatedAt = store.UnixMilli{}
		require.NoError(t, s.InTx(tel.ctx, func(q *store.Queries) error { return q.UpdateCall(tel.ctx, &same) }))
		require.Equal(t, stored.UpdatedAt.UnixMilli(), same.UpdatedAt.UnixMilli())

		again, err := s.GetCall(tel.ctx, tel.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, stored.UpdatedAt.UnixMilli(), again.UpdatedAt.UnixMilli())
	})
}

func TestUpdateCallChangeAlwaysMovesUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA600")
		insertCall(t, tel, &c)
		previous := c.UpdatedAt.UnixMilli()

		for i := range 5 {
			c.DurationSeconds = i + 1
			require.NoError(t, s.InTx(tel.ctx, func(q *store.Queries) error { return q.UpdateCall(tel.ctx, &c) }))
			require.Greater(t, c.UpdatedAt.UnixMilli(), previous)
			previous = c.UpdatedAt.UnixMilli()
		}
	})
}

func TestCallOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		c := newCall(tel, "CA700")
		insertCall(t, tel, &c)

		_, err := s.GetCall(tel.ctx, tel.otherWS, c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		stolen := c
		stolen.WorkspaceID = tel.otherWS
		stolen.Status = "failed"
		err = s.InTx(tel.ctx, func(q *store.Queries) error { return q.UpdateCall(tel.ctx, &stolen) })
		require.ErrorIs(t, err, store.ErrNotFound)

		calls, _, err := s.ListCalls(tel.ctx, store.CallQuery{WorkspaceID: tel.otherWS, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, calls)
	})
}

func TestListCallsFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		second := store.TelephonyConnection{WorkspaceID: tel.ws, Provider: "telnyx", Name: "Second"}
		require.NoError(t, s.CreateTelephonyConnection(tel.ctx, &second))

		contact, phonebook := "ct_match", "pb_match"
		ended := callAt(90)
		ringing := newCall(tel, "CA-ringing")
		insertCall(t, tel, &ringing)
		matched := newCall(tel, "CA-matched")
		matched.ContactID, matched.PhonebookID = &contact, &phonebook
		matched.Status, matched.EndedAt = "completed", &ended
		insertCall(t, tel, &matched)
		outbound := newCall(tel, "CA-outbound")
		outbound.ConnectionID, outbound.Direction, outbound.Status = second.ID, "outbound", "missed"
		outbound.EndedAt = &ended
		insertCall(t, tel, &outbound)

		tests := []struct {
			name  string
			query store.CallQuery
			want  []string
		}{
			{name: "all", query: store.CallQuery{}, want: []string{ringing.ID, matched.ID, outbound.ID}},
			{name: "connection", query: store.CallQuery{ConnectionID: second.ID}, want: []string{outbound.ID}},
			{name: "contact", query: store.CallQuery{ContactID: contact}, want: []string{matched.ID}},
			{name: "phonebook", query: store.CallQuery{PhonebookID: phonebook}, want: []string{matched.ID}},
			{name: "direction", query: store.CallQuery{Direction: "inbound"}, want: []string{ringing.ID, matched.ID}},
			{name: "status", query: store.CallQuery{Status: "missed"}, want: []string{outbound.ID}},
			{name: "ended since", query: store.CallQuery{EndedSince: &ended}, want: []string{matched.ID, outbound.ID}},
			{name: "sorted by ended_at lists ended calls", query: store.CallQuery{SortBy: "ended_at"}, want: []string{matched.ID, outbound.ID}},
			{name: "created since later", query: store.CallQuery{CreatedSince: ptrTo(store.Millis(time.Now().Add(time.Hour)))}, want: nil},
			{name: "updated since earlier", query: store.CallQuery{UpdatedSince: &ringing.CreatedAt, Status: "ringing"}, want: []string{ringing.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.query.WorkspaceID = tel.ws
				tt.query.Limit = 10
				calls, hasMore, err := s.ListCalls(tel.ctx, tt.query)
				require.NoError(t, err)
				require.False(t, hasMore)
				require.Equal(t, tt.want, callIDs(calls))
			})
		}
	})
}

func TestListCallsRejectsBadQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)

		_, _, err := s.ListCalls(tel.ctx, store.CallQuery{WorkspaceID: tel.ws, SortBy: "status", Limit: 10})
		require.ErrorContains(t, err, `sort field "status" is invalid`)
		_, _, err = s.ListCalls(tel.ctx, store.CallQuery{WorkspaceID: tel.ws, Limit: 0})
		require.ErrorContains(t, err, "limit is 0")
	})
}

func TestListCallsPagesEachCallOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		var ids []string
		for i := range 23 {
			c := newCall(tel, fmt.Sprintf("CA-page-%02d", i))
			ended := callAt(i % 3) // several calls share each ended_at
			c.EndedAt = &ended
			insertCall(t, tel, &c)
			ids = append(ids, c.ID)
		}
		until := store.Millis(time.Now().Add(time.Minute))

		orders := []struct {
			sortBy string
			desc   bool
		}{
			{"created_at", false}, {"created_at", true},
			{"updated_at", false}, {"updated_at", true},
			{"ended_at", false}, {"ended_at", true},
		}
		for _, o := range orders {
			t.Run(fmt.Sprintf("%s desc=%v", o.sortBy, o.desc), func(t *testing.T) {
				cq := store.CallQuery{WorkspaceID: tel.ws, SortBy: o.sortBy, Desc: o.desc, Until: &until, Limit: 4}
				var got []string
				var keys []int64
				for pages := 1; ; pages++ {
					require.LessOrEqual(t, pages, 6, "23 calls fit in 6 pages of 4")
					page, hasMore, err := s.ListCalls(tel.ctx, cq)
					require.NoError(t, err)
					for _, c := range page {
						got = append(got, c.ID)
						keys = append(keys, callSortKey(c, o.sortBy).At.UnixMilli())
					}
					if !hasMore {
						break
					}
					require.Len(t, page, 4, "a page before the last is full")
					cq.After = callSortKey(page[len(page)-1], o.sortBy)
				}

				require.ElementsMatch(t, ids, got)
				require.Len(t, got, len(ids), "no call is listed twice")
				sorted := slices.IsSorted(keys)
				if o.desc {
					sorted = slices.IsSortedFunc(keys, func(a, b int64) int { return int(b - a) })
				}
				require.True(t, sorted, "keys %v are in order", keys)
			})
		}
	})
}

func TestListCallsUpdatedBetweenPagesMovesPastSnapshot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		var ids []string
		for i := range 10 {
			c := newCall(tel, fmt.Sprintf("CA-snap-%02d", i))
			insertCall(t, tel, &c)
			ids = append(ids, c.ID)
		}
		all, _, err := s.ListCalls(tel.ctx, store.CallQuery{WorkspaceID: tel.ws, SortBy: "updated_at", Limit: 100})
		require.NoError(t, err)
		until := all[len(all)-1].UpdatedAt
		// The API sets the bound a millisecond in the past for the same
		// reason: an update in the bound's own millisecond would still fall
		// inside it.
		time.Sleep(2 * time.Millisecond)

		cq := store.CallQuery{WorkspaceID: tel.ws, SortBy: "updated_at", Until: &until, Limit: 3}
		page, hasMore, err := s.ListCalls(tel.ctx, cq)
		require.NoError(t, err)
		require.True(t, hasMore)
		got := callIDs(page)

		// Update a call already listed and one not listed yet: both move
		// past the snapshot bound, so neither shows up on later pages.
		for _, id := range []string{page[0].ID, all[len(all)-1].ID} {
			require.NoError(t, s.InTx(tel.ctx, func(q *store.Queries) error {
				c, err := q.GetCall(tel.ctx, tel.ws, id)
				if err != nil {
					return err
				}
				c.Status = "answered"
				return q.UpdateCall(tel.ctx, &c)
			}))
		}
		for pages := 2; hasMore; pages++ {
			require.LessOrEqual(t, pages, 4, "10 calls fit in 4 pages of 3")
			cq.After = callSortKey(page[len(page)-1], "updated_at")
			page, hasMore, err = s.ListCalls(tel.ctx, cq)
			require.NoError(t, err)
			got = append(got, callIDs(page)...)
		}

		require.Len(t, got, len(ids)-1, "the call updated before it was listed drops out of this listing")
		require.NotContains(t, got, all[len(all)-1].ID)
		require.Equal(t, len(got), len(uniqueStrings(got)), "no call is listed twice")
	})
}

func callSortKey(c store.Call, sortBy string) *store.Keyset {
	switch sortBy {
	case "updated_at":
		return &store.Keyset{At: c.UpdatedAt, ID: c.ID}
	case "ended_at":
		return &store.Keyset{At: *c.EndedAt, ID: c.ID}
	}
	return &store.Keyset{At: c.CreatedAt, ID: c.ID}
}

func callIDs(calls []store.Call) []string {
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.ID)
	}
	return ids
}

func uniqueStrings(values []string) []string {
	out := slices.Clone(values)
	slices.Sort(out)
	return slices.Compact(out)
}

func ptrTo[T any](v T) *T { return &v }
