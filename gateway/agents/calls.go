package agents

import (
	"context"
	"time"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Limits of the call queries behind the snapshot and the recent calls list.
const (
	// maxLiveCalls caps the calls of each live status that a snapshot
	// reads.
	maxLiveCalls = 500
	// recentCallsPage is how many calls RecentCalls reads per query, and
	// recentCallsScan how many it reads at most before it stops looking.
	recentCallsPage = 200
	recentCallsScan = 2000
)

// LiveCalls returns the calls of u's workspace that are ringing or
// answered, started at or after since, and ring u, newest first.
//
// NOTE: it reads at most 500 calls of each status created since then; a
// workspace with more live calls than that gets a partial snapshot.
func LiveCalls(ctx context.Context, q *store.Queries, u *store.User, since time.Time) ([]store.Call, error) {
	created := store.Millis(since)
	var out []store.Call
	for _, status := range []telephony.Status{telephony.StatusRinging, telephony.StatusAnswered} {
		calls, _, err := q.ListCalls(ctx, store.CallQuery{
			WorkspaceID: u.WorkspaceID, Status: string(status), CreatedSince: &created, Desc: true, Limit: maxLiveCalls,
		})
		if err != nil {
			return nil, err
		}
		for _, call := range calls {
			if !call.StartedAt.Before(since) && CallRings(u, call) {
				out = append(out, call)
			}
		}
	}
	return out, nil
}

// RecentCalls returns up to limit calls of u's workspace that rang u or
// that u answered, newest first. It looks through the workspace's latest
// 2,000 calls at most, so an agent whose last call is older than that gets
// fewer than limit.
func RecentCalls(ctx context.Context, q *store.Queries, u *store.User, limit int) ([]store.Call, error) {
	out := []store.Call{}
	query := store.CallQuery{WorkspaceID: u.WorkspaceID, Desc: true, Limit: recentCallsPage}
	for scanned := 0; scanned < recentCallsScan; scanned += recentCallsPage {
		calls, more, err := q.ListCalls(ctx, query)
		if err != nil {
			return nil, err
		}
		for _, call := range calls {
			if CallRings(u, call) {
				out = append(out, call)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if !more {
			break
		}
		last := calls[len(calls)-1]
		query.After = &store.Keyset{At: last.CreatedAt, ID: last.ID}
	}
	return out, nil
}
