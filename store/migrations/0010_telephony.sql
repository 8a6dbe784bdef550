-- Telephony connections, the calls they report and every accepted webhook
-- event of a call. JSON documents are TEXT written by the application.

CREATE TABLE telephony_connections (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The provider secrets as JSON, encrypted with the master key.
    credentials TEXT NOT NULL DEFAULT '',
    phonebook_ids TEXT NOT NULL DEFAULT '[]',
    routing_rules TEXT NOT NULL DEFAULT '[]',
    default_route TEXT NOT NULL DEFAULT '{}',
    lookup_order TEXT NOT NULL DEFAULT 'phonebook',
    deadline_ms BIGINT NOT NULL DEFAULT 1500,
    -- Provider options such as extension_as and sip_domain.
    options TEXT NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX telephony_connections_workspace ON telephony_connections (workspace_id, created_at, id);

-- One row per call, built from all its events. connection_id, contact_id
-- and phonebook_id have no foreign keys on purpose: the call history stays
-- when a connection, contact or phonebook is deleted.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_call_id TEXT NOT NULL,
    direction TEXT NOT NULL DEFAULT '',
    from_raw TEXT NOT NULL DEFAULT '',
    from_e164 TEXT NOT NULL DEFAULT '',
    to_raw TEXT NOT NULL DEFAULT '',
    to_e164 TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT,
    duration_seconds BIGINT NOT NULL DEFAULT 0,
    recording_url TEXT NOT NULL DEFAULT '',
    contact_id TEXT,
    phonebook_id TEXT,
    matched_contact_ids TEXT NOT NULL DEFAULT '[]',
    -- The routing decision as JSON, NULL when the call was never routed.
    routing TEXT,
    last_event_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calls_connection_provider_call ON calls (connection_id, provider_call_id);
CREATE INDEX calls_workspace_created ON calls (workspace_id, created_at, id);
CREATE INDEX calls_workspace_updated ON calls (workspace_id, updated_at, id);
CREATE INDEX calls_workspace_ended ON calls (workspace_id, ended_at, id);

-- Every accepted webhook event of a call, raw and normalised. dedupe_key
-- is the provider's event id or a hash of the request, so a retried
-- delivery is stored once.
CREATE TABLE call_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    call_id TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    dedupe_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    hook TEXT NOT NULL DEFAULT '',
    raw_body TEXT NOT NULL DEFAULT '',
    raw_query TEXT NOT NULL DEFAULT '',
    normalized TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX call_events_call_dedupe ON call_events (call_id, dedupe_key);
CREATE INDEX call_events_call_occurred ON call_events (call_id, occurred_at, id);
