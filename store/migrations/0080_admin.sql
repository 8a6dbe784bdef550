-- The admin web UI: the sessions of signed-in admins, and the last webhooks
-- each telephony connection rejected for a bad signature, which the
-- connection's admin page shows. Timestamps are Unix milliseconds.

CREATE TABLE admin_sessions (
    -- The SHA-256 hash of the session cookie's value, hex-encoded; the
    -- value itself is never stored.
    token_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- A ring of the latest rejected webhooks per telephony connection: each
-- insert deletes the rows past the newest few. No raw body is kept,
-- because a forged request may carry anything.
CREATE TABLE webhook_rejections (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES telephony_connections (id) ON DELETE CASCADE,
    hook TEXT NOT NULL,
    reason TEXT NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL
);
CREATE INDEX webhook_rejections_connection ON webhook_rejections (connection_id, received_at, id);
