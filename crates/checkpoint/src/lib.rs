//! File checkpoints and rewind for ferrule sessions.
//!
//! While the agent processes a user message, the host tells the
//! [`CheckpointStore`] what is about to change: [`CheckpointStore::before_write`]
//! before a file tool writes a path, [`CheckpointStore::record_workspace`]
//! before (and after) a Bash call. The store keeps the prior content in a
//! content-addressed blob directory beside the transcript and an append-only
//! index keyed by the user message id. [`CheckpointStore::rewind`] later puts
//! every tracked file back to its state when a given message started and
//! reports the files and line counts in the SDK's `rewind_files` shape.
//!
//! Limits: directories created since the checkpoint stay (emptied); a file
//! deleted since then comes back with default permissions (a restored file
//! that still exists keeps its own); workspace records follow the ignore
//! rules as rg does (hidden and ignored files are not recorded) and skip
//! symlinks and other non-regular files; a file changed outside the agent
//! is detected by its content against the agent's last known state.
//!
//! Modules:
//! - [`config`]: the `general.fileCheckpointing` setting / SDK option.
//! - [`hash`]: content hashes and file states.
//! - [`blob`]: the content-addressed blob directory.
//! - [`index`]: the JSONL index records.
//! - [`workspace`]: incremental workspace manifests for Bash tracking.
//! - [`plan`]: the pure computation of what a rewind restores.
//! - [`report`]: rewind options and the report.
//! - [`store`]: the store that ties them together.
//! - [`error`]: the error types.

pub mod blob;
pub mod config;
mod diff;
pub mod error;
pub mod hash;
pub mod index;
pub mod plan;
pub mod report;
pub mod store;
pub mod workspace;

pub use config::CheckpointConfig;
pub use error::{CheckpointError, RewindError};
pub use hash::{ContentHash, FileState};
pub use report::{RewindOptions, RewindReport};
pub use store::{CheckpointStore, WorkspaceRecordSummary};
