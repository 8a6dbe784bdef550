package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// PrefixCallEvent starts the id of a call event.
const PrefixCallEvent = "cev_"

// CallEventRecord is one accepted webhook event of a call: the request as
// it arrived and the telephony.CallEvent it was parsed into.
type CallEventRecord struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	CallID      string `db:"call_id"`
	// DedupeKey identifies the event within its call, such as the
	// provider's event id or a hash of the request. A second event with
	// the same key is a retried delivery and is not stored.
	DedupeKey string `db:"dedupe_key"`
	// Status is the telephony.Status of the event, empty for an event that
	// only adds data.
	Status     string    `db:"status"`
	Hook       string    `db:"hook"`
	OccurredAt UnixMilli `db:"occurred_at"`
	ReceivedAt UnixMilli `db:"received_at"`
	RawBody    string    `db:"raw_body"`
	RawQuery   string    `db:"raw_query"`
	// Normalized is the telephony.CallEvent as JSON, {} when nil.
	Normalized json.RawMessage `db:"-"`
}

const callEventColumns = `id, workspace_id, call_id, dedupe_key, status, hook, occurred_at, received_at,
	raw_body, raw_query, normalized`

type callEventRow struct {
	CallEventRecord
	Normalized string `db:"normalized"`
}

// InsertCallEvent stores e unless its call already has an event with
// e.DedupeKey, and reports whether it stored it. It fills e.ID when it
// does, and e.ReceivedAt when that is zero.
//
// NOTE: both databases store the raw body as text, so invalid UTF-8 and NUL
// bytes, which PostgreSQL rejects in text, are stored as U+FFFD. Provider
// webhooks are JSON or form-encoded, so this should not happen in practice.
func (q *Queries) InsertCallEvent(ctx context.Context, e *CallEventRecord) (inserted bool, err error) {
	if e.DedupeKey == "" {
		return false, errors.New("insert call event: dedupe key is empty")
	}
	normalized, err := compactJSON(e.Normalized, "{}", "normalized")
	if err != nil {
		return false, err
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = now()
	}
	id := NewID(PrefixCallEvent)

	res, err := q.exec(ctx, `INSERT INTO call_events (`+callEventColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id, dedupe_key) DO NOTHING`,
		id, e.WorkspaceID, e.CallID, e.DedupeKey, e.Status, e.Hook, e.OccurredAt, e.ReceivedAt,
		validText(e.RawBody), validText(e.RawQuery), normalized)
	if err != nil {
		return false, fmt.Errorf("insert event of call %s: %w", e.CallID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert event of call %s: %w", e.CallID, err)
	}
	if n == 0 {
		return false, nil
	}
	e.ID = id
	e.Normalized = json.RawMessage(normalized)
	return true, nil
}

// validText returns s with invalid UTF-8 and NUL bytes replaced by U+FFFD.
func validText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// ListCallEvents returns the events of the call callID of workspaceID,
// ordered by (occurred_at, id). A call without events, or of another
// workspace, gives an empty list.
func (q *Queries) ListCallEvents(ctx context.Context, workspaceID, callID string) ([]CallEventRecord, error) {
	var rows []callEventRow
	err := q.selectAll(ctx, &rows, `SELECT `+callEventColumns+` FROM call_events
		WHERE workspace_id = ? AND call_id = ? ORDER BY occurred_at, id`, workspaceID, callID)
	if err != nil {
		return nil, fmt.Errorf("list events of call %s: %w", callID, err)
	}
	out := make([]CallEventRecord, len(rows))
	for i, r := range rows {
		out[i] = r.CallEventRecord
		out[i].Normalized = json.RawMessage(r.Normalized)
	}
	return out, nil
}
