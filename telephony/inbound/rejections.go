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

// rejectionInterval is the shortest time between two recorded rejections
// of one connection. A flood of forged webhooks then costs one database
// write a second per connection rather than one per request.
const rejectionInterval = time.Second

// rejectionLimiter remembers when each connection last recorded a
// rejection.
type rejectionLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// allow reports whether connection id may record a rejection at now, and
// if so, notes the time.
func (l *rejectionLimiter) allow(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if now.Sub(l.last[id]) < rejectionInterval {
		return false
	}
	l.last[id] = now
	return true
}

// recordRejection stores a webhook that failed its signature check, so the
// connection's admin page can show it. Other verification errors are not
// recorded. A failure to store is logged and does not change the
// response.
//
// NOTE: rejections past one a second per connection are dropped, so the
// page may show fewer rejections than were sent during a burst.
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
		return q.InsertWebhookRejection(ctx, &r)
	})
	if err != nil {
		s.log.Warn("recording a rejected webhook failed",
			zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID), zap.Error(err))
	}
}
