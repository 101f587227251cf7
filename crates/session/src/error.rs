//! Errors of the session store, and the diagnostics of a tolerant load.

use std::fmt;
use std::path::PathBuf;

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// `--resume`/`--fork-session` named a session that does not exist.
    #[error("no session with id {id}: looked for {}", looked_for.display())]
    NotFound {
        /// The id asked for.
        id: String,
        /// The transcript file that would hold it.
        looked_for: PathBuf,
    },
    /// A session id that is not a UUID.
    #[error(
        "invalid session id {id:?}: session ids are UUIDs like 123e4567-e89b-42d3-a456-426614174000"
    )]
    InvalidId {
        /// The id given.
        id: String,
    },
    /// `--session-id` asked for an id whose transcript already exists.
    #[error("session {id} already exists at {}; use --resume to continue it", path.display())]
    AlreadyExists {
        /// The id given.
        id: String,
        /// Its transcript file.
        path: PathBuf,
    },
    /// Options that cannot go together.
    #[error("{0}")]
    Conflict(&'static str),
    /// `resume_session_at` names an entry the session does not have.
    #[error("session {session_id} has no entry {uuid} (in {})", path.display())]
    UnknownEntry {
        /// The session.
        session_id: String,
        /// The entry asked for.
        uuid: String,
        /// The transcript searched.
        path: PathBuf,
    },
    /// `resume_drops_turn` named another turn than the one the cut drops.
    #[error("resuming session {session_id} at that entry would drop turn {}, not {expected}", found.as_deref().unwrap_or("(none)"))]
    DropsOtherTurn {
        /// The session.
        session_id: String,
        /// The prompt the caller expected to drop.
        expected: String,
        /// The prompt the cut actually drops, if any.
        found: Option<String>,
    },
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "appending to" ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
    /// An entry could not be turned into JSON.
    #[error("encoding a transcript entry for {}: {source}", path.display())]
    Encode {
        /// The transcript file.
        path: PathBuf,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

impl SessionError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Something wrong with one line of a transcript that loading skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The transcript file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub kind: DiagnosticKind,
}

/// The kinds of [`Diagnostic`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The last line has no newline and does not parse: a write cut short
    /// by a crash. The line is skipped.
    TornLastLine {
        /// The parser's message.
        error: String,
    },
    /// A line that is not a JSON entry. The line is skipped.
    Malformed {
        /// The parser's message.
        error: String,
    },
    /// A `user`/`assistant` entry whose `message` does not parse; the entry
    /// keeps its place in the chain but adds no message.
    BadMessage {
        /// The parser's message.
        error: String,
    },
    /// An entry names a parent that is not in the file; the conversation
    /// starts at this entry.
    MissingParent {
        /// The parent id.
        parent: String,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path.display(), self.line)?;
        match &self.kind {
            DiagnosticKind::TornLastLine { error } => {
                write!(
                    f,
                    "incomplete last line skipped (interrupted write?): {error}"
                )
            }
            DiagnosticKind::Malformed { error } => write!(f, "malformed line skipped: {error}"),
            DiagnosticKind::BadMessage { error } => {
                write!(f, "message left out of the conversation: {error}")
            }
            DiagnosticKind::MissingParent { parent } => {
                write!(f, "parent entry {parent} not found; history starts here")
            }
        }
    }
}
