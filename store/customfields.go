package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// PrefixCustomField is the id prefix of custom contact fields.
const PrefixCustomField = "cf_"

// CustomField is a typed key of the extra_data of a workspace's contacts.
// The directory checks every contact write against the workspace's custom
// fields; the store only keeps them.
type CustomField struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	// Name is the extra_data key of the value. It never changes.
	Name string `db:"name"`
	// Type is the value type, such as "integer" or "enum". It never
	// changes.
	Type        string `db:"type"`
	Required    bool   `db:"required"`
	Description string `db:"description"`
	// AllowedValues lists the values of an enum field; empty for the other
	// types.
	AllowedValues JSONColumn[[]string] `db:"allowed_values"`
	CreatedAt     UnixMilli            `db:"created_at"`
	UpdatedAt     UnixMilli            `db:"updated_at"`
}

const customFieldColumns = `id, workspace_id, name, type, required, description, allowed_values, created_at, updated_at`

// CreateCustomField inserts f, filling its id and timestamps. A name the
// workspace already uses gives an error wrapping ErrConflict.
func (q *Queries) CreateCustomField(ctx context.Context, f *CustomField) error {
	f.ID = NewID(PrefixCustomField)
	f.CreatedAt = now()
	f.UpdatedAt = f.CreatedAt
	if f.AllowedValues.V == nil {
		f.AllowedValues.V = []string{}
	}

	_, err := q.exec(ctx, `INSERT INTO custom_fields (`+customFieldColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.WorkspaceID, f.Name, f.Type, f.Required, f.Description, f.AllowedValues, f.CreatedAt, f.UpdatedAt)
	if q.dialect.isUniqueViolation(err) {
		return fmt.Errorf("the workspace already has a custom field named %q: %w", f.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert custom field: %w", err)
	}
	return nil
}

// GetCustomField returns the custom field of workspaceID named name.
func (q *Queries) GetCustomField(ctx context.Context, workspaceID, name string) (CustomField, error) {
	var f CustomField
	err := q.get(ctx, &f, `SELECT `+customFieldColumns+` FROM custom_fields WHERE workspace_id = ? AND name = ?`,
		workspaceID, name)
	if err != nil {
		return CustomField{}, notFound(err, "custom field "+name)
	}
	return f, nil
}

// ListCustomFields returns the custom fields of workspaceID, oldest first.
// A workspace has a few dozen at most, so there is no paging.
func (q *Queries) ListCustomFields(ctx context.Context, workspaceID string) ([]CustomField, error) {
	fields := []CustomField{}
	err := q.selectAll(ctx, &fields, `SELECT `+customFieldColumns+` FROM custom_fields
		WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list custom fields: %w", err)
	}
	return fields, nil
}

// UpdateCustomField writes the required flag, description and allowed
// values of f and sets its updated_at. Name and type never change.
func (q *Queries) UpdateCustomField(ctx context.Context, f *CustomField) error {
	f.UpdatedAt = now()
	return q.execOne(ctx, "custom field "+f.Name, `UPDATE custom_fields SET required = ?, description = ?,
		allowed_values = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		f.Required, f.Description, f.AllowedValues, f.UpdatedAt, f.WorkspaceID, f.ID)
}

// DeleteCustomField deletes the custom field of workspaceID named name.
// The values stored under it stay in the contacts' extra_data.
func (q *Queries) DeleteCustomField(ctx context.Context, workspaceID, name string) error {
	return q.execOne(ctx, "custom field "+name, `DELETE FROM custom_fields WHERE workspace_id = ? AND name = ?`,
		workspaceID, name)
}

// ExtraDataPage is one page of ExtraDataOf: contact ids with their
// extra_data.
type ExtraDataPage struct {
	IDs       []string
	ExtraData []json.RawMessage
}

// ExtraDataOf returns the extra_data of up to limit contacts of
// workspaceID whose id sorts after afterID, in id order, so a caller can
// check every contact of a large workspace a page at a time.
func (q *Queries) ExtraDataOf(ctx context.Context, workspaceID, afterID string, limit int) (ExtraDataPage, error) {
	var rows []struct {
		ID        string `db:"id"`
		ExtraData string `db:"extra_data"`
	}
	err := q.selectAll(ctx, &rows, `SELECT id, extra_data FROM contacts
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, afterID, limit)
	if err != nil {
		return ExtraDataPage{}, fmt.Errorf("read extra_data of contacts: %w", err)
	}

	page := ExtraDataPage{IDs: make([]string, len(rows)), ExtraData: make([]json.RawMessage, len(rows))}
	for i, r := range rows {
		page.IDs[i], page.ExtraData[i] = r.ID, json.RawMessage(r.ExtraData)
	}
	return page, nil
}
