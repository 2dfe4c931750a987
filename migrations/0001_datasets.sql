-- Uploaded data sets. The file and its profile live in the data folder under datasets/{id}/.
CREATE TABLE datasets (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,            -- the uploaded file's name, for display only
    stored_file     TEXT NOT NULL,            -- file name inside the data set's folder
    size_bytes      INTEGER NOT NULL,
    rows            INTEGER,
    columns         INTEGER,
    column_names    TEXT,                     -- JSON array, once the file has been read
    status          TEXT NOT NULL,            -- Profiling | Ready | Failed
    failure_reason  TEXT,
    target          TEXT,                     -- target column the profile was made for
    created_at      TEXT NOT NULL,            -- RFC 3339
    profiled_at     TEXT
);
CREATE INDEX datasets_created ON datasets (created_at);
