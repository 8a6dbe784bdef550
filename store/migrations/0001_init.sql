-- Workspaces, API keys and the contact directory. Timestamps are Unix
-- milliseconds in BIGINT columns so both databases store and compare them
-- alike; JSON documents are TEXT written and read by the application.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    default_region TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

CREATE TABLE phonebooks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX phonebooks_workspace_created ON phonebooks (workspace_id, created_at, id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    phonebook_id TEXT NOT NULL REFERENCES phonebooks (id) ON DELETE CASCADE,
    external_id TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    emails TEXT NOT NULL DEFAULT '[]',
    phone_numbers TEXT NOT NULL DEFAULT '[]',
    extra_data TEXT NOT NULL DEFAULT '{}',
    -- Lowercased names, company, emails and numbers for the q search.
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_phonebook_external_id ON contacts (phonebook_id, external_id);
CREATE INDEX contacts_workspace_created ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_workspace_updated ON contacts (workspace_id, updated_at, id);
CREATE INDEX contacts_phonebook_created ON contacts (phonebook_id, created_at, id);
CREATE INDEX contacts_phonebook_updated ON contacts (phonebook_id, updated_at, id);

-- One row per E.164 number of a contact: the phone lookup index.
CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    phonebook_id TEXT NOT NULL,
    e164 TEXT NOT NULL,
    PRIMARY KEY (contact_id, e164)
);
CREATE INDEX contact_phones_lookup ON contact_phones (workspace_id, e164);

-- One row per lowercased email of a contact: the email lookup index.
CREATE TABLE contact_emails (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    phonebook_id TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (contact_id, email)
);
CREATE INDEX contact_emails_lookup ON contact_emails (workspace_id, email);

-- Deleted contacts, so sync clients can delete their copies.
CREATE TABLE contact_tombstones (
    contact_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    phonebook_id TEXT NOT NULL,
    external_id TEXT,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX contact_tombstones_workspace ON contact_tombstones (workspace_id, deleted_at, contact_id);
