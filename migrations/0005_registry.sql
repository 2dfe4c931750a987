-- The model registry and real-time endpoints. A registered version's files are frozen
-- under DATA_DIR/registry/{group}/{version}/ and never change, even when its job is deleted.
CREATE TABLE model_package_groups (
    name         TEXT PRIMARY KEY NOT NULL,
    description  TEXT,
    owner        INTEGER REFERENCES users (id),
    created_at   TEXT NOT NULL
);

CREATE TABLE model_packages (
    group_name            TEXT NOT NULL REFERENCES model_package_groups (name),
    version               INTEGER NOT NULL,
    approval              TEXT NOT NULL CHECK (approval IN ('PendingManualApproval', 'Approved', 'Rejected')),
    approval_description  TEXT,
    approval_by           TEXT,               -- who last set the approval status
    approval_at           TEXT,
    job_name              TEXT NOT NULL,      -- lineage: where it came from (the job may be gone)
    candidate             TEXT NOT NULL,
    lineage               TEXT NOT NULL,      -- JSON: data set and its SHA-256, definition, seed, version
    metrics               TEXT NOT NULL,      -- JSON: the validation metrics
    test_report           TEXT,               -- JSON: quality.json on a labelled test data set
    registered_by         TEXT NOT NULL,
    owner                 INTEGER REFERENCES users (id),
    created_at            TEXT NOT NULL,
    PRIMARY KEY (group_name, version)
);

CREATE TABLE endpoints (
    name            TEXT PRIMARY KEY NOT NULL,
    group_name      TEXT,                     -- a registered version…
    version         INTEGER,
    job_name        TEXT,                     -- …or a candidate straight from its job
    candidate       TEXT,
    status          TEXT NOT NULL,            -- Creating | InService | Updating | Failed
    failure_reason  TEXT,
    owner           INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
