-- Pipeline executions: Train (an AutoML job) → Evaluate (its best candidate on a test data
-- set) → Register (a PendingManualApproval version, when the test objective passes).
CREATE TABLE pipeline_executions (
    name        TEXT PRIMARY KEY NOT NULL,
    request     TEXT NOT NULL,              -- the request, as JSON
    status      TEXT NOT NULL,              -- Executing | Succeeded | Failed
    steps       TEXT NOT NULL,              -- JSON: [{StepName, StepStatus, StartTime, EndTime, FailureReason, Metadata}]
    failure_reason TEXT,
    owner       INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL,
    ended_at    TEXT
);
