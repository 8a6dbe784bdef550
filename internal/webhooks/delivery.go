package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/generic"
)

// UserAgent is the User-Agent header of every delivery.
const UserAgent = "Switchboard-Webhooks/1"

// maxErrorLength caps the error text kept per attempt, in bytes.
const maxErrorLength = 500

// DeliverArgs are the arguments of the job that sends one round of a
// delivery.
type DeliverArgs struct {
	WorkspaceID string `json:"workspace_id"`
	DeliveryID  string `json:"delivery_id"`
	// Round is the delivery's round when the job was queued; a job of an
	// earlier round ends without sending.
	Round int `json:"round"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook_delivery" }

// InsertOpts sends every delivery to QueueName.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueName} }

// deliveryWorker sends deliveries. River retries a failed one after the
// wait NextRetry returns, up to the job's MaxAttempts.
type deliveryWorker struct {
	river.WorkerDefaults[DeliverArgs]
	service *Service
}

// NextRetry returns the time of the retry after the job's attempt failed,
// from the service's retry schedule.
func (w *deliveryWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.service.retryDelay(job.Args.DeliveryID, job.Attempt))
}

// Timeout bounds one run: the request, plus time to record its outcome.
func (w *deliveryWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return RequestTimeout + 20*time.Second
}

// retryDelay returns the wait after failed attempt n of a delivery,
// counted from 1: the schedule's step plus a jitter of 0 to 10% taken from
// a hash of the delivery id and n, so deliveries that failed together do
// not retry together, and the delivery log can show the same time River
// uses.
func (s *Service) retryDelay(deliveryID string, n int) time.Duration {
	if len(s.retry) == 0 {
		return 0
	}
	step := s.retry[min(max(n, 1), len(s.retry))-1]
	hash := fnv.New32a()
	fmt.Fprintf(hash, "%s:%d", deliveryID, n)
	return step + step*time.Duration(hash.Sum32()%1000)/10000
}

// nextWait returns the wait before the attempt after the failed attempt
// n: the retry delay, or the endpoint's Retry-After when that is longer.
func (s *Service) nextWait(deliveryID string, n int, r attemptResult) time.Duration {
	return max(s.retryDelay(deliveryID, n), r.retryAfter)
}

// Work sends the delivery and records the attempt. When the endpoint did
// not respond with 2xx, it returns an error so River retries, snoozes the
// job for a longer Retry-After, or cancels the job when the failure
// disabled the subscription.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.service
	args := job.Args
	d, sub, event, ok, err := s.loadDelivery(ctx, args)
	if err != nil || !ok {
		return err
	}
	log := s.log.With(zap.String("workspace_id", args.WorkspaceID), zap.String("subscription_id", sub.ID),
		zap.String("delivery_id", d.ID), zap.String("event_id", event.ID))

	if !sub.Enabled {
		return s.giveUp(ctx, d, "not sent: the subscription is disabled")
	}

	result := s.send(ctx, sub, event)
	final := job.Attempt >= job.MaxAttempts
	disabledReason, err := s.recordAttempt(ctx, d, result, final, job.Attempt)
	if err != nil {
		log.Error("recording a webhook attempt failed; the delivery will be sent again", zap.Error(err))
		return err
	}

	if result.ok() {
		s.metrics.attempts.WithLabelValues("succeeded").Inc()
		return nil
	}
	s.metrics.attempts.WithLabelValues("failed").Inc()
	log.Info("webhook delivery failed", zap.Int("attempt", job.Attempt), zap.Bool("final", final),
		zap.Int("status_code", result.statusCode), zap.String("error", result.err))
	failure := fmt.Errorf("webhook delivery %s: %s", d.ID, result.err)
	switch {
	case disabledReason != "":
		s.metrics.disabled.Inc()
		log.Warn("webhook subscription disabled", zap.String("reason", disabledReason))
		return river.JobCancel(failure)
	case !final && result.retryAfter > s.retryDelay(d.ID, job.Attempt):
		// The endpoint asked for a longer wait than the schedule's, so the
		// job waits that long without using one of its attempts.
		return river.JobSnooze(result.retryAfter)
	}
	return failure
}

// loadDelivery reads the delivery of args with its subscription and event.
// ok is false when there is nothing to send: the subscription is gone, or
// the delivery moved on to another round or state.
func (s *Service) loadDelivery(ctx context.Context, args DeliverArgs) (store.WebhookDelivery, store.WebhookSubscription, store.WebhookEvent, bool, error) {
	var none store.WebhookDelivery
	d, err := s.store.GetWebhookDelivery(ctx, args.WorkspaceID, args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return none, store.WebhookSubscription{}, store.WebhookEvent{}, false, nil
	}
	if err != nil {
		return none, store.WebhookSubscription{}, store.WebhookEvent{}, false, err
	}
	if d.Round != args.Round || d.State != store.DeliveryPending {
		return none, store.WebhookSubscription{}, store.WebhookEvent{}, false, nil
	}

	sub, err := s.store.GetWebhookSubscription(ctx, args.WorkspaceID, d.SubscriptionID)
	if err != nil {
		return none, store.WebhookSubscription{}, store.WebhookEvent{}, false, ignoreNotFound(err)
	}
	event, err := s.store.GetWebhookEvent(ctx, args.WorkspaceID, d.EventID)
	if err != nil {
		return none, store.WebhookSubscription{}, store.WebhookEvent{}, false, ignoreNotFound(err)
	}
	return d, sub, event, true, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// attemptResult is the outcome of one request.
type attemptResult struct {
	at         time.Time
	statusCode int // 0 when no response arrived
	latency    time.Duration
	err        string // "" on success
	// retryAfter is the Retry-After of a 429 or 503 response, capped at
	// jobs.MaxSnooze; 0 when there is none.
	retryAfter time.Duration
}

func (r attemptResult) ok() bool { return r.err == "" }

// send signs the event's payload and posts it to the subscription's URL.
// Only a 2xx response is a success; a redirect is returned as it is and
// counts as a failure.
func (s *Service) send(ctx context.Context, sub store.WebhookSubscription, event store.WebhookEvent) attemptResult {
	at := s.now()
	result := attemptResult{at: at}
	req, err := s.newRequest(ctx, sub, event, at)
	if err != nil {
		result.err = err.Error()
		return result
	}

	started := time.Now()
	resp, err := s.client.Do(req)
	result.latency = time.Since(started)
	if err != nil {
		// The URL stays out of the error, because webhook URLs often carry
		// a token in their path or query and the error is logged.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		result.err = truncate(err.Error())
		return result
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	resp.Body.Close()

	result.statusCode = resp.StatusCode
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		result.retryAfter, _ = jobs.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		result.err = fmt.Sprintf("HTTP %d: redirects are not followed; subscribe the final URL", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		result.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return result
}

// newRequest builds the POST of event with the Standard Webhooks headers:
// webhook-id is the event id, the same on every attempt, and
// webhook-signature holds one v1 signature per signing secret.
func (s *Service) newRequest(ctx context.Context, sub store.WebhookSubscription, event store.WebhookEvent, at time.Time) (*http.Request, error) {
	secrets, err := s.signingSecrets(sub, at)
	if err != nil {
		return nil, err
	}
	body := []byte(event.Payload)
	signatures := make([]string, len(secrets))
	for i, secret := range secrets {
		if signatures[i], err = generic.Sign(secret, event.ID, at, body); err != nil {
			return nil, fmt.Errorf("sign delivery: %w", err)
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(generic.HeaderID, event.ID)
	req.Header.Set(generic.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(generic.HeaderSignature, strings.Join(signatures, " "))
	return req, nil
}

func truncate(s string) string {
	if len(s) <= maxErrorLength {
		return s
	}
	return strings.ToValidUTF8(s[:maxErrorLength], "") + "…"
}
