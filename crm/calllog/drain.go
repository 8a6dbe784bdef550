package calllog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// batchPerWorker sizes the batch of due logs a drain reads at once: this
// many per request in flight.
const batchPerWorker = 25

// maxErrorLength bounds the error text stored with a log, in bytes.
const maxErrorLength = 1000

// pace is the request pace of one connection.
type pace struct {
	limit   crmconn.CallLogLimit
	limiter *rate.Limiter
}

// paceOf returns the pace of conn, rebuilt when its settings changed.
func (s *Service) paceOf(conn crmconn.Connection) *pace {
	limit := conn.CallLog().Limit(conn.Kind)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.paces[conn.ID]; ok && p.limit == limit {
		return p
	}
	p := &pace{limit: limit, limiter: rate.NewLimiter(rate.Limit(limit.PerSecond), limit.Burst)}
	s.paces[conn.ID] = p
	return p
}

// leaseMargin is how long a drain lease outlives the work it covers, so a
// lease lapses only when its job is gone.
const leaseMargin = time.Minute

// drainRun is one drain job: the connection, its connector and pace.
type drainRun struct {
	svc    *Service
	holder string
	// attempt is the drain job's attempt, 1 for its first run.
	attempt   int
	conn      crmconn.Connection
	connector crm.Connector
	logger    crm.CallLogger
	pace      *pace
}

// drain writes the due logs of one connection, oldest first, in batches,
// until none is due, the budget is spent or the CRM stops it. It works
// only while it holds the connection's drain lease. A job that finds the
// lease held returns at once, because the holder reads its logs too.
func (s *Service) drain(ctx context.Context, args DrainArgs, holder string, attempt int) error {
	conn, connector, err := s.cfg.Connections.Open(ctx, args.WorkspaceID, args.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the connection was deleted, and its logs with it
	}
	if err != nil {
		return fmt.Errorf("open CRM connection %s to log calls: %w", args.ConnectionID, err)
	}
	run := &drainRun{svc: s, holder: holder, attempt: attempt, conn: conn, connector: connector, pace: s.paceOf(conn)}
	// Every CRM request of this run waits for the connection's pace, so the
	// pace counts requests, not operations that may send several.
	ctx = crmhttp.WithPacer(ctx, run.pace.limiter)
	held, err := run.lease(ctx, s.cfg.DrainBudget)
	if err != nil || !held {
		return err
	}

	logger, err := crmconn.CallLogger(conn, connector)
	if err == nil && !conn.CallLog().Enabled {
		err = errors.New("call logging is disabled on the CRM connection: enable settings.call_log.enabled, then retry the log")
	}
	if err != nil {
		return run.finish(ctx, run.failAll(ctx, err))
	}
	run.logger = logger
	return run.finish(ctx, run.loop(ctx))
}

// loop drains batches until none is due (nil), the budget is spent (a
// snooze of 0) or the CRM stops it.
func (r *drainRun) loop(ctx context.Context) error {
	s := r.svc
	deadline := s.now().Add(s.cfg.DrainBudget)
	for {
		logs, err := s.store.ListDueCallLogs(ctx, r.conn.ID, store.Millis(s.now()), r.pace.limit.Concurrency*batchPerWorker)
		if err != nil {
			return errStop{err}
		}
		if len(logs) == 0 {
			return nil
		}
		if stop := r.batch(ctx, logs); stop != nil {
			if err := r.recordRateLimit(ctx, stop); err != nil {
				return err
			}
			// A short wait is slept here unless it would overrun the
			// budget, so a CRM that keeps answering 429 cannot hold
			// this worker past it.
			if wait, ok := shortRateLimit(stop); ok && s.now().Add(wait).Before(deadline) {
				if err := sleep(ctx, wait); err != nil {
					return errStop{err}
				}
				continue
			}
			return s.stopError(r.conn, stop)
		}
		if s.now().After(deadline) {
			return river.JobSnooze(0) // hand over, so other connections get this worker too
		}
		if _, err := r.lease(ctx, s.cfg.DrainBudget); err != nil {
			return err
		}
	}
}

// finish ends a drain whose loop returned err. A drain that stops keeps
// the lease until it runs again, so no other job drains the connection
// during its backoff or snooze. A drain that found nothing due releases
// the lease and then looks once more: a log that committed while the
// lease was held, whose own job found the lease held, is seen here.
func (r *drainRun) finish(ctx context.Context, err error) error {
	s := r.svc
	var snooze *rivertype.JobSnoozeError
	switch {
	case errors.As(err, &snooze):
		_, leaseErr := r.lease(ctx, snooze.Duration)
		return errors.Join(err, leaseErr)
	case err != nil:
		// The lease covers this job's own backoff, not the longest one, so
		// a process killed during an outage holds the connection only
		// until this retry would have run.
		_, leaseErr := r.lease(context.WithoutCancel(ctx), s.maxBackoff(r.attempt))
		return errors.Join(err, leaseErr)
	}

	if err := s.store.ReleaseCallLogDrain(ctx, r.conn.ID, r.holder); err != nil {
		return err
	}
	due, err := s.store.ListDueCallLogs(ctx, r.conn.ID, store.Millis(s.now()), 1)
	if err != nil || len(due) == 0 {
		return err
	}
	held, err := r.lease(ctx, s.cfg.DrainBudget)
	if err != nil || !held {
		return err
	}
	return r.finish(ctx, r.loop(ctx))
}

// lease takes or renews the drain lease for work of length d.
func (r *drainRun) lease(ctx context.Context, d time.Duration) (bool, error) {
	until := store.Millis(r.svc.now().Add(d + leaseMargin))
	held, err := r.svc.store.AcquireCallLogDrain(ctx, r.conn.ID, r.holder, until)
	if err != nil {
		return false, errStop{err}
	}
	return held, nil
}

// maxInlineRateLimitWait is the longest Retry-After a drain waits out
// itself. A longer wait snoozes the job, which frees its worker. River
// moves snoozed jobs back only every few seconds, so a short wait costs
// less in the job.
const maxInlineRateLimitWait = 5 * time.Second

// shortRateLimit returns the wait of a 429 that named a Retry-After of at
// most maxInlineRateLimitWait.
func shortRateLimit(err error) (time.Duration, bool) {
	var limited *crm.RateLimitedError
	if !errors.As(err, &limited) || limited.RetryAfter <= 0 || limited.RetryAfter > maxInlineRateLimitWait {
		return 0, false
	}
	return limited.RetryAfter, true
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// stopError turns what stopped a drain into River's outcome: a snooze for
// a rate limit, an error to retry with backoff otherwise.
func (s *Service) stopError(conn crmconn.Connection, stop error) error {
	if wait, ok := rateLimitWait(stop); ok {
		s.log.Info("CRM rate limit reached, call logging waits", connFields(conn, zap.Duration("retry_in", wait))...)
		return river.JobSnooze(wait)
	}
	s.log.Warn("call logging paused", connFields(conn, zap.Error(stop))...)
	return stop
}

// rateLimitWait returns how long a drain stopped by err waits before it
// writes again, and false when err is no rate limit.
func rateLimitWait(err error) (time.Duration, bool) {
	var limited *crm.RateLimitedError
	if !errors.As(err, &limited) {
		return 0, false
	}
	if wait, ok := shortRateLimit(err); ok {
		return wait, true
	}
	wait := limited.RetryAfter
	if wait <= 0 {
		wait = DefaultRateLimitWait
	}
	return min(wait, jobs.MaxSnooze), true
}

// recordRateLimit stores why the due logs of the connection wait when a
// rate limit stopped the drain, so the API shows it in last_error. Their
// attempts stay as they are, and writing a log clears the error.
func (r *drainRun) recordRateLimit(ctx context.Context, stop error) error {
	wait, ok := rateLimitWait(stop)
	if !ok {
		return nil
	}
	note := fmt.Sprintf("rate limited by the CRM, retrying in %s", wait)
	var status *crmhttp.StatusError
	if errors.As(stop, &status) {
		note = fmt.Sprintf("rate limited by the CRM (HTTP %d), retrying in %s", status.Status, wait)
	}
	s := r.svc
	if _, err := s.store.RecordDueCallLogsError(ctx, r.conn.ID, store.Millis(s.now()), note); err != nil {
		return errStop{err}
	}
	return nil
}

// batch writes logs with up to the pace's concurrency in flight. It
// returns the first error that stops the connection, after the requests
// in flight end. No new request starts after it.
func (r *drainRun) batch(ctx context.Context, logs []store.CallLog) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		stop error
	)
	slots := make(chan struct{}, r.pace.limit.Concurrency)
	for _, l := range logs {
		slots <- struct{}{}
		mu.Lock()
		stopped := stop != nil
		mu.Unlock()
		if stopped {
			<-slots
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := r.write(ctx, l); err != nil {
				mu.Lock()
				if stop == nil {
					stop = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return stop
}

// write brings the CRM entry of l up to date. It returns nil when l is
// done, failed for good or deferred, and an error that stops the
// connection otherwise: a rate limit, an unavailable CRM or the database.
func (r *drainRun) write(ctx context.Context, l store.CallLog) error {
	s := r.svc
	if l.CRMID == "" && l.CreateSentAt != nil {
		searchAt := l.CreateSentAt.Add(s.cfg.CreateSearchDelay)
		if s.now().Before(searchAt) {
			if err := s.store.RecordCallLogFailure(ctx, l.ID, l.LastError, l.Attempts, store.Millis(searchAt), false); err != nil {
				return errStop{err}
			}
			return nil
		}
	}
	call, err := s.store.GetCall(ctx, l.WorkspaceID, l.CallID)
	if err != nil {
		return errStop{err}
	}

	entry, err := r.entry(ctx, &l, call)
	if err == nil {
		err = r.send(ctx, l, call, entry)
	}
	return r.settle(ctx, l, err)
}

// send creates or updates the entry and stores the result.
func (r *drainRun) send(ctx context.Context, l store.CallLog, call store.Call, entry crm.CallLog) error {
	s := r.svc
	op, logged, err := r.sendRequest(ctx, l, entry)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		first, err := q.RecordCallLogWritten(ctx, l.ID, logged.ID, logged.URL, l.Revision)
		if err != nil || !first || s.cfg.Events == nil {
			return err
		}
		stored, err := q.GetCallLog(ctx, l.WorkspaceID, l.ID)
		if err != nil {
			return err
		}
		return s.cfg.Events.Emit(ctx, q, l.WorkspaceID, webhooks.CallLogged, Logged{Call: call, Log: stored})
	})
	if err != nil {
		return errStop{fmt.Errorf("store the CRM id of call log %s: %w", l.ID, err)}
	}
	s.metrics.written.WithLabelValues(string(r.conn.Kind), op).Inc()
	return nil
}

// sendRequest sends the update, the search after an interrupted create,
// or the create, and returns which it was.
func (r *drainRun) sendRequest(ctx context.Context, l store.CallLog, entry crm.CallLog) (string, crm.LoggedCall, error) {
	if l.CRMID != "" {
		logged, err := r.logger.UpdateCallLog(ctx, l.CRMID, entry)
		return "updated", logged, err
	}

	if l.CreateSentAt != nil {
		found, ok, err := r.logger.FindCallLog(ctx, entry)
		if err != nil {
			return "", crm.LoggedCall{}, err
		}
		if ok {
			// The interrupted create may have carried older data.
			logged, err := r.logger.UpdateCallLog(ctx, found.ID, entry)
			return "found", logged, err
		}
	}

	if err := r.svc.store.MarkCallLogCreateSent(ctx, l.ID); err != nil {
		return "", crm.LoggedCall{}, errStop{err}
	}
	logged, err := r.logger.LogCall(ctx, entry)
	if rejected(err) {
		if clearErr := r.svc.store.ClearCallLogCreateSent(ctx, l.ID); clearErr != nil {
			return "", crm.LoggedCall{}, errStop{clearErr}
		}
	}
	return "created", logged, err
}

// rejected reports whether err is a 4xx response, 429 included: the CRM
// refused the request and stored nothing, so the create is not in doubt.
func rejected(err error) bool {
	var status *crmhttp.StatusError
	return errors.As(err, &status) && status.Status >= 400 && status.Status < 500
}

// errStop marks a failure of the gateway rather than the CRM, such as the
// database or the end of the job's context: it stops the drain, and River
// retries it, without counting an attempt on the log.
type errStop struct{ error }

func (e errStop) Unwrap() error { return e.error }

// settle records the outcome of err for l and returns the error that
// stops the connection, or nil to go on with the next log.
func (r *drainRun) settle(ctx context.Context, l store.CallLog, err error) error {
	s := r.svc
	var limited *crm.RateLimitedError
	var stopErr errStop
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stopErr), errors.As(err, &limited), ctx.Err() != nil:
		return err
	case errors.Is(err, crm.ErrUnavailable):
		attempts := l.Attempts + 1
		final := attempts >= s.cfg.MaxAttempts
		if recErr := r.recordFailure(ctx, l, err, attempts, final); recErr != nil {
			return recErr
		}
		if final {
			return nil
		}
		return err
	default:
		return r.recordFailure(ctx, l, err, l.Attempts+1, true)
	}
}

// recordFailure stores a failed attempt of l, and final makes l failed.
func (r *drainRun) recordFailure(ctx context.Context, l store.CallLog, cause error, attempts int, final bool) error {
	s := r.svc
	text := oneLine(cause.Error())
	if len(text) > maxErrorLength {
		text = text[:maxErrorLength]
	}
	if err := s.store.RecordCallLogFailure(ctx, l.ID, text, attempts, store.Millis(s.now()), final); err != nil {
		return errStop{err}
	}
	fields := connFields(r.conn, zap.String("call_log_id", l.ID), zap.String("call_id", l.CallID),
		zap.Int("attempts", attempts), zap.Error(cause))
	if final {
		s.metrics.failed.WithLabelValues(string(r.conn.Kind)).Inc()
		s.log.Warn("call log failed: fix the cause, then retry it through the API", fields...)
	} else {
		s.log.Info("call log attempt failed, retrying later", fields...)
	}
	return nil
}

// failAll fails every due log of the run's connection with cause, for a
// connection that cannot log calls at all.
func (r *drainRun) failAll(ctx context.Context, cause error) error {
	s := r.svc
	for {
		logs, err := s.store.ListDueCallLogs(ctx, r.conn.ID, store.Millis(s.now()), 100)
		if err != nil || len(logs) == 0 {
			return err
		}
		for _, l := range logs {
			if err := r.recordFailure(ctx, l, cause, l.Attempts+1, true); err != nil {
				return err
			}
		}
	}
}

func connFields(conn crmconn.Connection, extra ...zap.Field) []zap.Field {
	return append([]zap.Field{
		zap.String("workspace_id", conn.WorkspaceID), zap.String("crm_connection_id", conn.ID),
		zap.String("crm_kind", string(conn.Kind)),
	}, extra...)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
