//! What a tool call touches, as the permission engine and checkpoints see it.

use std::path::PathBuf;

/// Whether a path is only looked at or may be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The call reads the path (Read, Grep, Glob, LS).
    Read,
    /// The call may create, change or delete the path (Write, Edit).
    Write,
}

/// One thing a tool call touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolTarget {
    /// A file or directory, absolute and normalised.
    Path {
        /// The absolute path.
        path: PathBuf,
        /// Read or write.
        access: Access,
    },
    /// A shell command line, as the shell tool will run it.
    Command {
        /// The command text.
        command: String,
    },
    /// A URL the tool will fetch.
    Url {
        /// The URL text.
        url: String,
    },
}

impl ToolTarget {
    /// A path the call reads.
    pub fn read(path: impl Into<PathBuf>) -> Self {
        Self::Path {
            path: path.into(),
            access: Access::Read,
        }
    }

    /// A path the call may write.
    pub fn write(path: impl Into<PathBuf>) -> Self {
        Self::Path {
            path: path.into(),
            access: Access::Write,
        }
    }
}
