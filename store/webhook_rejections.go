package store

import (
	"context"
	"fmt"
)

// PrefixWebhookRejection starts the id of a rejected webhook.
const PrefixWebhookRejection = "whr_"

// MaxWebhookRejections is how many rejected webhooks are kept per
// telephony connection; older ones are deleted as new ones arrive.
const MaxWebhookRejections = 20

// WebhookRejection is a webhook a telephony connection rejected, such as
// one whose signature did not verify. The request body is not kept.
type WebhookRejection struct {
	ID           string `db:"id"`
	WorkspaceID  string `db:"workspace_id"`
	ConnectionID string `db:"connection_id"`
	Hook         string `db:"hook"`
	// Reason is the verification error, such as "signature does not
	// match".
	Reason     string    `db:"reason"`
	RemoteAddr string    `db:"remote_addr"`
	ReceivedAt UnixMilli `db:"received_at"`
}

const webhookRejectionColumns = `id, workspace_id, connection_id, hook, reason, remote_addr, received_at`

// InsertWebhookRejection stores r, filling its id and, when zero, its
// time, and deletes the connection's rejections past the newest
// MaxWebhookRejections. Run it in a transaction so the ring never holds
// more.
func (q *Queries) InsertWebhookRejection(ctx context.Context, r *WebhookRejection) error {
	r.ID = NewID(PrefixWebhookRejection)
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now()
	}
	_, err := q.exec(ctx, `INSERT INTO webhook_rejections (`+webhookRejectionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.ConnectionID, validText(r.Hook), validText(r.Reason), validText(r.RemoteAddr), r.ReceivedAt)
	if err != nil {
		return fmt.Errorf("insert webhook rejection of connection %s: %w", r.ConnectionID, err)
	}

	_, err = q.exec(ctx, `DELETE FROM webhook_rejections WHERE connection_id = ? AND id NOT IN (
		SELECT id FROM webhook_rejections WHERE connection_id = ? ORDER BY received_at DESC, id DESC LIMIT ?)`,
		r.ConnectionID, r.ConnectionID, MaxWebhookRejections)
	if err != nil {
		return fmt.Errorf("trim webhook rejections of connection %s: %w", r.ConnectionID, err)
	}
	return nil
}

// ListWebhookRejections returns the kept rejections of the connection
// connectionID of workspaceID, newest first.
func (q *Queries) ListWebhookRejections(ctx context.Context, workspaceID, connectionID string) ([]WebhookRejection, error) {
	out := []WebhookRejection{}
	err := q.selectAll(ctx, &out, `SELECT `+webhookRejectionColumns+` FROM webhook_rejections
		WHERE workspace_id = ? AND connection_id = ? ORDER BY received_at DESC, id DESC`, workspaceID, connectionID)
	if err != nil {
		return nil, fmt.Errorf("list webhook rejections of connection %s: %w", connectionID, err)
	}
	return out, nil
}

// ConnectionEvent is a stored call event with the call it belongs to, as
// a connection's admin page lists them.
type ConnectionEvent struct {
	CallEventRecord
	FromRaw string `db:"from_raw"`
}

// ListConnectionEvents returns the latest limit events the telephony
// connection connectionID of workspaceID accepted, newest first. Every
// listed event passed the signature check.
func (q *Queries) ListConnectionEvents(ctx context.Context, workspaceID, connectionID string, limit int) ([]ConnectionEvent, error) {
	var rows []struct {
		callEventRow
		FromRaw string `db:"from_raw"`
	}
	err := q.selectAll(ctx, &rows, `SELECT e.id, e.workspace_id, e.call_id, e.dedupe_key, e.status, e.hook,
		e.occurred_at, e.received_at, e.raw_body, e.raw_query, e.normalized, c.from_raw
		FROM call_events e JOIN calls c ON c.id = e.call_id
		WHERE c.workspace_id = ? AND c.connection_id = ?
		ORDER BY e.received_at DESC, e.id DESC LIMIT ?`, workspaceID, connectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of connection %s: %w", connectionID, err)
	}
	out := make([]ConnectionEvent, len(rows))
	for i, r := range rows {
		out[i] = ConnectionEvent{CallEventRecord: r.CallEventRecord, FromRaw: r.FromRaw}
		out[i].Normalized = []byte(r.callEventRow.Normalized)
	}
	return out, nil
}
