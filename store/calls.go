package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// PrefixCall starts the id of a call.
const PrefixCall = "call_"

// Call is the record of one call, built from all the webhook events a
// connection reported for it. (ConnectionID, ProviderCallID) is unique.
type Call struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	ConnectionID   string `db:"connection_id"`
	Provider       string `db:"provider"`
	ProviderCallID string `db:"provider_call_id"`
	// Direction is a telephony.Direction value, "inbound" or "outbound".
	Direction string `db:"direction"`
	FromRaw   string `db:"from_raw"`
	FromE164  string `db:"from_e164"`
	ToRaw     string `db:"to_raw"`
	ToE164    string `db:"to_e164"`
	// Status is a telephony.Status value such as "ringing" or "completed".
	Status string `db:"status"`
	// Agent is the agent the provider named, else the party the routing
	// decision rang (routing.Decision.Agent).
	Agent      string     `db:"agent"`
	StartedAt  UnixMilli  `db:"started_at"`
	AnsweredAt *UnixMilli `db:"answered_at"`
	EndedAt    *UnixMilli `db:"ended_at"`
	// DurationSeconds is the talk time, 0 when the call was not answered.
	DurationSeconds int    `db:"duration_seconds"`
	RecordingURL    string `db:"recording_url"`
	// Notes are free text added through the API; events never change
	// them, so UpdateCall leaves them alone and SetCallNotes writes them.
	Notes string `db:"notes"`
	// ContactID and PhonebookID name the contact the caller matched, nil
	// when none did.
	ContactID         *string              `db:"contact_id"`
	PhonebookID       *string              `db:"phonebook_id"`
	MatchedContactIDs JSONColumn[[]string] `db:"matched_contact_ids"`
	// Routing is the routing decision as JSON, nil when the call was never
	// routed. Writes store it compacted.
	Routing     json.RawMessage `db:"-"`
	LastEventAt UnixMilli       `db:"last_event_at"`
	CreatedAt   UnixMilli       `db:"created_at"`
	UpdatedAt   UnixMilli       `db:"updated_at"`
}

const callColumns = `id, workspace_id, connection_id, provider, provider_call_id, direction, from_raw, from_e164,
	to_raw, to_e164, status, agent, started_at, answered_at, ended_at, duration_seconds, recording_url,
	contact_id, phonebook_id, matched_contact_ids, routing, notes, last_event_at, created_at, updated_at`

// callUpdateSet assigns the columns of Call.updateValues, in that order.
const callUpdateSet = `direction = ?, from_raw = ?, from_e164 = ?, to_raw = ?, to_e164 = ?, status = ?, agent = ?,
	started_at = ?, answered_at = ?, ended_at = ?, duration_seconds = ?, recording_url = ?,
	contact_id = ?, phonebook_id = ?, matched_contact_ids = ?, routing = ?, last_event_at = ?`

// callRow is a call as its columns store it; Routing is NULL when the call
// was never routed.
type callRow struct {
	Call
	Routing sql.NullString `db:"routing"`
}

func (r callRow) call() Call {
	c := r.Call
	if r.Routing.Valid {
		c.Routing = json.RawMessage(r.Routing.String)
	}
	return c
}

// updateValues returns the columns a call update writes, as plain values
// that compare with ==: times as Unix milliseconds, nil for NULL, JSON as
// compact text.
func (c *Call) updateValues() ([]any, error) {
	ids := c.MatchedContactIDs.V
	if ids == nil {
		ids = []string{}
	}
	matched, err := marshalJSON(ids)
	if err != nil {
		return nil, fmt.Errorf("encode matched_contact_ids: %w", err)
	}
	routing, err := compactJSON(c.Routing, "", "routing")
	if err != nil {
		return nil, err
	}

	return []any{
		c.Direction, c.FromRaw, c.FromE164, c.ToRaw, c.ToE164, c.Status, c.Agent,
		c.StartedAt.UnixMilli(), optionalMillis(c.AnsweredAt), optionalMillis(c.EndedAt), int64(c.DurationSeconds),
		c.RecordingURL, optionalString(c.ContactID), optionalString(c.PhonebookID), matched, nilIfEmpty(routing),
		c.LastEventAt.UnixMilli(),
	}, nil
}

func optionalMillis(t *UnixMilli) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func optionalString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// GetCall returns the call id of workspaceID.
func (q *Queries) GetCall(ctx context.Context, workspaceID, id string) (Call, error) {
	return q.getCall(ctx, "call "+id, `SELECT `+callColumns+` FROM calls WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetCallByProviderIDForUpdate returns the call the provider calls
// providerCallID on the connection, and on PostgreSQL locks it until the
// transaction ends. Call it inside InTx. The connection id is unique
// across workspaces, so no workspace is needed.
func (q *Queries) GetCallByProviderIDForUpdate(ctx context.Context, connectionID, providerCallID string) (Call, error) {
	return q.getCall(ctx, fmt.Sprintf("call %q of connection %s", providerCallID, connectionID),
		`SELECT `+callColumns+` FROM calls WHERE connection_id = ? AND provider_call_id = ?`+q.dialect.lockForUpdate(),
		connectionID, providerCallID)
}

func (q *Queries) getCall(ctx context.Context, what, query string, args ...any) (Call, error) {
	var row callRow
	if err := q.get(ctx, &row, query, args...); err != nil {
		return Call{}, notFound(err, what)
	}
	return row.call(), nil
}

// InsertCall inserts c, filling its id, created_at and updated_at. When
// the connection already has a call with c.ProviderCallID it inserts
// nothing and returns an error wrapping ErrConflict. The transaction stays
// usable (ON CONFLICT DO NOTHING), so the caller can then read the
// existing call with GetCallByProviderIDForUpdate and update it: that is
// how two webhooks of one call arriving at once end up in one record.
func (q *Queries) InsertCall(ctx context.Context, c *Call) error {
	values, err := c.updateValues()
	if err != nil {
		return err
	}
	id := NewID(PrefixCall)
	at := now()

	args := append([]any{id, c.WorkspaceID, c.ConnectionID, c.Provider, c.ProviderCallID}, values...)
	args = append(args, at, at)
	res, err := q.exec(ctx, `INSERT INTO calls (id, workspace_id, connection_id, provider, provider_call_id,
		direction, from_raw, from_e164, to_raw, to_e164, status, agent, started_at, answered_at, ended_at,
		duration_seconds, recording_url, contact_id, phonebook_id, matched_contact_ids, routing, last_event_at,
		created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, provider_call_id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("insert call: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("insert call: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("call %q of connection %s already exists: %w", c.ProviderCallID, c.ConnectionID, ErrConflict)
	}

	c.ID, c.CreatedAt, c.UpdatedAt = id, at, at
	return nil
}

// UpdateCall stores every field of c that events change: all but the ids,
// workspace, connection, provider and created_at. It compares c with the
// stored row first: when nothing differs it writes nothing and keeps
// updated_at, else updated_at moves to now, at least 1 ms past its old
// value. It fills c's created_at and updated_at. Call it inside InTx after
// GetCallByProviderIDForUpdate.
func (q *Queries) UpdateCall(ctx context.Context, c *Call) error {
	current, err := q.getCall(ctx, "call "+c.ID,
		`SELECT `+callColumns+` FROM calls WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), c.WorkspaceID, c.ID)
	if err != nil {
		return err
	}
	values, err := c.updateValues()
	if err != nil {
		return err
	}
	stored, err := current.updateValues()
	if err != nil {
		return err
	}

	c.CreatedAt = current.CreatedAt
	if sameValues(values, stored) {
		c.UpdatedAt = current.UpdatedAt
		return nil
	}

	updatedAt := nextUpdatedAt(current.UpdatedAt, now())
	args := append(values, updatedAt, c.WorkspaceID, c.ID)
	if err := q.execOne(ctx, "call "+c.ID, `UPDATE calls SET `+callUpdateSet+`, updated_at = ?
		WHERE workspace_id = ? AND id = ?`, args...); err != nil {
		return err
	}
	c.UpdatedAt = updatedAt
	return nil
}

// SetCallNotes replaces the notes of the call id of workspaceID and moves
// its updated_at, at least 1 ms past its old value, unless the notes are
// unchanged. It returns the call as stored. Call it inside InTx.
func (q *Queries) SetCallNotes(ctx context.Context, workspaceID, id, notes string) (Call, error) {
	current, err := q.getCall(ctx, "call "+id,
		`SELECT `+callColumns+` FROM calls WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), workspaceID, id)
	if err != nil {
		return Call{}, err
	}
	if current.Notes == notes {
		return current, nil
	}

	updatedAt := nextUpdatedAt(current.UpdatedAt, now())
	if err := q.execOne(ctx, "call "+id, `UPDATE calls SET notes = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		notes, updatedAt, workspaceID, id); err != nil {
		return Call{}, err
	}
	current.Notes, current.UpdatedAt = notes, updatedAt
	return current, nil
}

func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// CallQuery selects one page of a workspace's calls for ListCalls. Empty
// string filters and nil times select everything.
type CallQuery struct {
	WorkspaceID  string
	ConnectionID string
	// PhonebookID and ContactID select calls whose caller matched that
	// phonebook or contact.
	PhonebookID string
	ContactID   string
	Direction   string
	Status      string
	// CreatedSince, UpdatedSince and EndedSince keep calls created,
	// updated or ended at or after the time. EndedSince also drops calls
	// that have not ended.
	CreatedSince *UnixMilli
	UpdatedSince *UnixMilli
	EndedSince   *UnixMilli
	// SortBy is "created_at" (the default when empty), "updated_at" or
	// "ended_at". Sorting by ended_at lists only calls that have ended.
	SortBy string
	// Desc sorts newest first.
	Desc bool
	// Until is the snapshot bound of a listing, as ContactQuery.Until
	// describes: only calls whose sort field is at most Until are listed.
	Until *UnixMilli
	// After is the key of the last row of the previous page; nil starts at
	// the first page.
	After *Keyset
	// Limit is the page size, at least 1.
	Limit int
}

// callSortColumns whitelists the sort fields, so no text of a request
// ever reaches the SQL.
var callSortColumns = map[string]string{
	"":           "created_at",
	"created_at": "created_at",
	"updated_at": "updated_at",
	"ended_at":   "ended_at",
}

// ListCalls returns one page of calls ordered by (sort field, id), and
// whether more rows follow it.
func (q *Queries) ListCalls(ctx context.Context, cq CallQuery) ([]Call, bool, error) {
	column, ok := callSortColumns[cq.SortBy]
	if !ok {
		return nil, false, fmt.Errorf("list calls: sort field %q is invalid: use created_at, updated_at or ended_at", cq.SortBy)
	}
	if cq.Limit < 1 {
		return nil, false, fmt.Errorf("list calls: limit is %d, it must be at least 1", cq.Limit)
	}

	where, args := callFilters(cq, column)
	clauses, args := pageQuery(where, args, column, cq.After, cq.Desc, cq.Limit)
	query := `SELECT ` + callColumns + ` FROM calls` + clauses

	var rows []callRow
	if err := q.selectAll(ctx, &rows, query, args...); err != nil {
		return nil, false, fmt.Errorf("list calls: %w", err)
	}
	calls := make([]Call, len(rows))
	for i, r := range rows {
		calls[i] = r.call()
	}
	calls, hasMore := splitPage(calls, cq.Limit)
	return calls, hasMore, nil
}

// callFilters returns the conditions of cq other than the page key, and
// their arguments. column is the whitelisted sort column.
func callFilters(cq CallQuery, column string) ([]string, []any) {
	where := []string{`workspace_id = ?`}
	args := []any{cq.WorkspaceID}
	equal := []struct{ column, value string }{
		{"connection_id", cq.ConnectionID},
		{"phonebook_id", cq.PhonebookID},
		{"contact_id", cq.ContactID},
		{"direction", cq.Direction},
		{"status", cq.Status},
	}
	for _, f := range equal {
		if f.value != "" {
			where = append(where, f.column+` = ?`)
			args = append(args, f.value)
		}
	}

	since := []struct {
		column string
		at     *UnixMilli
	}{
		{"created_at", cq.CreatedSince},
		{"updated_at", cq.UpdatedSince},
		{"ended_at", cq.EndedSince},
	}
	for _, f := range since {
		if f.at != nil {
			where = append(where, f.column+` >= ?`)
			args = append(args, *f.at)
		}
	}
	if column == "ended_at" && cq.EndedSince == nil {
		where = append(where, `ended_at IS NOT NULL`)
	}
	if cq.Until != nil {
		where = append(where, column+` <= ?`)
		args = append(args, *cq.Until)
	}
	return where, args
}
