-- Team mode: accounts, sessions, access keys, share links and the audit log. A data folder
-- without an account is in local mode (everything open, on a loopback address only).
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    password_hash  TEXT NOT NULL,             -- argon2id, as a PHC string
    created_at     TEXT NOT NULL,
    removed_at     TEXT                       -- a removed account keeps its row: "created by" stays true
);
CREATE UNIQUE INDEX users_name ON users (name) WHERE removed_at IS NULL;

-- The cookie's value is never stored, only its SHA-256.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The secret of a key is derived from the server's key file (auth/secrets.rs) and never
-- stored: SigV4 needs the secret itself, so a hash would not do.
CREATE TABLE access_keys (
    id            TEXT PRIMARY KEY NOT NULL,  -- AccessKeyId
    user_id       INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX access_keys_user ON access_keys (user_id);

-- Read-only links to one job. The URL's token is never stored, only its SHA-256.
CREATE TABLE shares (
    id              TEXT PRIMARY KEY NOT NULL,  -- ShareId: names the link in lists, opens nothing
    token_hash      TEXT NOT NULL UNIQUE,
    job_name        TEXT NOT NULL REFERENCES jobs (name) ON DELETE CASCADE,
    include_data    INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    revoked_at      TEXT,
    last_access_at  TEXT
);
CREATE INDEX shares_job ON shares (job_name);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,   -- a user's name, "local" (local mode) or "cli"
    action  TEXT NOT NULL,   -- created | deleted | shared | revoked | …
    object  TEXT NOT NULL,   -- what it was done to: "job churn-1", "user alice", …
    detail  TEXT
);
CREATE INDEX audit_at ON audit_log (at);

-- Who created a data set or a job (NULL: created in local mode, until the first account
-- takes them over).
ALTER TABLE datasets ADD COLUMN owner INTEGER REFERENCES users (id);
ALTER TABLE jobs ADD COLUMN owner INTEGER REFERENCES users (id);
