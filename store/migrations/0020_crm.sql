-- CRM connections, the state of their contact sync and its history. JSON
-- documents are TEXT written by the application.

CREATE TABLE crm_connections (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The CRM's API base URL; empty uses the connector's default.
    base_url TEXT NOT NULL DEFAULT '',
    -- The token, or the OAuth client and its tokens, as JSON encrypted with
    -- the master key.
    credentials TEXT NOT NULL DEFAULT '',
    -- Settings of the kind, such as portal_id or instance_url.
    settings TEXT NOT NULL DEFAULT '{}',
    -- The phonebook the sync writes into, created on the first sync.
    phonebook_id TEXT REFERENCES phonebooks (id) ON DELETE SET NULL,
    -- The field mapping; NULL uses the kind's default mapping.
    mapping TEXT,
    sync_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    sync_interval_seconds BIGINT NOT NULL DEFAULT 300,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX crm_connections_workspace ON crm_connections (workspace_id, created_at, id);

-- Where the contact sync of a connection stands. checkpoint is the change
-- time (Unix ms) up to which every record was read, NULL before the first
-- complete run; cursor is the page the run in progress reached.
CREATE TABLE crm_sync_state (
    connection_id TEXT PRIMARY KEY REFERENCES crm_connections (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    checkpoint BIGINT,
    cursor TEXT NOT NULL DEFAULT '',
    run_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'idle',
    next_run_at BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
CREATE INDEX crm_sync_state_next_run ON crm_sync_state (next_run_at);

-- One row per sync run, for the history the API shows.
CREATE TABLE crm_sync_runs (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX crm_sync_runs_connection ON crm_sync_runs (connection_id, started_at, id);
