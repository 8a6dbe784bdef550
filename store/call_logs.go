package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PrefixCallLog starts the id of a call log.
const PrefixCallLog = "clog_"

// Statuses of a call log.
const (
	// CallLogPending: the call is not in the CRM yet, and an attempt is due
	// or waits for its retry.
	CallLogPending = "pending"
	// CallLogLogged: the CRM has an entry for the call (CRMID). An update
	// is due while Revision > LoggedRevision.
	CallLogLogged = "logged"
	// CallLogFailed: attempts stopped after a permanent error or too many
	// failures; a manual retry starts them again.
	CallLogFailed = "failed"
	// CallLogSkipped: an admin chose not to log the call.
	CallLogSkipped = "skipped"
)

// CallLog is the state of logging one call to one CRM connection.
// (CallID, ConnectionID) is unique.
type CallLog struct {
	ID           string `db:"id"`
	WorkspaceID  string `db:"workspace_id"`
	CallID       string `db:"call_id"`
	ConnectionID string `db:"connection_id"`
	Status       string `db:"status"`
	CRMID        string `db:"crm_id"`
	CRMURL       string `db:"crm_url"`
	// CRMContactIDs are the CRM records the call is logged on; nil until
	// chosen, empty for none.
	CRMContactIDs *JSONColumn[[]string] `db:"crm_contact_ids"`
	// Revision counts the changes of the call the CRM entry must show, and
	// LoggedRevision is the revision the entry shows.
	Revision       int64  `db:"revision"`
	LoggedRevision int64  `db:"logged_revision"`
	Attempts       int    `db:"attempts"`
	LastError      string `db:"last_error"`
	// CreateSentAt is set while a create request may have reached the CRM
	// without its answer being stored.
	CreateSentAt  *UnixMilli `db:"create_sent_at"`
	NextAttemptAt UnixMilli  `db:"next_attempt_at"`
	LoggedAt      *UnixMilli `db:"logged_at"`
	CreatedAt     UnixMilli  `db:"created_at"`
	UpdatedAt     UnixMilli  `db:"updated_at"`
}

// Due reports whether the log has work to do: a create or an update.
func (l CallLog) Due() bool {
	return l.Revision > l.LoggedRevision && (l.Status == CallLogPending || l.Status == CallLogLogged)
}

const callLogColumns = `id, workspace_id, call_id, connection_id, status, crm_id, crm_url, crm_contact_ids, revision, logged_revision,
	attempts, last_error, create_sent_at, next_attempt_at, logged_at, created_at, updated_at`

// dueCallLog is the condition of the call_logs_due partial index, written
// the same way so both databases use the index.
const dueCallLog = `revision > logged_revision AND status IN ('pending', 'logged')`

// InsertCallLog adds a pending log of the call callID to the CRM
// connection connectionID, due after delay, and reports whether it did: a
// call that already has a log for the connection keeps it.
func (q *Queries) InsertCallLog(ctx context.Context, workspaceID, callID, connectionID string, delay time.Duration) (bool, error) {
	at := now()
	due := Millis(at.Add(delay))
	res, err := q.exec(ctx, `INSERT INTO call_logs (id, workspace_id, call_id, connection_id, status, next_attempt_at,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id, connection_id) DO NOTHING`,
		NewID(PrefixCallLog), workspaceID, callID, connectionID, CallLogPending, due, at, at)
	if err != nil {
		return false, fmt.Errorf("insert call log: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert call log: %w", err)
	}
	return n > 0, nil
}

// ReviseCallLogs records that the call callID changed after its logs were
// created: each log that is not skipped gets a new revision, due now, so
// the CRM entry is updated, or created with the new data. It returns the
// logs it changed.
func (q *Queries) ReviseCallLogs(ctx context.Context, workspaceID, callID string) ([]CallLog, error) {
	at := now()
	_, err := q.exec(ctx, `UPDATE call_logs SET revision = revision + 1, next_attempt_at = ?, updated_at = ?
		WHERE workspace_id = ? AND call_id = ? AND status <> ?`, at, at, workspaceID, callID, CallLogSkipped)
	if err != nil {
		return nil, fmt.Errorf("revise call logs of call %s: %w", callID, err)
	}
	logs, err := q.ListCallLogsOfCalls(ctx, workspaceID, []string{callID})
	if err != nil {
		return nil, err
	}
	kept := logs[:0]
	for _, l := range logs {
		if l.Status != CallLogSkipped {
			kept = append(kept, l)
		}
	}
	return kept, nil
}

// GetCallLog returns the call log id of workspaceID.
func (q *Queries) GetCallLog(ctx context.Context, workspaceID, id string) (CallLog, error) {
	var l CallLog
	if err := q.get(ctx, &l, `SELECT `+callLogColumns+` FROM call_logs WHERE workspace_id = ? AND id = ?`, workspaceID, id); err != nil {
		return CallLog{}, notFound(err, "call log "+id)
	}
	return l, nil
}

// ListCallLogsOfCalls returns the logs of the calls callIDs of
// workspaceID, ordered by call and then by creation.
func (q *Queries) ListCallLogsOfCalls(ctx context.Context, workspaceID string, callIDs []string) ([]CallLog, error) {
	if len(callIDs) == 0 {
		return nil, nil
	}
	args := []any{workspaceID}
	for _, id := range callIDs {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(callIDs)), ", ")

	var logs []CallLog
	err := q.selectAll(ctx, &logs, `SELECT `+callLogColumns+` FROM call_logs
		WHERE workspace_id = ? AND call_id IN (`+marks+`) ORDER BY call_id, created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list call logs: %w", err)
	}
	return logs, nil
}

// ListDueCallLogs returns up to limit logs of the CRM connection
// connectionID that have work due at or before at, oldest call first.
func (q *Queries) ListDueCallLogs(ctx context.Context, connectionID string, at UnixMilli, limit int) ([]CallLog, error) {
	var logs []CallLog
	err := q.selectAll(ctx, &logs, `SELECT `+callLogColumns+` FROM call_logs
		WHERE connection_id = ? AND `+dueCallLog+` AND next_attempt_at <= ?
		ORDER BY created_at, id LIMIT ?`, connectionID, at, limit)
	if err != nil {
		return nil, fmt.Errorf("list due call logs of CRM connection %s: %w", connectionID, err)
	}
	return logs, nil
}

// CallLogConnection names a CRM connection with call logs due.
type CallLogConnection struct {
	WorkspaceID  string `db:"workspace_id"`
	ConnectionID string `db:"connection_id"`
}

// ListConnectionsWithDueCallLogs returns up to limit CRM connections that
// have a call log due at or before at.
func (q *Queries) ListConnectionsWithDueCallLogs(ctx context.Context, at UnixMilli, limit int) ([]CallLogConnection, error) {
	var out []CallLogConnection
	err := q.selectAll(ctx, &out, `SELECT DISTINCT workspace_id, connection_id FROM call_logs
		WHERE `+dueCallLog+` AND next_attempt_at <= ? ORDER BY connection_id LIMIT ?`, at, limit)
	if err != nil {
		return nil, fmt.Errorf("list CRM connections with due call logs: %w", err)
	}
	return out, nil
}

// MarkCallLogCreateSent records that a create request for the log id is
// about to be sent. Commit it before sending, so an attempt that dies
// after sending leaves the mark for the next one.
func (q *Queries) MarkCallLogCreateSent(ctx context.Context, id string) error {
	at := now()
	return q.execOne(ctx, "call log "+id, `UPDATE call_logs SET create_sent_at = ?, updated_at = ? WHERE id = ?`, at, at, id)
}

// SetCallLogContacts stores the CRM records the log id is written on.
func (q *Queries) SetCallLogContacts(ctx context.Context, id string, contactIDs []string) error {
	if contactIDs == nil {
		contactIDs = []string{}
	}
	encoded, err := marshalJSON(contactIDs)
	if err != nil {
		return fmt.Errorf("encode crm_contact_ids: %w", err)
	}
	return q.execOne(ctx, "call log "+id, `UPDATE call_logs SET crm_contact_ids = ?, updated_at = ? WHERE id = ?`, encoded, now(), id)
}

// ClearCallLogCreateSent drops the mark of MarkCallLogCreateSent after
// the CRM answered the create with a rejection, which stored nothing.
func (q *Queries) ClearCallLogCreateSent(ctx context.Context, id string) error {
	return q.execOne(ctx, "call log "+id, `UPDATE call_logs SET create_sent_at = NULL, updated_at = ? WHERE id = ?`, now(), id)
}

// RecordCallLogWritten stores that the CRM entry crmID (at crmURL) shows
// revision of the log id. It reports whether the log got its CRM id now,
// rather than having it already.
func (q *Queries) RecordCallLogWritten(ctx context.Context, id, crmID, crmURL string, revision int64) (bool, error) {
	var before CallLog
	err := q.get(ctx, &before, `SELECT `+callLogColumns+` FROM call_logs WHERE id = ?`+q.dialect.lockForUpdate(), id)
	if err != nil {
		return false, notFound(err, "call log "+id)
	}

	at := now()
	loggedAt := before.LoggedAt
	if loggedAt == nil {
		loggedAt = &at
	}
	logged := max(before.LoggedRevision, revision)
	status := before.Status
	if status == CallLogPending || status == CallLogLogged {
		status = CallLogLogged
	}
	err = q.execOne(ctx, "call log "+id, `UPDATE call_logs SET status = ?, crm_id = ?, crm_url = ?, logged_revision = ?,
		attempts = 0, last_error = '', create_sent_at = NULL, logged_at = ?, updated_at = ? WHERE id = ?`,
		status, crmID, crmURL, logged, *loggedAt, at, id)
	return before.CRMID == "", err
}

// RecordCallLogFailure stores a failed attempt of the log id: its error,
// the attempt count and when the next attempt may run. With final set the
// log becomes failed and waits for a manual retry.
func (q *Queries) RecordCallLogFailure(ctx context.Context, id, lastError string, attempts int, next UnixMilli, final bool) error {
	at := now()
	status := `status`
	if final {
		status = `'` + CallLogFailed + `'`
	}
	return q.execOne(ctx, "call log "+id, `UPDATE call_logs SET status = `+status+`, attempts = ?, last_error = ?,
		next_attempt_at = ?, updated_at = ? WHERE id = ?`, attempts, lastError, next, at, id)
}

// RecordDueCallLogsError stores lastError on the logs of the CRM
// connection connectionID that are due at or before at, and returns how
// many it changed. It keeps their attempts and next attempt, so it suits
// a wait that is no fault of the logs, such as a CRM rate limit.
// RecordCallLogWritten clears the error again.
func (q *Queries) RecordDueCallLogsError(ctx context.Context, connectionID string, at UnixMilli, lastError string) (int, error) {
	res, err := q.exec(ctx, `UPDATE call_logs SET last_error = ?, updated_at = ?
		WHERE connection_id = ? AND `+dueCallLog+` AND next_attempt_at <= ?`, lastError, now(), connectionID, at)
	if err != nil {
		return 0, fmt.Errorf("record the error of due call logs of CRM connection %s: %w", connectionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("record the error of due call logs of CRM connection %s: %w", connectionID, err)
	}
	return int(n), nil
}

// RetryCallLog makes the log id of workspaceID due now with a fresh count
// of attempts and returns the log as stored. A failed or skipped log
// becomes pending, or logged when the CRM has its entry. A log with
// nothing due gets a new revision, so its entry is written again.
func (q *Queries) RetryCallLog(ctx context.Context, workspaceID, id string) (CallLog, error) {
	at := now()
	err := q.execOne(ctx, "call log "+id, `UPDATE call_logs SET
		status = CASE WHEN crm_id = '' THEN 'pending' ELSE 'logged' END,
		revision = CASE WHEN revision > logged_revision THEN revision ELSE logged_revision + 1 END,
		attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`, at, at, workspaceID, id)
	if err != nil {
		return CallLog{}, err
	}
	return q.GetCallLog(ctx, workspaceID, id)
}

// RetryFailedCallLogs makes every failed log of workspaceID due now, only
// those of the CRM connection connectionID unless it is empty, and returns
// the connections whose logs it changed, with the number of logs.
func (q *Queries) RetryFailedCallLogs(ctx context.Context, workspaceID, connectionID string) ([]CallLogConnection, int, error) {
	where, args := `workspace_id = ? AND status = ?`, []any{workspaceID, CallLogFailed}
	if connectionID != "" {
		where += ` AND connection_id = ?`
		args = append(args, connectionID)
	}
	var conns []CallLogConnection
	if err := q.selectAll(ctx, &conns, `SELECT DISTINCT workspace_id, connection_id FROM call_logs WHERE `+where+
		` ORDER BY connection_id`, args...); err != nil {
		return nil, 0, fmt.Errorf("retry failed call logs: %w", err)
	}

	at := now()
	res, err := q.exec(ctx, `UPDATE call_logs SET
		status = CASE WHEN crm_id = '' THEN 'pending' ELSE 'logged' END,
		revision = CASE WHEN revision > logged_revision THEN revision ELSE logged_revision + 1 END,
		attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ? WHERE `+where, append([]any{at, at}, args...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("retry failed call logs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, 0, fmt.Errorf("retry failed call logs: %w", err)
	}
	return conns, int(n), nil
}

// SkipCallLog marks the log id of workspaceID skipped, so it is never
// sent. A log whose call is in the CRM already cannot be skipped: it
// returns an error wrapping ErrConflict.
func (q *Queries) SkipCallLog(ctx context.Context, workspaceID, id string) (CallLog, error) {
	l, err := q.GetCallLog(ctx, workspaceID, id)
	if err != nil {
		return CallLog{}, err
	}
	if l.CRMID != "" {
		return CallLog{}, fmt.Errorf("call log %s is in the CRM already as %s: %w", id, l.CRMID, ErrConflict)
	}
	at := now()
	if err := q.execOne(ctx, "call log "+id, `UPDATE call_logs SET status = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		CallLogSkipped, at, workspaceID, id); err != nil {
		return CallLog{}, err
	}
	l.Status, l.UpdatedAt = CallLogSkipped, at
	return l, nil
}

// CallLogQuery selects one page of a workspace's call logs, oldest first.
type CallLogQuery struct {
	WorkspaceID string
	// Status and ConnectionID select logs with that value; empty selects
	// every one.
	Status       string
	ConnectionID string
	After        *Keyset
	Limit        int
}

// ListCallLogs returns one page of call logs ordered by (created_at, id),
// and whether more rows follow it.
func (q *Queries) ListCallLogs(ctx context.Context, cq CallLogQuery) ([]CallLog, bool, error) {
	if cq.Limit < 1 {
		return nil, false, fmt.Errorf("list call logs: limit is %d, it must be at least 1", cq.Limit)
	}
	where, args := []string{`workspace_id = ?`}, []any{cq.WorkspaceID}
	if cq.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, cq.Status)
	}
	if cq.ConnectionID != "" {
		where = append(where, `connection_id = ?`)
		args = append(args, cq.ConnectionID)
	}
	clauses, args := pageQuery(where, args, "created_at", cq.After, false, cq.Limit)

	var logs []CallLog
	if err := q.selectAll(ctx, &logs, `SELECT `+callLogColumns+` FROM call_logs`+clauses, args...); err != nil {
		return nil, false, fmt.Errorf("list call logs: %w", err)
	}
	logs, hasMore := splitPage(logs, cq.Limit)
	return logs, hasMore, nil
}

// CallLogBacklog is the work due across every connection.
type CallLogBacklog struct {
	// Due is the number of logs with a create or an update due.
	Due int `db:"due"`
	// Oldest is the created_at of the oldest of them; nil when none is.
	Oldest *UnixMilli `db:"oldest"`
}

// CountDueCallLogs returns the backlog of call logs, for the metrics.
func (q *Queries) CountDueCallLogs(ctx context.Context) (CallLogBacklog, error) {
	var b CallLogBacklog
	err := q.get(ctx, &b, `SELECT COUNT(*) AS due, MIN(created_at) AS oldest FROM call_logs WHERE `+dueCallLog)
	if err != nil {
		return CallLogBacklog{}, fmt.Errorf("count due call logs: %w", err)
	}
	return b, nil
}

// AcquireCallLogDrain takes the drain lease of the CRM connection
// connectionID for holder until until, and reports whether holder has
// it: the lease was free, expired, or holder's already.
func (q *Queries) AcquireCallLogDrain(ctx context.Context, connectionID, holder string, until UnixMilli) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO call_log_drains (connection_id, holder, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
		WHERE call_log_drains.lease_until < ? OR call_log_drains.holder = excluded.holder`,
		connectionID, holder, until, now())
	if err != nil {
		return false, fmt.Errorf("acquire the call log drain of CRM connection %s: %w", connectionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire the call log drain of CRM connection %s: %w", connectionID, err)
	}
	return n > 0, nil
}

// ReleaseCallLogDrain gives up holder's drain lease of the connection.
func (q *Queries) ReleaseCallLogDrain(ctx context.Context, connectionID, holder string) error {
	_, err := q.exec(ctx, `DELETE FROM call_log_drains WHERE connection_id = ? AND holder = ?`, connectionID, holder)
	if err != nil {
		return fmt.Errorf("release the call log drain of CRM connection %s: %w", connectionID, err)
	}
	return nil
}
