package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// PrefixTelephonyConnection starts the id of a telephony connection.
const PrefixTelephonyConnection = "tc_"

// Defaults of a telephony connection, applied by CreateTelephonyConnection
// to zero fields.
const (
	DefaultLookupOrder       = "phonebook"
	DefaultDeadlineMillis    = 1500
	DefaultCRMDeadlineMillis = 800
)

// TelephonyConnection is one account at a VoIP platform whose webhooks
// Switchboard responds to: its secrets, the phonebooks searched for callers
// and the routing rules of its incoming calls.
type TelephonyConnection struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	// Provider is a telephony.Provider value such as "twilio". It cannot
	// change after creation, because the webhook URLs contain it.
	Provider string `db:"provider"`
	Name     string `db:"name"`
	// Credentials is the telephony.Credentials JSON encrypted with the
	// keyring: ciphertext, never the secrets themselves.
	Credentials  string               `db:"credentials"`
	PhonebookIDs JSONColumn[[]string] `db:"phonebook_ids"`
	// RoutingRules is a JSON array of routing.Rule, [] when nil.
	RoutingRules json.RawMessage `db:"-"`
	// DefaultRoute is a telephony.Route as JSON, {} when nil.
	DefaultRoute json.RawMessage `db:"-"`
	// Options is a JSON object of provider options such as extension_as
	// and sip_domain, {} when nil.
	Options json.RawMessage `db:"-"`
	// LookupOrder names where callers are looked up; DefaultLookupOrder
	// when empty.
	LookupOrder string `db:"lookup_order"`
	// DeadlineMillis is the time budget of a routing decision in
	// milliseconds; DefaultDeadlineMillis when 0.
	DeadlineMillis int `db:"deadline_ms"`
	// CRMConnectionID names the CRM connection of the lookup orders that
	// read a CRM; empty for none.
	CRMConnectionID string `db:"crm_connection_id"`
	// CRMDeadlineMillis is the time budget of the CRM step in milliseconds,
	// inside DeadlineMillis; DefaultCRMDeadlineMillis when 0.
	CRMDeadlineMillis int `db:"crm_deadline_ms"`
	// RerouteLateCRMAnswers reroutes a live call when the CRM responds
	// after CRMDeadlineMillis with a contact that routes elsewhere.
	RerouteLateCRMAnswers bool      `db:"reroute_late_crm_answers"`
	Enabled               bool      `db:"enabled"`
	CreatedAt             UnixMilli `db:"created_at"`
	UpdatedAt             UnixMilli `db:"updated_at"`
}

const connectionColumns = `id, workspace_id, provider, name, credentials, phonebook_ids, routing_rules, default_route,
	lookup_order, deadline_ms, crm_connection_id, crm_deadline_ms, reroute_late_crm_answers, options, enabled,
	created_at, updated_at`

// connectionRow is a connection as its columns store it, with the JSON
// documents as text. lib/pq would send a []byte as bytea, so documents are
// always written and read as strings.
type connectionRow struct {
	TelephonyConnection
	RoutingRules string `db:"routing_rules"`
	DefaultRoute string `db:"default_route"`
	Options      string `db:"options"`
}

func (r connectionRow) connection() TelephonyConnection {
	c := r.TelephonyConnection
	c.RoutingRules = json.RawMessage(r.RoutingRules)
	c.DefaultRoute = json.RawMessage(r.DefaultRoute)
	c.Options = json.RawMessage(r.Options)
	return c
}

// encodeConnection fills the defaults of c in place and returns its JSON
// documents as compact text.
func encodeConnection(c *TelephonyConnection) (rules, route, options string, err error) {
	if c.LookupOrder == "" {
		c.LookupOrder = DefaultLookupOrder
	}
	if c.DeadlineMillis == 0 {
		c.DeadlineMillis = DefaultDeadlineMillis
	}
	if c.CRMDeadlineMillis == 0 {
		c.CRMDeadlineMillis = DefaultCRMDeadlineMillis
	}
	if c.PhonebookIDs.V == nil {
		c.PhonebookIDs.V = []string{}
	}

	if rules, err = compactJSON(c.RoutingRules, "[]", "routing_rules"); err != nil {
		return "", "", "", err
	}
	if route, err = compactJSON(c.DefaultRoute, "{}", "default_route"); err != nil {
		return "", "", "", err
	}
	if options, err = compactJSON(c.Options, "{}", "options"); err != nil {
		return "", "", "", err
	}
	c.RoutingRules, c.DefaultRoute, c.Options = json.RawMessage(rules), json.RawMessage(route), json.RawMessage(options)
	return rules, route, options, nil
}

// compactJSON returns raw as compact JSON text, or empty when raw is empty
// or null. field names the document in the error for invalid JSON.
func compactJSON(raw json.RawMessage, empty, field string) (string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return empty, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return "", fmt.Errorf("%s is not valid JSON: %w", field, err)
	}
	return buf.String(), nil
}

// CreateTelephonyConnection inserts c, filling its id, timestamps and the
// defaults of zero fields.
func (q *Queries) CreateTelephonyConnection(ctx context.Context, c *TelephonyConnection) error {
	rules, route, options, err := encodeConnection(c)
	if err != nil {
		return err
	}
	c.ID = NewID(PrefixTelephonyConnection)
	c.CreatedAt = now()
	c.UpdatedAt = c.CreatedAt

	_, err = q.exec(ctx, `INSERT INTO telephony_connections (`+connectionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.Provider, c.Name, c.Credentials, c.PhonebookIDs, rules, route,
		c.LookupOrder, c.DeadlineMillis, c.CRMConnectionID, c.CRMDeadlineMillis, c.RerouteLateCRMAnswers,
		options, c.Enabled, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert telephony connection: %w", err)
	}
	return nil
}

// GetTelephonyConnection returns the connection id of workspaceID.
func (q *Queries) GetTelephonyConnection(ctx context.Context, workspaceID, id string) (TelephonyConnection, error) {
	return q.getConnection(ctx, id,
		`SELECT `+connectionColumns+` FROM telephony_connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetTelephonyConnectionByID returns the connection id of any workspace.
// It is for webhooks, whose URL names the connection but no workspace;
// every API call must use GetTelephonyConnection.
func (q *Queries) GetTelephonyConnectionByID(ctx context.Context, id string) (TelephonyConnection, error) {
	return q.getConnection(ctx, id, `SELECT `+connectionColumns+` FROM telephony_connections WHERE id = ?`, id)
}

func (q *Queries) getConnection(ctx context.Context, id, query string, args ...any) (TelephonyConnection, error) {
	var row connectionRow
	if err := q.get(ctx, &row, query, args...); err != nil {
		return TelephonyConnection{}, notFound(err, "telephony connection "+id)
	}
	return row.connection(), nil
}

// ListTelephonyConnections returns every connection of workspaceID, oldest
// first. A workspace has a handful, so the list has no pages.
func (q *Queries) ListTelephonyConnections(ctx context.Context, workspaceID string) ([]TelephonyConnection, error) {
	var rows []connectionRow
	err := q.selectAll(ctx, &rows, `SELECT `+connectionColumns+` FROM telephony_connections
		WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list telephony connections: %w", err)
	}
	out := make([]TelephonyConnection, len(rows))
	for i, r := range rows {
		out[i] = r.connection()
	}
	return out, nil
}

// UpdateTelephonyConnection stores every field of c but its id, workspace,
// provider and created_at, and fills its timestamps. updated_at moves
// forward by at least 1 ms on every call, so a cache keyed by id and
// updated_at never serves an old version.
func (q *Queries) UpdateTelephonyConnection(ctx context.Context, c *TelephonyConnection) error {
	rules, route, options, err := encodeConnection(c)
	if err != nil {
		return err
	}
	at := now()

	var stamps struct {
		CreatedAt UnixMilli `db:"created_at"`
		UpdatedAt UnixMilli `db:"updated_at"`
	}
	err = q.get(ctx, &stamps, `UPDATE telephony_connections SET name = ?, credentials = ?, phonebook_ids = ?,
		routing_rules = ?, default_route = ?, lookup_order = ?, deadline_ms = ?, crm_connection_id = ?,
		crm_deadline_ms = ?, reroute_late_crm_answers = ?, options = ?, enabled = ?,
		updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END
		WHERE workspace_id = ? AND id = ? RETURNING created_at, updated_at`,
		c.Name, c.Credentials, c.PhonebookIDs, rules, route, c.LookupOrder, c.DeadlineMillis, c.CRMConnectionID,
		c.CRMDeadlineMillis, c.RerouteLateCRMAnswers, options, c.Enabled, at, at, c.WorkspaceID, c.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("telephony connection %s: %w", c.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update telephony connection %s: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = stamps.CreatedAt, stamps.UpdatedAt
	return nil
}

// DeleteTelephonyConnection deletes the connection id of workspaceID. Its
// calls stay, with their connection_id pointing at no connection.
func (q *Queries) DeleteTelephonyConnection(ctx context.Context, workspaceID, id string) error {
	res, err := q.exec(ctx, `DELETE FROM telephony_connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return fmt.Errorf("delete telephony connection %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFoundOr(err, "telephony connection "+id)
	}
	return nil
}

// ListRecentTelephonyConnectionIDs returns the ids of up to limit enabled
// connections of every workspace, most recently updated first. It is for
// warming caches at start, never for the API.
func (q *Queries) ListRecentTelephonyConnectionIDs(ctx context.Context, limit int) ([]string, error) {
	ids := []string{}
	err := q.selectAll(ctx, &ids, `SELECT id FROM telephony_connections
		WHERE enabled = ? ORDER BY updated_at DESC, id LIMIT ?`, true, limit)
	if err != nil {
		return nil, fmt.Errorf("list telephony connection ids: %w", err)
	}
	return ids, nil
}
