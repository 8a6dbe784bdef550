package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Id prefixes of CRM objects.
const (
	PrefixCRMConnection = "crm_"
	PrefixCRMSyncRun    = "crmrun_"
)

// DefaultCRMSyncIntervalSeconds is the sync interval of a CRM connection
// created without one, in seconds.
const DefaultCRMSyncIntervalSeconds = 300

// CRMConnection is one CRM account Switchboard reads contacts from: its
// encrypted credentials, its settings, its field mapping and how its
// contacts are synced into a phonebook.
type CRMConnection struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	// Kind is a crm.Kind value such as "hubspot". It cannot change after
	// creation.
	Kind string `db:"kind"`
	Name string `db:"name"`
	// BaseURL is the CRM's API base URL; empty uses the connector's
	// default.
	BaseURL string `db:"base_url"`
	// Credentials is JSON encrypted with the keyring: ciphertext, never
	// the secrets themselves.
	Credentials string `db:"credentials"`
	// Settings is a JSON object of the kind's settings, {} when nil.
	Settings json.RawMessage `db:"-"`
	// PhonebookID is the phonebook the sync writes into, nil until the
	// first sync creates it.
	PhonebookID *string `db:"phonebook_id"`
	// Mapping is the field mapping as JSON, empty when the kind's default
	// mapping applies.
	Mapping     json.RawMessage `db:"-"`
	SyncEnabled bool            `db:"sync_enabled"`
	// SyncIntervalSeconds is the time between two scheduled syncs;
	// DefaultCRMSyncIntervalSeconds when 0.
	SyncIntervalSeconds int       `db:"sync_interval_seconds"`
	CreatedAt           UnixMilli `db:"created_at"`
	UpdatedAt           UnixMilli `db:"updated_at"`
}

const crmConnectionColumns = `id, workspace_id, kind, name, base_url, credentials, settings, phonebook_id, mapping,
	sync_enabled, sync_interval_seconds, created_at, updated_at`

// crmConnectionRow is a CRM connection as its columns store it, with the
// JSON documents as text: lib/pq would send a []byte as bytea.
type crmConnectionRow struct {
	CRMConnection
	Settings string         `db:"settings"`
	Mapping  sql.NullString `db:"mapping"`
}

func (r crmConnectionRow) connection() CRMConnection {
	c := r.CRMConnection
	c.Settings = json.RawMessage(r.Settings)
	c.Mapping = nil
	if r.Mapping.Valid {
		c.Mapping = json.RawMessage(r.Mapping.String)
	}
	return c
}

// encodeCRMConnection fills the defaults of c in place and returns its
// JSON documents as column values: the mapping is NULL when empty.
func encodeCRMConnection(c *CRMConnection) (settings string, mapping any, err error) {
	if c.SyncIntervalSeconds == 0 {
		c.SyncIntervalSeconds = DefaultCRMSyncIntervalSeconds
	}
	if settings, err = compactJSON(c.Settings, "{}", "settings"); err != nil {
		return "", nil, err
	}
	mappingText, err := compactJSON(c.Mapping, "", "mapping")
	if err != nil {
		return "", nil, err
	}

	c.Settings = json.RawMessage(settings)
	c.Mapping = nil
	if mappingText == "" {
		return settings, nil, nil
	}
	c.Mapping = json.RawMessage(mappingText)
	return settings, mappingText, nil
}

// CreateCRMConnection inserts c, filling its id, timestamps and the
// defaults of zero fields.
func (q *Queries) CreateCRMConnection(ctx context.Context, c *CRMConnection) error {
	settings, mapping, err := encodeCRMConnection(c)
	if err != nil {
		return err
	}
	c.ID = NewID(PrefixCRMConnection)
	c.CreatedAt = now()
	c.UpdatedAt = c.CreatedAt

	_, err = q.exec(ctx, `INSERT INTO crm_connections (`+crmConnectionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.Kind, c.Name, c.BaseURL, c.Credentials, settings, optionalString(c.PhonebookID), mapping,
		c.SyncEnabled, c.SyncIntervalSeconds, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert CRM connection: %w", err)
	}
	return nil
}

// GetCRMConnection returns the CRM connection id of workspaceID.
func (q *Queries) GetCRMConnection(ctx context.Context, workspaceID, id string) (CRMConnection, error) {
	return q.getCRMConnection(ctx, id,
		`SELECT `+crmConnectionColumns+` FROM crm_connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetCRMConnectionForUpdate returns the CRM connection id of workspaceID
// and, inside InTx, keeps other transactions from changing it until this
// one ends, for a read-modify-write of its credentials.
func (q *Queries) GetCRMConnectionForUpdate(ctx context.Context, workspaceID, id string) (CRMConnection, error) {
	return q.getCRMConnection(ctx, id, `SELECT `+crmConnectionColumns+` FROM crm_connections
		WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(), workspaceID, id)
}

// GetCRMConnectionByID returns the CRM connection id of any workspace. It
// is for background jobs such as the sync, which know a connection by id
// alone; every API call must use GetCRMConnection.
func (q *Queries) GetCRMConnectionByID(ctx context.Context, id string) (CRMConnection, error) {
	return q.getCRMConnection(ctx, id, `SELECT `+crmConnectionColumns+` FROM crm_connections WHERE id = ?`, id)
}

func (q *Queries) getCRMConnection(ctx context.Context, id, query string, args ...any) (CRMConnection, error) {
	var row crmConnectionRow
	if err := q.get(ctx, &row, query, args...); err != nil {
		return CRMConnection{}, notFound(err, "CRM connection "+id)
	}
	return row.connection(), nil
}

// ListCRMConnections returns every CRM connection of workspaceID, oldest
// first. A workspace has a handful, so the list has no pages.
func (q *Queries) ListCRMConnections(ctx context.Context, workspaceID string) ([]CRMConnection, error) {
	var rows []crmConnectionRow
	err := q.selectAll(ctx, &rows, `SELECT `+crmConnectionColumns+` FROM crm_connections
		WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list CRM connections: %w", err)
	}
	out := make([]CRMConnection, len(rows))
	for i, r := range rows {
		out[i] = r.connection()
	}
	return out, nil
}

// UpdateCRMConnection stores every field of c but its id, workspace, kind,
// credentials and created_at, and fills its timestamps. Credentials change
// only through UpdateCRMCredentials, so a settings change never writes back
// OAuth tokens that a refresh replaced meanwhile. updated_at moves forward
// by at least 1 ms on every call, so a cache keyed by id and updated_at
// never serves an old version.
func (q *Queries) UpdateCRMConnection(ctx context.Context, c *CRMConnection) error {
	settings, mapping, err := encodeCRMConnection(c)
	if err != nil {
		return err
	}
	at := now()

	var stamps struct {
		CreatedAt UnixMilli `db:"created_at"`
		UpdatedAt UnixMilli `db:"updated_at"`
	}
	err = q.get(ctx, &stamps, `UPDATE crm_connections SET name = ?, base_url = ?, settings = ?,
		phonebook_id = ?, mapping = ?, sync_enabled = ?, sync_interval_seconds = ?,
		updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END
		WHERE workspace_id = ? AND id = ? RETURNING created_at, updated_at`,
		c.Name, c.BaseURL, settings, optionalString(c.PhonebookID), mapping, c.SyncEnabled,
		c.SyncIntervalSeconds, at, at, c.WorkspaceID, c.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("CRM connection %s: %w", c.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update CRM connection %s: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = stamps.CreatedAt, stamps.UpdatedAt
	return nil
}

// UpdateCRMCredentials stores new encrypted credentials of the connection
// id of workspaceID, such as OAuth tokens after a refresh, and leaves every
// other column as it is. updated_at does not move, because the connection's
// configuration did not change.
func (q *Queries) UpdateCRMCredentials(ctx context.Context, workspaceID, id, credentials string) error {
	return q.execOne(ctx, "CRM connection "+id,
		`UPDATE crm_connections SET credentials = ? WHERE workspace_id = ? AND id = ?`, credentials, workspaceID, id)
}

// SetCRMConnectionPhonebook makes phonebookID the sync target of the
// connection id of workspaceID. updated_at does not move.
func (q *Queries) SetCRMConnectionPhonebook(ctx context.Context, workspaceID, id, phonebookID string) error {
	return q.execOne(ctx, "CRM connection "+id,
		`UPDATE crm_connections SET phonebook_id = ? WHERE workspace_id = ? AND id = ?`, phonebookID, workspaceID, id)
}

// DeleteCRMConnection deletes the connection id of workspaceID with its
// sync state and history. Its phonebook and contacts stay.
func (q *Queries) DeleteCRMConnection(ctx context.Context, workspaceID, id string) error {
	res, err := q.exec(ctx, `DELETE FROM crm_connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return fmt.Errorf("delete CRM connection %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFoundOr(err, "CRM connection "+id)
	}
	return nil
}

// CRMConnectionRef names a connection of a workspace.
type CRMConnectionRef struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
}

// ListDueCRMSyncs returns up to limit connections with sync enabled whose
// next run is due at at: never synced, or next_run_at not after at. The
// longest overdue come first, never-synced ones before all others.
func (q *Queries) ListDueCRMSyncs(ctx context.Context, at UnixMilli, limit int) ([]CRMConnectionRef, error) {
	refs := []CRMConnectionRef{}
	err := q.selectAll(ctx, &refs, `SELECT c.id, c.workspace_id FROM crm_connections c
		LEFT JOIN crm_sync_state s ON s.connection_id = c.id
		WHERE c.sync_enabled = ? AND (s.next_run_at IS NULL OR s.next_run_at <= ?)
		ORDER BY COALESCE(s.next_run_at, 0), c.id LIMIT ?`, true, at, limit)
	if err != nil {
		return nil, fmt.Errorf("list due CRM syncs: %w", err)
	}
	return refs, nil
}

// States of a CRM sync, in crm_sync_state.state and crm_sync_runs.state.
const (
	CRMSyncIdle      = "idle"
	CRMSyncRunning   = "running"
	CRMSyncSucceeded = "succeeded"
	CRMSyncFailed    = "failed"
)

// CRMSyncState is the progress of one connection's contact sync.
type CRMSyncState struct {
	ConnectionID string `db:"connection_id"`
	WorkspaceID  string `db:"workspace_id"`
	// Checkpoint is the change time up to which every record was read; the
	// zero time before the first complete run.
	Checkpoint UnixMilli `db:"checkpoint"`
	// Cursor is the next page of the run in progress, empty between runs.
	Cursor string `db:"cursor"`
	// RunID is the crm_sync_runs row of the run in progress, empty between
	// runs, so an interrupted run is resumed under the same id.
	RunID string `db:"run_id"`
	// State is CRMSyncIdle, CRMSyncRunning or CRMSyncFailed.
	State string `db:"state"`
	// NextRunAt is when the next scheduled run is due; nil means at once.
	NextRunAt *UnixMilli `db:"next_run_at"`
	LastError string     `db:"last_error"`
	UpdatedAt UnixMilli  `db:"updated_at"`
}

const crmSyncStateColumns = `connection_id, workspace_id, checkpoint, cursor, run_id, state, next_run_at, last_error, updated_at`

// GetSyncState returns the sync state of the CRM connection connectionID,
// or an error wrapping ErrNotFound when it was never synced. Callers
// serving the API check the connection's workspace first.
func (q *Queries) GetSyncState(ctx context.Context, connectionID string) (CRMSyncState, error) {
	var s CRMSyncState
	err := q.get(ctx, &s, `SELECT `+crmSyncStateColumns+` FROM crm_sync_state WHERE connection_id = ?`, connectionID)
	if err != nil {
		return CRMSyncState{}, notFound(err, "sync state of CRM connection "+connectionID)
	}
	return s, nil
}

// SaveSyncState inserts or replaces the sync state s and fills its
// updated_at. An empty State is stored as CRMSyncIdle.
func (q *Queries) SaveSyncState(ctx context.Context, s *CRMSyncState) error {
	if s.State == "" {
		s.State = CRMSyncIdle
	}
	s.UpdatedAt = now()

	_, err := q.exec(ctx, `INSERT INTO crm_sync_state (`+crmSyncStateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id) DO UPDATE SET checkpoint = excluded.checkpoint, cursor = excluded.cursor,
			run_id = excluded.run_id, state = excluded.state, next_run_at = excluded.next_run_at,
			last_error = excluded.last_error, updated_at = excluded.updated_at`,
		s.ConnectionID, s.WorkspaceID, optionalCheckpoint(s.Checkpoint), s.Cursor, s.RunID, s.State,
		optionalMillis(s.NextRunAt), s.LastError, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save sync state of CRM connection %s: %w", s.ConnectionID, err)
	}
	return nil
}

// optionalCheckpoint returns NULL for the zero time, which UnixMilli would
// otherwise store as a large negative number.
func optionalCheckpoint(t UnixMilli) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// CRMSyncRun is one run of a connection's contact sync and its counts.
type CRMSyncRun struct {
	ID           string `db:"id"`
	ConnectionID string `db:"connection_id"`
	WorkspaceID  string `db:"workspace_id"`
	// Mode names what the run read, such as "full" or "incremental".
	Mode string `db:"mode"`
	// State is CRMSyncRunning until FinishSyncRun stores CRMSyncSucceeded
	// or CRMSyncFailed.
	State      string     `db:"state"`
	StartedAt  UnixMilli  `db:"started_at"`
	FinishedAt *UnixMilli `db:"finished_at"`
	Created    int        `db:"created"`
	Updated    int        `db:"updated"`
	Deleted    int        `db:"deleted"`
	Failed     int        `db:"failed"`
	Error      string     `db:"error"`
}

const crmSyncRunColumns = `id, connection_id, workspace_id, mode, state, started_at, finished_at,
	created, updated, deleted, failed, error`

// InsertSyncRun inserts r as a running run, filling its id, state and,
// when zero, its start time.
func (q *Queries) InsertSyncRun(ctx context.Context, r *CRMSyncRun) error {
	r.ID = NewID(PrefixCRMSyncRun)
	r.State = CRMSyncRunning
	r.FinishedAt = nil
	if r.StartedAt.IsZero() {
		r.StartedAt = now()
	}

	_, err := q.exec(ctx, `INSERT INTO crm_sync_runs (`+crmSyncRunColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ConnectionID, r.WorkspaceID, r.Mode, r.State, r.StartedAt, nil,
		r.Created, r.Updated, r.Deleted, r.Failed, r.Error)
	if err != nil {
		return fmt.Errorf("insert sync run of CRM connection %s: %w", r.ConnectionID, err)
	}
	return nil
}

// SaveSyncRunProgress stores the counts and error of the running run r, so
// the API shows a run's progress before it ends.
func (q *Queries) SaveSyncRunProgress(ctx context.Context, r *CRMSyncRun) error {
	return q.execOne(ctx, "sync run "+r.ID,
		`UPDATE crm_sync_runs SET created = ?, updated = ?, deleted = ?, failed = ?, error = ? WHERE id = ?`,
		r.Created, r.Updated, r.Deleted, r.Failed, r.Error, r.ID)
}

// FinishSyncRun stores the counts, error and state of r, which must be
// CRMSyncSucceeded or CRMSyncFailed, and its finish time, now when nil.
func (q *Queries) FinishSyncRun(ctx context.Context, r *CRMSyncRun) error {
	if r.State != CRMSyncSucceeded && r.State != CRMSyncFailed {
		return fmt.Errorf("finish sync run %s: state is %q, it must be %q or %q", r.ID, r.State, CRMSyncSucceeded, CRMSyncFailed)
	}
	if r.FinishedAt == nil {
		at := now()
		r.FinishedAt = &at
	}
	return q.execOne(ctx, "sync run "+r.ID,
		`UPDATE crm_sync_runs SET state = ?, finished_at = ?, created = ?, updated = ?, deleted = ?, failed = ?, error = ?
		WHERE id = ?`,
		r.State, optionalMillis(r.FinishedAt), r.Created, r.Updated, r.Deleted, r.Failed, r.Error, r.ID)
}

// ReopenSyncRun sets the failed run r back to running, with no finish
// time and the error r holds, so an interrupted run resumes under its id.
func (q *Queries) ReopenSyncRun(ctx context.Context, r *CRMSyncRun) error {
	r.State, r.FinishedAt = CRMSyncRunning, nil
	return q.execOne(ctx, "failed sync run "+r.ID,
		`UPDATE crm_sync_runs SET state = ?, finished_at = NULL, error = ? WHERE id = ? AND state = ?`,
		r.State, r.Error, r.ID, CRMSyncFailed)
}

// GetSyncRun returns the run id of the CRM connection connectionID.
func (q *Queries) GetSyncRun(ctx context.Context, connectionID, id string) (CRMSyncRun, error) {
	var r CRMSyncRun
	err := q.get(ctx, &r, `SELECT `+crmSyncRunColumns+` FROM crm_sync_runs WHERE connection_id = ? AND id = ?`, connectionID, id)
	if err != nil {
		return CRMSyncRun{}, notFound(err, "sync run "+id)
	}
	return r, nil
}

// ListSyncRuns returns up to limit runs of the CRM connection
// connectionID, the latest first.
func (q *Queries) ListSyncRuns(ctx context.Context, connectionID string, limit int) ([]CRMSyncRun, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list sync runs: limit is %d, it must be at least 1", limit)
	}
	runs := []CRMSyncRun{}
	err := q.selectAll(ctx, &runs, `SELECT `+crmSyncRunColumns+` FROM crm_sync_runs
		WHERE connection_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`, connectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sync runs of CRM connection %s: %w", connectionID, err)
	}
	return runs, nil
}
