-- Custom contact fields: typed keys of a contact's extra_data that every
-- write of the workspace's contacts is checked against. Timestamps are Unix
-- milliseconds.

CREATE TABLE custom_fields (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The extra_data key the value is stored under; it never changes.
    name TEXT NOT NULL,
    -- string, number, integer, boolean, date, datetime, enum, email, phone
    -- or url; it never changes.
    type TEXT NOT NULL,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT NOT NULL DEFAULT '',
    -- A JSON array of the values an enum field accepts; [] for other types.
    allowed_values TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_workspace_name ON custom_fields (workspace_id, name);
