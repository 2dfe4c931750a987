-- Batch transform jobs: a data set scored by a registered version or a candidate. The
-- output lives under DATA_DIR/transforms/{name}/output.csv.
CREATE TABLE transform_jobs (
    name            TEXT PRIMARY KEY NOT NULL,
    group_name      TEXT,
    version         INTEGER,
    job_name        TEXT,
    candidate       TEXT,
    dataset_id      TEXT NOT NULL,
    join_input      INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,            -- InProgress | Completed | Failed
    rows_total      INTEGER,
    rows_done       INTEGER NOT NULL DEFAULT 0,
    failure_reason  TEXT,
    owner           INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    ended_at        TEXT
);
