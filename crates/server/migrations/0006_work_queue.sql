-- The work queue (cloud-api.md §14): every session turn is a work item. The
-- claim columns (state, delivery, lease, secret) let several server
-- processes and external workers share one queue.
CREATE TABLE work_items (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    builtin INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    delivered_us BIGINT,
    lease_until_us BIGINT,
    worker TEXT,
    secret TEXT,
    body TEXT NOT NULL
);
CREATE INDEX work_items_claim ON work_items (builtin, environment_id, state, seq);
CREATE INDEX work_items_session ON work_items (session_id);

-- Actions a turn waits on (requires_action). The client's answer lands in
-- `resolution`, where the turn's runner picks it up wherever it runs.
CREATE TABLE pending_actions (
    session_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    resolution TEXT,
    PRIMARY KEY (session_id, event_id)
);

-- Set by cancel / user.interrupt; the runner of the live turn watches it.
ALTER TABLE session_runtime ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
