//! The Glob engine: files whose path matches a glob, newest first.
//!
//! Semantics (`reference/cli-core.md` §2.5):
//! - globset syntax with `**`, `*`, `?`, `[...]` and `{a,b}`; see
//!   [`GlobPattern`] for how a pattern with and without `/` matches;
//! - the query path defaults to the working directory; an absolute
//!   pattern's literal prefix is its search root;
//! - the ignore and hidden-file rules the Grep engine applies (rg's:
//!   `.gitignore` inside a git repository, `.ignore`, `.rgignore`,
//!   `.git/info/exclude`, the global git excludes; hidden entries skipped),
//!   so Grep and Glob of one tree see the same files; fd reads `.fdignore`
//!   instead of `.rgignore`, otherwise the rules are the same. Symlinks are
//!   not followed and only regular files are listed, like `fd --type f`;
//! - results sorted by modification time, newest first, ties by path
//!   (byte order); at most `limit` (default 100) with the total count and
//!   a `truncated` flag;
//! - [`SearchLimits`](crate::SearchLimits) (deadline, match budget,
//!   cancellation) return the files found so far, marked partial, as Grep
//!   does.
//!
//! [`glob`] walks the tree afresh, like one `fd` process;
//! [`SearchEngine::glob`](crate::SearchEngine::glob) answers from the
//! engine's remembered walk while it is current and keeps modification
//! times between calls while inotify reports no change, so repeated calls
//! in a session skip the directory reads and most stats.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use ferrule_search::glob::{GlobQuery, glob};
//! use ferrule_search::{SearchEngine, SearchLimits};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("src"))?;
//! for (name, age) in [("src/old.rs", 60), ("src/new.rs", 0), ("notes.md", 0)] {
//!     let file = std::fs::File::create(dir.path().join(name))?;
//!     file.set_modified(SystemTime::now() - Duration::from_secs(age))?;
//! }
//! let query = GlobQuery::new("**/*.rs").path(dir.path());
//! let out = glob(&query, &SearchLimits::none())?;
//! assert_eq!(out.files, [dir.path().join("src/new.rs"), dir.path().join("src/old.rs")]);
//! assert_eq!((out.total_matches, out.truncated), (2, false));
//!
//! // The same call on a long-lived engine, as a session's tools make it.
//! let engine = SearchEngine::default();
//! assert_eq!(engine.glob(&query, &SearchLimits::none())?.files, out.files);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dirwalk;
mod engine;
mod ignore_file;
mod mtime;
mod mtime_cache;
mod pattern;
mod query;
mod rules;
mod search;

pub use pattern::{GlobPattern, MatchTarget};
pub use query::{DEFAULT_LIMIT, GlobOutput, GlobQuery};
pub use search::glob;

pub(crate) use mtime_cache::{MtimeCache, Stale, Watcher};

use std::path::PathBuf;

/// Why a Glob call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GlobError {
    /// The pattern does not compile.
    #[error("invalid glob `{pattern}`: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The search root does not exist or is not a directory.
    #[error("cannot search `{}`: {reason}", root.display())]
    Root {
        /// The directory the pattern and path resolve to.
        root: PathBuf,
        /// Why it cannot be walked.
        reason: String,
    },
}
