package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// recordRejection stores a rejection of tel's connection at, and returns
// it as stored.
func recordRejection(t *testing.T, tel telephony, hook, reason string, at time.Time) store.WebhookRejection {
	t.Helper()
	r := store.WebhookRejection{
		WorkspaceID: tel.ws, ConnectionID: tel.conn.ID, Hook: hook, Reason: reason,
		RemoteAddr: "127.0.0.1", ReceivedAt: store.Millis(at),
	}
	require.NoError(t, tel.s.InTx(tel.ctx, func(q *store.Queries) error {
		return q.RecordWebhookRejection(tel.ctx, &r)
	}))
	return r
}

func TestWebhookRejectionsRingTrim(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		start := time.UnixMilli(1_700_000_000_000)
		for i := range store.MaxWebhookRejections + 5 {
			recordRejection(t, tel, "voice", fmt.Sprintf("reason %d", i), start.Add(time.Duration(i)*time.Second))
		}

		got, err := s.ListWebhookRejections(tel.ctx, tel.ws, tel.conn.ID)

		require.NoError(t, err)
		require.Len(t, got, store.MaxWebhookRejections)
		require.Equal(t, fmt.Sprintf("reason %d", store.MaxWebhookRejections+4), got[0].Reason, "newest first")
		require.Equal(t, "reason 5", got[len(got)-1].Reason, "the five oldest are trimmed")
	})
}

func TestWebhookRejectionsRepeatsShareRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		second := time.UnixMilli(1_700_000_000_000)
		first := recordRejection(t, tel, "voice", "signature does not match", second.Add(100*time.Millisecond))
		recordRejection(t, tel, "voice", "signature does not match", second.Add(400*time.Millisecond))
		third := recordRejection(t, tel, "voice", "signature does not match", second.Add(900*time.Millisecond))
		recordRejection(t, tel, "voice", "signature header is missing", second.Add(500*time.Millisecond))
		recordRejection(t, tel, "status", "signature does not match", second.Add(600*time.Millisecond))
		recordRejection(t, tel, "voice", "signature does not match", second.Add(1100*time.Millisecond))

		got, err := s.ListWebhookRejections(tel.ctx, tel.ws, tel.conn.ID)

		require.NoError(t, err)
		require.Len(t, got, 4, "three repeats in one second share a row; the fourth is in the next second")
		require.Equal(t, first.ID, third.ID)
		require.Equal(t, 3, third.Occurrences)
		counts := map[string]int{}
		for _, r := range got {
			counts[fmt.Sprintf("%s %s %d", r.Hook, r.Reason, r.ReceivedAt.UnixMilli())] = r.Occurrences
		}
		require.Equal(t, map[string]int{
			"voice signature does not match 1700000000100":    3,
			"voice signature header is missing 1700000000500": 1,
			"status signature does not match 1700000000600":   1,
			"voice signature does not match 1700000001100":    1,
		}, counts)
	})
}

func TestWebhookRejectionsOtherWorkspaceEmpty(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		tel := setupTelephony(t, s)
		recordRejection(t, tel, "voice", "signature does not match", time.UnixMilli(1_700_000_000_000))

		got, err := s.ListWebhookRejections(tel.ctx, tel.otherWS, tel.conn.ID)

		require.NoError(t, err)
		require.Empty(t, got)
	})
}
