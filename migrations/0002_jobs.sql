-- AutoML jobs and their candidates. Candidate artifacts live in the data folder under
-- jobs/{name}/candidates/{candidate}/.
CREATE TABLE jobs (
    name              TEXT PRIMARY KEY NOT NULL,
    dataset_id        TEXT NOT NULL,
    request           TEXT NOT NULL,            -- the CreateAutoMLJob body, as JSON
    spec              TEXT NOT NULL,            -- the engine's JobSpec, as JSON
    resolved          TEXT,                     -- ResolvedAttributes, once the data is analysed
    status            TEXT NOT NULL,            -- InProgress | Completed | Failed | Stopping | Stopped
    secondary_status  TEXT NOT NULL,
    progress          REAL NOT NULL DEFAULT 0,
    failure_reason    TEXT,
    best_candidate    TEXT,
    stop_requested    INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    ended_at          TEXT
);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_dataset ON jobs (dataset_id);

CREATE TABLE candidates (
    job_name    TEXT NOT NULL REFERENCES jobs (name) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    objective   REAL,
    result      TEXT NOT NULL,                  -- the AutoMLCandidate, as JSON
    created_at  TEXT NOT NULL,
    PRIMARY KEY (job_name, name)
);
