-- Responses remembered by Idempotency-Key (cloud-api.md §2.12).
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    seq BIGINT NOT NULL
);
