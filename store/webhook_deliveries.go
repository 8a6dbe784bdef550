package store

import (
	"context"
	"fmt"
)

// States of a webhook delivery.
const (
	// DeliveryPending is a delivery whose job is queued, running or
	// waiting for its next retry.
	DeliveryPending = "pending"
	// DeliverySucceeded is a delivery whose endpoint responded with 2xx.
	DeliverySucceeded = "succeeded"
	// DeliveryFailed is a delivery that used every attempt, or was given
	// up because its subscription was disabled.
	DeliveryFailed = "failed"
)

// WebhookDelivery is the delivery of one event to one subscription, with
// the outcome of its last attempt.
type WebhookDelivery struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	SubscriptionID string `db:"subscription_id"`
	EventID        string `db:"event_id"`
	EventType      string `db:"event_type"`
	State          string `db:"state"`
	// Round counts the times the delivery was queued: 1, plus one per
	// manual redelivery.
	Round int `db:"round"`
	// Attempts counts the requests sent over every round.
	Attempts      int        `db:"attempts"`
	NextAttemptAt *UnixMilli `db:"next_attempt_at"`
	LastAttemptAt *UnixMilli `db:"last_attempt_at"`
	// LastStatusCode is nil when the last attempt got no response.
	LastStatusCode *int      `db:"last_status_code"`
	LastError      string    `db:"last_error"`
	CreatedAt      UnixMilli `db:"created_at"`
	UpdatedAt      UnixMilli `db:"updated_at"`
}

const webhookDeliveryColumns = `id, workspace_id, subscription_id, event_id, event_type, state, round, attempts,
	next_attempt_at, last_attempt_at, last_status_code, last_error, created_at, updated_at`

// InsertWebhookDelivery inserts d, filling its id and updated_at, and its
// created_at when zero; the webhooks service sets it to the event's time.
// Its state is DeliveryPending and its round 1 when they are zero.
func (q *Queries) InsertWebhookDelivery(ctx context.Context, d *WebhookDelivery) error {
	_, err := q.exec(ctx, `INSERT INTO webhook_deliveries (`+webhookDeliveryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, newDeliveryRow(d)...)
	if err != nil {
		return fmt.Errorf("insert webhook delivery: %w", err)
	}
	return nil
}

// InsertWebhookDeliveries inserts deliveries as InsertWebhookDelivery
// does, with multi-row statements, filling the id and updated_at of each.
func (q *Queries) InsertWebhookDeliveries(ctx context.Context, deliveries []WebhookDelivery) error {
	rows := make([][]any, len(deliveries))
	for i := range deliveries {
		rows[i] = newDeliveryRow(&deliveries[i])
	}
	for _, st := range valuesStatements(`INSERT INTO webhook_deliveries (`+webhookDeliveryColumns+`)`, "", rows) {
		if _, err := q.exec(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("insert webhook deliveries: %w", err)
		}
	}
	return nil
}

// newDeliveryRow fills the id, updated_at and defaults of a new delivery
// and returns its values in the order of webhookDeliveryColumns.
func newDeliveryRow(d *WebhookDelivery) []any {
	d.ID = NewID(PrefixWebhookDelivery)
	d.UpdatedAt = now()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = d.UpdatedAt
	}
	if d.State == "" {
		d.State = DeliveryPending
	}
	if d.Round == 0 {
		d.Round = 1
	}
	return []any{d.ID, d.WorkspaceID, d.SubscriptionID, d.EventID, d.EventType, d.State, d.Round, d.Attempts,
		d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.CreatedAt, d.UpdatedAt}
}

// GetWebhookDelivery returns the delivery id of workspaceID and, inside
// InTx, keeps other transactions from changing it until this one ends.
func (q *Queries) GetWebhookDelivery(ctx context.Context, workspaceID, id string) (WebhookDelivery, error) {
	return q.getWebhookDelivery(ctx, "webhook delivery "+id, `SELECT `+webhookDeliveryColumns+`
		FROM webhook_deliveries WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), workspaceID, id)
}

// GetWebhookDeliveryOfEvent returns the delivery of the event eventID to
// the subscription subscriptionID of workspaceID, locked like
// GetWebhookDelivery.
func (q *Queries) GetWebhookDeliveryOfEvent(ctx context.Context, workspaceID, subscriptionID, eventID string) (WebhookDelivery, error) {
	return q.getWebhookDelivery(ctx, "delivery of webhook event "+eventID, `SELECT `+webhookDeliveryColumns+`
		FROM webhook_deliveries WHERE workspace_id = ? AND subscription_id = ? AND event_id = ?`+q.dialect.lockForUpdate(),
		workspaceID, subscriptionID, eventID)
}

func (q *Queries) getWebhookDelivery(ctx context.Context, what, query string, args ...any) (WebhookDelivery, error) {
	var d WebhookDelivery
	if err := q.get(ctx, &d, query, args...); err != nil {
		return WebhookDelivery{}, notFound(err, what)
	}
	return d, nil
}

// WebhookDeliveryQuery selects a page of one subscription's deliveries.
type WebhookDeliveryQuery struct {
	WorkspaceID    string
	SubscriptionID string
	// Since keeps only deliveries created at or after it when not nil.
	Since *UnixMilli
	// State keeps only deliveries in this state (DeliveryPending,
	// DeliverySucceeded or DeliveryFailed) when not empty.
	State string
	After *Keyset
	// Desc lists newest first; otherwise oldest first.
	Desc  bool
	Limit int
}

// ListWebhookDeliveries returns up to dq.Limit deliveries ordered by
// (created_at, id), and whether more follow.
func (q *Queries) ListWebhookDeliveries(ctx context.Context, dq WebhookDeliveryQuery) ([]WebhookDelivery, bool, error) {
	if dq.Limit < 1 {
		return nil, false, fmt.Errorf("list webhook deliveries: limit is %d, it must be at least 1", dq.Limit)
	}
	where := []string{`workspace_id = ?`, `subscription_id = ?`}
	args := []any{dq.WorkspaceID, dq.SubscriptionID}
	if dq.Since != nil {
		where = append(where, `created_at >= ?`)
		args = append(args, *dq.Since)
	}
	if dq.State != "" {
		where = append(where, `state = ?`)
		args = append(args, dq.State)
	}

	clauses, args := pageQuery(where, args, "created_at", dq.After, dq.Desc, dq.Limit)
	deliveries := []WebhookDelivery{}
	if err := q.selectAll(ctx, &deliveries, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries`+clauses, args...); err != nil {
		return nil, false, fmt.Errorf("list webhook deliveries: %w", err)
	}
	deliveries, hasMore := splitPage(deliveries, dq.Limit)
	return deliveries, hasMore, nil
}

// UpdateWebhookDelivery writes the state, round, counts and last attempt
// of d, and sets its updated_at.
func (q *Queries) UpdateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error {
	d.UpdatedAt = now()
	return q.execOne(ctx, "webhook delivery "+d.ID, `UPDATE webhook_deliveries SET state = ?, round = ?, attempts = ?,
		next_attempt_at = ?, last_attempt_at = ?, last_status_code = ?, last_error = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		d.State, d.Round, d.Attempts, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.UpdatedAt,
		d.WorkspaceID, d.ID)
}

// WebhookAttempt is one request sent for a delivery.
type WebhookAttempt struct {
	DeliveryID  string    `db:"delivery_id"`
	Attempt     int       `db:"attempt"`
	WorkspaceID string    `db:"workspace_id"`
	AttemptedAt UnixMilli `db:"attempted_at"`
	// StatusCode is nil when no response arrived.
	StatusCode *int   `db:"status_code"`
	LatencyMS  int64  `db:"latency_ms"`
	Error      string `db:"error"`
}

const webhookAttemptColumns = `delivery_id, attempt, workspace_id, attempted_at, status_code, latency_ms, error`

// InsertWebhookAttempt inserts a as it is.
func (q *Queries) InsertWebhookAttempt(ctx context.Context, a *WebhookAttempt) error {
	_, err := q.exec(ctx, `INSERT INTO webhook_delivery_attempts (`+webhookAttemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.DeliveryID, a.Attempt, a.WorkspaceID, a.AttemptedAt, a.StatusCode, a.LatencyMS, a.Error)
	if err != nil {
		return fmt.Errorf("insert attempt %d of webhook delivery %s: %w", a.Attempt, a.DeliveryID, err)
	}
	return nil
}

// ListWebhookAttempts returns the attempts of the deliveries of
// workspaceID, by delivery id, each list in attempt order.
func (q *Queries) ListWebhookAttempts(ctx context.Context, workspaceID string, deliveryIDs []string) (map[string][]WebhookAttempt, error) {
	byDelivery := make(map[string][]WebhookAttempt, len(deliveryIDs))
	if len(deliveryIDs) == 0 {
		return byDelivery, nil
	}
	args := []any{workspaceID}
	for _, id := range deliveryIDs {
		args = append(args, id)
	}

	var attempts []WebhookAttempt
	err := q.selectAll(ctx, &attempts, `SELECT `+webhookAttemptColumns+` FROM webhook_delivery_attempts
		WHERE workspace_id = ? AND delivery_id IN (`+placeholders(len(deliveryIDs))+`)
		ORDER BY delivery_id, attempt`, args...)
	if err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	for _, a := range attempts {
		byDelivery[a.DeliveryID] = append(byDelivery[a.DeliveryID], a)
	}
	return byDelivery, nil
}
