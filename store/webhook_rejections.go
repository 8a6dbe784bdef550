package store

import (
	"context"
	"database/sql"
	"errors"
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
	Reason     string `db:"reason"`
	RemoteAddr string `db:"remote_addr"`
	// ReceivedAt is when the first of the row's occurrences arrived.
	ReceivedAt UnixMilli `db:"received_at"`
	// Occurrences counts the rejections of the same hook, reason and
	// remote address within the second of ReceivedAt; at least 1.
	Occurrences int `db:"occurrences"`
}

const webhookRejectionColumns = `id, workspace_id, connection_id, hook, reason, remote_addr, received_at, occurrences`

// RecordWebhookRejection stores r, filling its time when zero. A
// rejection of the same hook, reason and remote address as a row of the
// same second, by ReceivedAt, adds one to that row's Occurrences and
// fills r from it. Any other rejection is inserted as a row with its own
// id, and the connection's rows past the newest MaxWebhookRejections are
// deleted. Run it in a transaction so the ring never holds more.
func (q *Queries) RecordWebhookRejection(ctx context.Context, r *WebhookRejection) error {
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now()
	}
	r.Hook, r.Reason, r.RemoteAddr = validText(r.Hook), validText(r.Reason), validText(r.RemoteAddr)
	second := r.ReceivedAt.UnixMilli() - r.ReceivedAt.UnixMilli()%1000

	var same WebhookRejection
	err := q.get(ctx, &same, `SELECT `+webhookRejectionColumns+` FROM webhook_rejections
		WHERE connection_id = ? AND hook = ? AND reason = ? AND remote_addr = ? AND received_at >= ? AND received_at < ?
		ORDER BY received_at, id LIMIT 1`,
		r.ConnectionID, r.Hook, r.Reason, r.RemoteAddr, second, second+1000)
	switch {
	case err == nil:
		same.Occurrences++
		*r = same
		return q.execOne(ctx, "webhook rejection "+r.ID,
			`UPDATE webhook_rejections SET occurrences = ? WHERE id = ?`, r.Occurrences, r.ID)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("find webhook rejection of connection %s: %w", r.ConnectionID, err)
	}

	r.ID, r.Occurrences = NewID(PrefixWebhookRejection), 1
	_, err = q.exec(ctx, `INSERT INTO webhook_rejections (`+webhookRejectionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.ConnectionID, r.Hook, r.Reason, r.RemoteAddr, r.ReceivedAt, r.Occurrences)
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
