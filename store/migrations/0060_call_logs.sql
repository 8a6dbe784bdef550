-- Call logging to CRMs: one row per call and CRM connection that logs it,
-- and the notes an agent adds to a call. Timestamps are Unix milliseconds.

-- Free-text notes on a call, written through the API after or during the
-- call and copied into the CRM's call entry.
ALTER TABLE calls ADD COLUMN notes TEXT NOT NULL DEFAULT '';

-- revision counts the changes of the call that the CRM entry must show;
-- logged_revision is the revision the CRM entry shows. A row with
-- revision > logged_revision has work to do: a create while crm_id is
-- empty, an update afterwards.
CREATE TABLE call_logs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    call_id TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    -- "pending", "logged", "failed" or "skipped".
    status TEXT NOT NULL,
    -- The CRM's id of the call entry and its link, '' until created.
    crm_id TEXT NOT NULL DEFAULT '',
    crm_url TEXT NOT NULL DEFAULT '',
    -- The CRM records the call is logged on as a JSON array, [] for none;
    -- NULL until chosen. Kept, so a retry does not create a second
    -- contact for an unknown caller.
    crm_contact_ids TEXT,
    revision BIGINT NOT NULL DEFAULT 1,
    logged_revision BIGINT NOT NULL DEFAULT 0,
    -- Failed attempts since the last success or manual retry.
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    -- Set just before a create request is sent and cleared when its answer
    -- is stored: a row that has it and no crm_id may have an entry in the
    -- CRM already, so the next attempt searches the CRM before creating.
    create_sent_at BIGINT,
    -- The earliest time the next attempt may run.
    next_attempt_at BIGINT NOT NULL,
    logged_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX call_logs_call_connection ON call_logs (call_id, connection_id);
CREATE INDEX call_logs_workspace_status ON call_logs (workspace_id, status, created_at, id);
-- The rows a connection's drain job works, oldest first.
CREATE INDEX call_logs_due ON call_logs (connection_id, created_at, id)
    WHERE revision > logged_revision AND status IN ('pending', 'logged');

-- The lease of the drain job that writes a connection's call logs, so one
-- drains a connection at a time across every instance. holder is the
-- River job id; a lease past lease_until is free.
CREATE TABLE call_log_drains (
    connection_id TEXT PRIMARY KEY REFERENCES crm_connections (id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
