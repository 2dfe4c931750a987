-- Data capture on endpoints: the share of requests whose rows and predictions are kept
-- (DATA_DIR/endpoints/{name}/capture.jsonl), up to a size, for drift reports.
ALTER TABLE endpoints ADD COLUMN capture_percent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN capture_max_bytes INTEGER NOT NULL DEFAULT 104857600;
