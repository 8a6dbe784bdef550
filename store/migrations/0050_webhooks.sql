-- Webhook subscriptions of integration platforms, the events recorded for
-- them and every delivery attempt. Timestamps are Unix milliseconds.

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- A JSON array of event types and family patterns such as "contact.*".
    event_types TEXT NOT NULL DEFAULT '[]',
    -- The signing secret (whsec_ and base64), encrypted with the master key.
    secret TEXT NOT NULL,
    -- The secret before the last rotation, encrypted, and the time until
    -- which deliveries are also signed with it; '' and NULL when none.
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_secret_expires_at BIGINT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT NOT NULL DEFAULT '',
    disabled_at BIGINT,
    -- The first failed attempt since the last successful one, NULL while
    -- the endpoint succeeds, and the number of failed attempts since then.
    failing_since BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_workspace ON webhook_subscriptions (workspace_id, created_at, id);

-- One row per event recorded for at least one subscription. payload is the
-- request body, sent byte for byte on every attempt.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_events_workspace_created ON webhook_events (workspace_id, created_at, id);

-- One row per event and subscription. round grows with each manual
-- redelivery, so the queued job of an earlier round knows to stop.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    -- "pending", "succeeded" or "failed".
    state TEXT NOT NULL,
    round BIGINT NOT NULL DEFAULT 1,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status_code BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_subscription_event ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_subscription_created ON webhook_deliveries (subscription_id, created_at, id);

-- Every request sent for a delivery. status_code is NULL when no response
-- arrived.
CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code BIGINT,
    latency_ms BIGINT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
