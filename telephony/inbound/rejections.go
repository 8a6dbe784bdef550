package inbound

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// MaxRejectionsPerSecond is how many rejected webhooks one connection
// records within one second. A flood of forged webhooks then costs at most
// this many database writes a second per connection rather than one per
// request. Repeats of one hook, reason and remote address within a second
// share a row, so a burst of one kind of rejection shows as one row with
// its count.
const MaxRejectionsPerSecond = 10

// rejectionLimiter counts the rejections each connection recorded in the
// current second.
type rejectionLimiter struct {
	mu      sync.Mutex
	windows map[string]rejectionWindow
}

// rejectionWindow is the second a connection last recorded in, as Unix
// seconds, and how many it recorded then.
type rejectionWindow struct {
	second int64
	count  int
}

// allow reports whether connection id may record a rejection at now, and
// if so, counts it.
func (l *rejectionLimiter) allow(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]rejectionWindow{}
	}
	w := l.windows[id]
	if w.second != now.Unix() {
		w = rejectionWindow{second: now.Unix()}
	}
	if w.count >= MaxRejectionsPerSecond {
		return false
	}
	w.count++
	l.windows[id] = w
	return true
}

// recordRejection stores a webhook that failed its signature check, so the
// connection's admin page can show it. Other verification errors are not
// recorded. A failure to store is logged and does not change the
// response.
//
// NOTE: rejections past MaxRejectionsPerSecond in one second of one
// connection are dropped, so a flood shows as fewer than were sent.
func (s *Service) recordRejection(ctx context.Context, conn *connection, h Hook, verifyErr error, received time.Time) {
	if !errors.Is(verifyErr, telephony.ErrBadSignature) || !s.rejections.allow(conn.ID, received) {
		return
	}
	r := store.WebhookRejection{
		WorkspaceID:  conn.WorkspaceID,
		ConnectionID: conn.ID,
		Hook:         h.Name,
		Reason:       verifyErr.Error(),
		RemoteAddr:   h.RemoteAddr,
		ReceivedAt:   store.Millis(received),
	}
	err := s.store.InTx(context.WithoutCancel(ctx), func(q *store.Queries) error {
		return q.RecordWebhookRejection(ctx, &r)
	})
	if err != nil {
		s.log.Warn("recording a rejected webhook failed",
			zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID), zap.Error(err))
	}
}
