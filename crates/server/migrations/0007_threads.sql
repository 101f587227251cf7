-- Multiagent sessions (managed-agents.md, cloud-api.md §6.9): the child
-- threads a coordinator creates, their mailboxes, and the thread of each
-- event and pending action (NULL: the session's primary thread).
ALTER TABLE events ADD COLUMN thread_id TEXT;
ALTER TABLE pending_actions ADD COLUMN thread_id TEXT;

CREATE TABLE session_threads (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    history TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX session_threads_session ON session_threads (session_id, seq);

-- A message waits here until its thread is idle; `taken` while the turn
-- it started runs (a restart runs that turn again).
CREATE TABLE thread_messages (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX thread_messages_thread ON thread_messages (thread_id, state, seq);
