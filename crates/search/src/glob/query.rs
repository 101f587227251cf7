//! What a Glob call asks for and what it returns.

use std::path::PathBuf;

use crate::{CaseMode, PartialReason};

/// The number of paths a Glob call returns unless told otherwise
/// (`reference/cli-core.md` §2.5: ferrule returns at most 100).
pub const DEFAULT_LIMIT: usize = 100;

/// One Glob call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobQuery {
    /// The glob, e.g. `**/*.rs` or `/abs/src/*.{ts,tsx}`.
    pub pattern: String,
    /// The directory the pattern is relative to; `None` means the process
    /// working directory. Ignored for an absolute pattern.
    pub path: Option<PathBuf>,
    /// Whether letters must match in case.
    pub case: CaseMode,
    /// At most this many paths are returned (newest first); `None` returns
    /// all of them.
    pub limit: Option<usize>,
}

impl GlobQuery {
    /// A query for `pattern` with the defaults: the working directory,
    /// case-sensitive, 100 results.
    pub fn new(pattern: impl Into<String>) -> Self {
        Self {
            pattern: pattern.into(),
            path: None,
            case: CaseMode::Sensitive,
            limit: Some(DEFAULT_LIMIT),
        }
    }

    /// Searches below `path` instead of the working directory.
    #[must_use]
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the case mode.
    #[must_use]
    pub fn case(mut self, case: CaseMode) -> Self {
        self.case = case;
        self
    }

    /// Sets the result limit (`None`: unlimited).
    #[must_use]
    pub fn limit(mut self, limit: Option<usize>) -> Self {
        self.limit = limit;
        self
    }
}

/// The answer to a [`GlobQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlobOutput {
    /// Matching files, newest modification time first, ties by path bytes.
    /// Each is the search root joined with the path below it.
    pub files: Vec<PathBuf>,
    /// How many files matched in all (at least `files.len()`).
    pub total_matches: usize,
    /// True when `files` was cut to the limit.
    pub truncated: bool,
    /// Set when the walk stopped early; `files` and `total_matches` then
    /// cover only what was seen.
    pub partial: Option<PartialReason>,
    /// True when [`crate::SearchEngine::glob`] served the file list from
    /// its remembered walk (no directory was read).
    pub walk_reused: bool,
}
