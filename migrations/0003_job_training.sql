-- What a running job is training right now (a candidate, or a screening trial on part of the
-- rows), as JSON: {"name","algorithm","pipeline","fraction","started_at"}. NULL between
-- candidates and once the job has ended.
ALTER TABLE jobs ADD COLUMN training TEXT;
