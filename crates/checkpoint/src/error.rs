//! Errors of the checkpoint store and of rewinds.

use std::io;
use std::path::PathBuf;

use crate::hash::ContentHash;

/// A failure to open the store or to record a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What the store was doing ("read", "write", "create directory" ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A line of the index file is not a valid record.
    #[error("{path}:{line}: invalid checkpoint record: {message}")]
    BadIndex {
        /// The index file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A path given to the store is relative or not valid UTF-8.
    #[error("checkpoint path {path} must be absolute and valid UTF-8")]
    BadPath {
        /// The offending path.
        path: PathBuf,
    },
    /// A stored blob is missing or its content does not match its hash.
    #[error("snapshot {hash} is unreadable: {reason}")]
    BadBlob {
        /// The blob's hash.
        hash: ContentHash,
        /// Why it cannot be used.
        reason: String,
    },
    /// A workspace manifest blob is not valid JSON of the expected shape.
    #[error("workspace manifest {hash} is invalid: {message}")]
    BadManifest {
        /// The manifest's hash.
        hash: ContentHash,
        /// The parse error.
        message: String,
    },
    /// A walk of the workspace failed.
    #[error("walking workspace {root}: {message}")]
    Walk {
        /// The workspace root.
        root: PathBuf,
        /// The walker's error.
        message: String,
    },
}

impl CheckpointError {
    /// Builds an [`CheckpointError::Io`].
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Why a rewind cannot run (or failed while running).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RewindError {
    /// No checkpoint was recorded for this user message id.
    #[error("no snapshot found for message {0}")]
    UnknownMessage(String),
    /// Files changed outside the agent since the checkpoint; `force` overrides.
    #[error(
        "files changed outside the agent since the checkpoint (rewind with force to overwrite them): {}",
        .0.join(", ")
    )]
    ChangedOutside(Vec<String>),
    /// A snapshot, manifest or file could not be read or written.
    #[error(transparent)]
    Store(#[from] CheckpointError),
}
