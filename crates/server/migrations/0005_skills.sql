-- Skill version archives (base64 zip), kept in the database so every
-- replica serves and materializes them. The version rows themselves live
-- in `objects` (kind `skill_version`, parent_id = the skill).
CREATE TABLE skill_contents (
    version_id TEXT PRIMARY KEY,
    content TEXT NOT NULL
);
