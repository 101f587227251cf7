//! The Glob engine: files whose path matches a glob, newest first.
//!
//! Semantics (`reference/cli-core.md` §2.5):
//! - globset syntax with `**`, `*`, `?`, `[...]` and `{a,b}`; see
//!   [`GlobPattern`] for how a pattern with and without `/` matches;
//! - the query path defaults to the working directory; an absolute
//!   pattern's literal prefix is its search root;
//! - the ignore and hidden-file rules of rg and fd (`.gitignore` inside a
//!   git repository, `.ignore`, `.git/info/exclude`, the global git
//!   excludes; hidden entries skipped); symlinks are not followed and only
//!   regular files are listed, like `fd --type f`;
//! - results sorted by modification time, newest first, ties by path (byte order); at
//!   most `limit` (default 100) with the total count and a `truncated` flag;
//! - [`SearchLimits`](crate::SearchLimits) (deadline, match budget,
//!   cancellation) return the files found so far, marked partial, as Grep
//!   does.
//!
//! [`glob`] walks the tree afresh, like one `fd` process;
//! [`SearchEngine::glob`](crate::SearchEngine::glob) answers from the
//! engine's remembered walk while it is current, so repeated calls in a
//! session skip the directory reads.
//!
//! ```no_run
//! use ferrule_search::SearchLimits;
//! use ferrule_search::glob::{GlobQuery, glob};
//!
//! let out = glob(&GlobQuery::new("**/*.rs").path("/work/project"), &SearchLimits::none())?;
//! for file in &out.files {
//!     println!("{}", file.display());
//! }
//! # Ok::<(), ferrule_search::glob::GlobError>(())
//! ```

mod engine;
mod mtime;
mod mtime_cache;
mod pattern;
mod query;
mod search;

pub use pattern::{GlobPattern, MatchTarget};
pub use query::{DEFAULT_LIMIT, GlobOutput, GlobQuery};
pub use search::glob;

pub(crate) use mtime_cache::MtimeCache;

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
