-- People who sign in: admins and the agents who take calls, with the
-- extensions, client identities and queues that routing answers ring. The
-- workspace gains the list of extra_data keys its screen pops show.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Lowercased by the application and unique across every workspace, so
    -- signing in needs only the email and the password.
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- "admin" or "agent".
    role TEXT NOT NULL,
    -- An argon2id hash in PHC string format; never the password itself.
    password_hash TEXT NOT NULL,
    -- JSON arrays of strings.
    extensions TEXT NOT NULL DEFAULT '[]',
    client_identities TEXT NOT NULL DEFAULT '[]',
    queues TEXT NOT NULL DEFAULT '[]',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_workspace_created ON users (workspace_id, created_at, id);

-- A JSON array of extra_data keys; [] shows every key whose value is short.
ALTER TABLE workspaces ADD COLUMN screen_pop_fields TEXT NOT NULL DEFAULT '[]';
