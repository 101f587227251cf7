-- Portable schema: only TEXT, BIGINT and INTEGER columns, so the same file
-- runs on SQLite and PostgreSQL.
CREATE TABLE objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    parent_id TEXT,
    status TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
CREATE INDEX objects_kind_seq ON objects (kind, seq);
CREATE INDEX objects_parent ON objects (parent_id);

CREATE TABLE agent_versions (
    agent_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (agent_id, version)
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX events_session_seq ON events (session_id, seq);

CREATE TABLE session_runtime (
    session_id TEXT PRIMARY KEY,
    history TEXT NOT NULL,
    live_turn TEXT
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE server_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
