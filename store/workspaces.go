package store

import (
	"context"
	"fmt"
	"time"
)

// Workspace is a tenant. Every other object belongs to exactly one.
type Workspace struct {
	ID   string `db:"id"`
	Name string `db:"name"`
	// DefaultRegion is the ISO 3166-1 alpha-2 region used to read numbers
	// written without a country code; empty means such numbers are invalid.
	DefaultRegion string `db:"default_region"`
	// TimeZone is an IANA zone name used for time-of-day routing and call
	// log times shown to people.
	TimeZone string `db:"time_zone"`
	// ScreenPopFields lists the contact extra_data keys that screen pops
	// show; empty shows every key whose value is short.
	ScreenPopFields JSONColumn[[]string] `db:"screen_pop_fields"`
	CreatedAt       UnixMilli            `db:"created_at"`
	UpdatedAt       UnixMilli            `db:"updated_at"`
}

const workspaceColumns = `id, name, default_region, time_zone, screen_pop_fields, created_at, updated_at`

// CreateWorkspace inserts w, filling its id and timestamps.
func (q *Queries) CreateWorkspace(ctx context.Context, w *Workspace) error {
	w.ID = NewID(PrefixWorkspace)
	w.CreatedAt = now()
	w.UpdatedAt = w.CreatedAt
	if w.TimeZone == "" {
		w.TimeZone = "UTC"
	}

	_, err := q.exec(ctx, `INSERT INTO workspaces (`+workspaceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.Name, w.DefaultRegion, w.TimeZone, w.ScreenPopFields, w.CreatedAt, w.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert workspace: %w", err)
	}
	return nil
}

// GetWorkspace returns the workspace with id.
func (q *Queries) GetWorkspace(ctx context.Context, id string) (Workspace, error) {
	var w Workspace
	err := q.get(ctx, &w, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id)
	if err != nil {
		return Workspace{}, notFound(err, "workspace")
	}
	return w, nil
}

// UpdateWorkspace stores w's name, default region, time zone and screen
// pop fields.
func (q *Queries) UpdateWorkspace(ctx context.Context, w *Workspace) error {
	// Readers cache by updated_at, so every update moves it forward, even
	// within the millisecond of the previous one.
	next := now()
	if !next.After(w.UpdatedAt.Time) {
		next = Millis(w.UpdatedAt.Add(time.Millisecond))
	}
	w.UpdatedAt = next
	return q.execOne(ctx, "workspace",
		`UPDATE workspaces SET name = ?, default_region = ?, time_zone = ?, screen_pop_fields = ?, updated_at = ? WHERE id = ?`,
		w.Name, w.DefaultRegion, w.TimeZone, w.ScreenPopFields, w.UpdatedAt, w.ID)
}

// ListWorkspaces returns every workspace, oldest first. It is for the CLI;
// the API never lists across workspaces.
func (q *Queries) ListWorkspaces(ctx context.Context) ([]Workspace, error) {
	var ws []Workspace
	if err := q.selectAll(ctx, &ws, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return ws, nil
}

// CountWorkspaces returns how many workspaces exist.
func (q *Queries) CountWorkspaces(ctx context.Context) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT COUNT(*) FROM workspaces`); err != nil {
		return 0, fmt.Errorf("count workspaces: %w", err)
	}
	return n, nil
}
