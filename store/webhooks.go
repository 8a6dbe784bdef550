package store

import (
	"context"
	"fmt"
)

// Id prefixes of webhook objects.
const (
	PrefixWebhookSubscription = "wh_"
	PrefixWebhookEvent        = "evt_"
	PrefixWebhookDelivery     = "whd_"
)

// WebhookSubscription is an endpoint of an integration platform that
// receives the workspace's events of the types it names.
type WebhookSubscription struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	URL         string `db:"url"`
	Description string `db:"description"`
	// EventTypes holds event types such as "call.ended" and family
	// patterns such as "contact.*".
	EventTypes JSONColumn[[]string] `db:"event_types"`
	// Secret is the signing secret encrypted with the keyring: ciphertext,
	// never the secret itself.
	Secret string `db:"secret"`
	// PreviousSecret is the encrypted secret before the last rotation, ""
	// when none. Deliveries are signed with it too until
	// PreviousSecretExpiresAt.
	PreviousSecret          string     `db:"previous_secret"`
	PreviousSecretExpiresAt *UnixMilli `db:"previous_secret_expires_at"`
	Enabled                 bool       `db:"enabled"`
	// DisabledReason explains why the gateway disabled the subscription. It
	// is "" when the subscription is enabled or a client disabled it.
	DisabledReason string     `db:"disabled_reason"`
	DisabledAt     *UnixMilli `db:"disabled_at"`
	// FailingSince is the first failed attempt since the last successful
	// one, nil while the endpoint succeeds.
	FailingSince        *UnixMilli `db:"failing_since"`
	ConsecutiveFailures int        `db:"consecutive_failures"`
	CreatedAt           UnixMilli  `db:"created_at"`
	UpdatedAt           UnixMilli  `db:"updated_at"`
}

const webhookSubscriptionColumns = `id, workspace_id, url, description, event_types, secret, previous_secret,
	previous_secret_expires_at, enabled, disabled_reason, disabled_at, failing_since, consecutive_failures,
	created_at, updated_at`

// CreateWebhookSubscription inserts s, filling its id and timestamps.
func (q *Queries) CreateWebhookSubscription(ctx context.Context, s *WebhookSubscription) error {
	s.ID = NewID(PrefixWebhookSubscription)
	s.CreatedAt = now()
	s.UpdatedAt = s.CreatedAt

	_, err := q.exec(ctx, `INSERT INTO webhook_subscriptions (`+webhookSubscriptionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.WorkspaceID, s.URL, s.Description, s.EventTypes, s.Secret, s.PreviousSecret,
		s.PreviousSecretExpiresAt, s.Enabled, s.DisabledReason, s.DisabledAt, s.FailingSince, s.ConsecutiveFailures,
		s.CreatedAt, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert webhook subscription: %w", err)
	}
	return nil
}

// GetWebhookSubscription returns the subscription id of workspaceID.
func (q *Queries) GetWebhookSubscription(ctx context.Context, workspaceID, id string) (WebhookSubscription, error) {
	var s WebhookSubscription
	err := q.get(ctx, &s, `SELECT `+webhookSubscriptionColumns+` FROM webhook_subscriptions
		WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return WebhookSubscription{}, notFound(err, "webhook subscription "+id)
	}
	return s, nil
}

// GetWebhookSubscriptionForUpdate returns the subscription id of
// workspaceID and, inside InTx, keeps other transactions from changing it
// until this one ends.
func (q *Queries) GetWebhookSubscriptionForUpdate(ctx context.Context, workspaceID, id string) (WebhookSubscription, error) {
	var s WebhookSubscription
	err := q.get(ctx, &s, `SELECT `+webhookSubscriptionColumns+` FROM webhook_subscriptions
		WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), workspaceID, id)
	if err != nil {
		return WebhookSubscription{}, notFound(err, "webhook subscription "+id)
	}
	return s, nil
}

// ListWebhookSubscriptions returns the subscriptions of workspaceID, oldest
// first, or only the enabled ones when enabledOnly is true. A workspace
// has a handful, so there is no paging.
func (q *Queries) ListWebhookSubscriptions(ctx context.Context, workspaceID string, enabledOnly bool) ([]WebhookSubscription, error) {
	query := `SELECT ` + webhookSubscriptionColumns + ` FROM webhook_subscriptions WHERE workspace_id = ?`
	args := []any{workspaceID}
	if enabledOnly {
		query += ` AND enabled = ?`
		args = append(args, true)
	}

	subs := []WebhookSubscription{}
	if err := q.selectAll(ctx, &subs, query+` ORDER BY created_at, id`, args...); err != nil {
		return nil, fmt.Errorf("list webhook subscriptions: %w", err)
	}
	return subs, nil
}

// UpdateWebhookSubscription writes every field of s but its id, workspace
// and created_at, and sets its updated_at.
func (q *Queries) UpdateWebhookSubscription(ctx context.Context, s *WebhookSubscription) error {
	s.UpdatedAt = now()
	return q.execOne(ctx, "webhook subscription "+s.ID, `UPDATE webhook_subscriptions SET url = ?, description = ?,
		event_types = ?, secret = ?, previous_secret = ?, previous_secret_expires_at = ?, enabled = ?,
		disabled_reason = ?, disabled_at = ?, failing_since = ?, consecutive_failures = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		s.URL, s.Description, s.EventTypes, s.Secret, s.PreviousSecret, s.PreviousSecretExpiresAt, s.Enabled,
		s.DisabledReason, s.DisabledAt, s.FailingSince, s.ConsecutiveFailures, s.UpdatedAt, s.WorkspaceID, s.ID)
}

// DeleteWebhookSubscription deletes the subscription with its deliveries
// and their attempts. The events stay for the workspace's other
// subscriptions.
func (q *Queries) DeleteWebhookSubscription(ctx context.Context, workspaceID, id string) error {
	return q.execOne(ctx, "webhook subscription "+id,
		`DELETE FROM webhook_subscriptions WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// WebhookEvent is one change recorded for webhook subscribers. Payload is
// the JSON request body every subscriber receives.
type WebhookEvent struct {
	ID          string    `db:"id"`
	WorkspaceID string    `db:"workspace_id"`
	Type        string    `db:"type"`
	Payload     string    `db:"payload"`
	CreatedAt   UnixMilli `db:"created_at"`
}

const webhookEventColumns = `id, workspace_id, type, payload, created_at`

// InsertWebhookEvent inserts e as it is: the caller sets its id and
// created_at, because both are part of the payload.
func (q *Queries) InsertWebhookEvent(ctx context.Context, e *WebhookEvent) error {
	_, err := q.exec(ctx, `INSERT INTO webhook_events (`+webhookEventColumns+`) VALUES (?, ?, ?, ?, ?)`,
		e.ID, e.WorkspaceID, e.Type, e.Payload, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert webhook event: %w", err)
	}
	return nil
}

// InsertWebhookEvents inserts events as they are, with multi-row
// statements, for bulk writes that emit an event per row.
func (q *Queries) InsertWebhookEvents(ctx context.Context, events []WebhookEvent) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{e.ID, e.WorkspaceID, e.Type, e.Payload, e.CreatedAt}
	}
	for _, st := range valuesStatements(`INSERT INTO webhook_events (`+webhookEventColumns+`)`, "", rows) {
		if _, err := q.exec(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("insert webhook events: %w", err)
		}
	}
	return nil
}

// GetWebhookEvent returns the event id of workspaceID.
func (q *Queries) GetWebhookEvent(ctx context.Context, workspaceID, id string) (WebhookEvent, error) {
	var e WebhookEvent
	err := q.get(ctx, &e, `SELECT `+webhookEventColumns+` FROM webhook_events WHERE workspace_id = ? AND id = ?`,
		workspaceID, id)
	if err != nil {
		return WebhookEvent{}, notFound(err, "webhook event "+id)
	}
	return e, nil
}

// WebhookEventQuery selects a page of a workspace's events, newest first.
type WebhookEventQuery struct {
	WorkspaceID string
	// Type keeps only events of this type when not empty.
	Type string
	// CreatedSince keeps only events created at or after it when not nil.
	CreatedSince *UnixMilli
	After        *Keyset
	Limit        int
}

// ListWebhookEvents returns up to eq.Limit events newest first, ordered by
// (created_at, id), and whether more follow.
func (q *Queries) ListWebhookEvents(ctx context.Context, eq WebhookEventQuery) ([]WebhookEvent, bool, error) {
	if eq.Limit < 1 {
		return nil, false, fmt.Errorf("list webhook events: limit is %d, it must be at least 1", eq.Limit)
	}
	where := []string{`workspace_id = ?`}
	args := []any{eq.WorkspaceID}
	if eq.Type != "" {
		where = append(where, `type = ?`)
		args = append(args, eq.Type)
	}
	if eq.CreatedSince != nil {
		where = append(where, `created_at >= ?`)
		args = append(args, *eq.CreatedSince)
	}

	clauses, args := pageQuery(where, args, "created_at", eq.After, true, eq.Limit)
	events := []WebhookEvent{}
	if err := q.selectAll(ctx, &events, `SELECT `+webhookEventColumns+` FROM webhook_events`+clauses, args...); err != nil {
		return nil, false, fmt.Errorf("list webhook events: %w", err)
	}
	events, hasMore := splitPage(events, eq.Limit)
	return events, hasMore, nil
}
