-- When each deployment fires next and last fired (microseconds). The
-- scheduler claims a due run by moving next_run_at with a conditional
-- UPDATE, so of several replicas exactly one fires it (cloud-api.md §12).
CREATE TABLE deployment_schedules (
    deployment_id TEXT PRIMARY KEY,
    next_run_at BIGINT,
    last_run_at BIGINT
);
CREATE INDEX deployment_schedules_next ON deployment_schedules (next_run_at);
