-- What the SageMaker protocol deploys through: a named model (what to serve: a registered
-- version or a candidate) and an endpoint configuration (which model, and its data
-- capture). An endpoint made from a configuration remembers its name. Tags on any ARN.
CREATE TABLE deploy_models (
    name        TEXT PRIMARY KEY NOT NULL,
    group_name  TEXT,                     -- a registered version…
    version     INTEGER,
    job_name    TEXT,                     -- …or a candidate straight from its job
    candidate   TEXT,
    containers  TEXT NOT NULL,            -- JSON: the containers as given
    owner       INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL
);

CREATE TABLE endpoint_configs (
    name               TEXT PRIMARY KEY NOT NULL,
    model_name         TEXT NOT NULL,
    variants           TEXT NOT NULL,     -- JSON: the production variants as given
    capture_percent    INTEGER NOT NULL DEFAULT 0,
    capture            TEXT,              -- JSON: the data capture configuration as given
    owner              INTEGER REFERENCES users (id),
    created_at         TEXT NOT NULL
);

ALTER TABLE endpoints ADD COLUMN config_name TEXT;

-- A transform job started with URIs: the request as given, and where its output goes.
ALTER TABLE transform_jobs ADD COLUMN request TEXT;
ALTER TABLE transform_jobs ADD COLUMN output_uri TEXT;

CREATE TABLE tags (
    resource_arn  TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

-- A version's ModelMetrics as the SageMaker protocol registered them (JSON, as given).
ALTER TABLE model_packages ADD COLUMN model_metrics TEXT;

-- Scheduled drift reports: an endpoint's drift computed every N seconds, the reports kept
-- (the newest 100 per endpoint).
ALTER TABLE endpoints ADD COLUMN drift_every_seconds INTEGER;
CREATE TABLE drift_reports (
    endpoint    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    severity    TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    report      TEXT NOT NULL             -- JSON: the DriftReport
);
CREATE INDEX drift_reports_by_endpoint ON drift_reports (endpoint, created_at);
