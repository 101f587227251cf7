//! Session transcripts: JSON Lines files written as a session goes, and
//! everything that reads them back — resume, continue, fork, listing.
//!
//! The layout is the Qoder CLI's, because the Qoder SDKs read these files
//! directly (`reference/sdk-protocol.md` §13.3, `cli-core.md` §9.3):
//! `<user dir>/projects/<sanitized real path of cwd>/<session id>.jsonl`,
//! subagents under `<session id>/subagents/agent-<id>.jsonl`. Each line is an
//! [`Entry`]: `user`, `assistant`, `system`, `progress`, `attachment`, or a
//! metadata line (`tag`, `custom-title`, `ai-title`, `last-prompt`,
//! `summary`). Conversation entries are chained by `uuid`/`parentUuid`;
//! loading walks that chain back from the newest entry, stopping at a
//! compact boundary, and leaves subagent side chains out.
//!
//! ```
//! use ferrule_protocol::{AssistantMessage, ContentBlock, Message};
//! use ferrule_session::{SessionOptions, SessionStore};
//!
//! let home = tempfile::tempdir()?;
//! let project = tempfile::tempdir()?;
//! let store = SessionStore::new(home.path());
//!
//! let mut session = store.open(project.path(), &SessionOptions::default())?;
//! session.transcript.append_user(&Message::user("hello"))?;
//! session.transcript.append_assistant(&AssistantMessage::new(
//!     "scripted/demo",
//!     vec![ContentBlock::text("hi")],
//! ))?;
//! let id = session.transcript.session_id().to_owned();
//!
//! // `--resume ID`: same id, same file, the history to replay.
//! let options = SessionOptions { resume: Some(id.clone()), ..SessionOptions::default() };
//! let resumed = store.open(project.path(), &options)?;
//! assert_eq!(resumed.transcript.session_id(), id);
//! assert_eq!(
//!     resumed.conversation.messages,
//!     vec![Message::user("hello"), Message::assistant(vec![ContentBlock::text("hi")])]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Contents: [`SessionStore`] (open as [`SessionOptions`] say, list,
//! delete, rename, tag), [`Transcript`] (the appending writer),
//! [`load_transcript`] and [`LoadedTranscript`] (tolerant reading, with a
//! [`Diagnostic`] per skipped line), [`sanitize_path`] (the project folder
//! names).

mod entry;
mod error;
mod list;
mod load;
mod sanitize;
mod store;
mod transcript;

pub use entry::{COMPACT_BOUNDARY_SUBTYPE, Entry, EntryKind, FORMAT_VERSION};
pub use error::{Diagnostic, DiagnosticKind, SessionError};
pub use list::SessionInfo;
pub use load::{Conversation, LoadedEntry, LoadedTranscript, load_transcript, parse_transcript};
pub use sanitize::{
    MAX_SANITIZED_LENGTH, canonical_project_path, project_dir_name, sanitize_path,
    string_hash_base36,
};
pub use store::{OpenedSession, SessionOptions, SessionOrigin, SessionStore, git_branch};
pub use transcript::{Persistence, Transcript};
