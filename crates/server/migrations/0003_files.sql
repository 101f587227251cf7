-- File contents (base64), kept in the database so every replica serves them.
CREATE TABLE file_contents (
    file_id TEXT PRIMARY KEY,
    content TEXT NOT NULL
);
