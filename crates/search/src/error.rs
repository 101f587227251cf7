//! Errors a search reports before it starts: bad patterns, bad filters,
//! a missing root.

use std::path::PathBuf;

/// Why a search could not run.
///
/// Every variant names the offending input so a model (or a user) can fix
/// it; problems with single files met during a search are not errors, they
/// are skipped and counted (see [`crate::SearchStats::files_skipped`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The regular expression does not parse or is too big.
    ///
    /// `message` is the regex engine's own explanation; for syntax errors it
    /// quotes the pattern and marks the position of the problem.
    #[error("invalid regex {pattern:?}: {message}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// What is wrong and where.
        message: String,
    },
    /// A glob filter does not parse.
    #[error("invalid glob {glob:?}: {message}")]
    Glob {
        /// The glob as given (with its `!` if it had one).
        glob: String,
        /// What is wrong.
        message: String,
    },
    /// The file type filter names no known type.
    #[error("unknown file type {name:?} (known types include: {examples})")]
    UnknownFileType {
        /// The type name as given.
        name: String,
        /// A few known type names, to help fix the input.
        examples: String,
    },
    /// The search root does not exist or cannot be inspected.
    #[error("search path {path:?} cannot be read: {source}")]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The search root is neither a file nor a directory (a socket, a
    /// device, ...).
    #[error("search path {path:?} is neither a file nor a directory")]
    RootKind {
        /// The root as given.
        path: PathBuf,
    },
}
