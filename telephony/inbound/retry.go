package inbound

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/telephony"
)

// A routing webhook is answered even when its events cannot be stored in
// time, because the caller is waiting. Such events are kept in memory and
// stored again in the background until the database takes them.
const (
	// maxPendingRecords caps the routing webhooks kept for a later attempt,
	// so a long outage cannot exhaust memory. Beyond it, events are dropped
	// and counted.
	maxPendingRecords = 10_000
	// firstRecordRetry is the wait before the second attempt. Each later
	// wait doubles up to maxRecordRetry, plus up to a quarter of jitter.
	firstRecordRetry = 250 * time.Millisecond
	maxRecordRetry   = 30 * time.Second
	// recordAttemptTimeout bounds one attempt, so a hung connection does not
	// stall the retries.
	recordAttemptTimeout = 10 * time.Second
)

// storeLater stores the events of an answered routing webhook whose first
// attempt to store them failed. It retries with exponential backoff until
// the store takes them or Close is called.
//
// NOTE: the events live in this process only. When the process stops before
// the database comes back, they are lost; Close logs each one it abandons.
func (s *Service) storeLater(conn *connection, h Hook, events []telephony.CallEvent, d decision, received time.Time) {
	s.mu.Lock()
	stopped := s.stopped
	full := s.pendingRecords >= maxPendingRecords
	if !stopped && !full {
		s.pendingRecords++
		s.retries.Add(1)
	}
	s.mu.Unlock()

	callID := events[0].ProviderCallID
	if stopped || full {
		reason := "the gateway is stopping"
		if full {
			reason = "too many events already wait for the database"
		}
		s.metrics.recordsDropped.WithLabelValues(string(conn.Provider)).Inc()
		s.log.Error("call event of a routing webhook dropped without being stored",
			s.callFields(conn, callID, zap.String("reason", reason), zap.Int("max_pending", maxPendingRecords))...)
		return
	}
	s.metrics.pendingRecords.Inc()

	go func() {
		defer s.retries.Done()
		defer s.metrics.pendingRecords.Dec()
		defer func() {
			s.mu.Lock()
			s.pendingRecords--
			s.mu.Unlock()
		}()
		s.retryRecord(conn, h, events, d, received)
	}()
}

// retryRecord runs the attempts of storeLater.
func (s *Service) retryRecord(conn *connection, h Hook, events []telephony.CallEvent, d decision, received time.Time) {
	callID := events[0].ProviderCallID
	wait := firstRecordRetry
	for attempt := 2; ; attempt++ {
		timer := time.NewTimer(wait + rand.N(wait/4+1))
		select {
		case <-s.stopCtx.Done():
			timer.Stop()
			s.log.Error("call event of a routing webhook not stored before shutdown",
				s.callFields(conn, callID, zap.Int("attempts", attempt-1))...)
			return
		case <-timer.C:
		}

		ctx, cancel := context.WithTimeout(s.stopCtx, recordAttemptTimeout)
		_, err := s.record(ctx, conn, h, events, &d, received)
		cancel()
		if err == nil {
			s.log.Info("call event of a routing webhook stored after a retry",
				s.callFields(conn, callID, zap.Int("attempts", attempt))...)
			return
		}
		if attempt == 2 || attempt%10 == 0 {
			s.log.Warn("storing the call event of a routing webhook failed again, retrying",
				s.callFields(conn, callID, zap.Int("attempts", attempt), zap.Error(err))...)
		}
		wait = min(2*wait, maxRecordRetry)
	}
}

// Close stops the background attempts to store routing webhooks, cancels
// the one in progress and waits for them to return. Events not stored by
// then are logged and lost.
func (s *Service) Close() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.stopRetries()
	s.retries.Wait()
}

func (s *Service) callFields(conn *connection, providerCallID string, extra ...zap.Field) []zap.Field {
	return append([]zap.Field{
		zap.String("workspace_id", conn.WorkspaceID), zap.String("connection_id", conn.ID),
		zap.String("provider_call_id", providerCallID),
	}, extra...)
}
