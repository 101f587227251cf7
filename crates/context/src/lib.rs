//! Token counting and context compaction.
