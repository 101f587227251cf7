//! [`SetupError`]: why a session could not be prepared.

use std::path::PathBuf;

use crate::model::ModelSetupError;
use crate::policy::PolicyError;

/// Why [`crate::prepare`] failed. Every variant names what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The working directory does not exist or is no directory.
    #[error("working directory {}: not a directory", .0.display())]
    Cwd(PathBuf),
    /// No home directory is known.
    #[error("cannot determine the home directory: set HOME (or FERRULE_HOME)")]
    NoHome,
    /// The permission mode or its settings.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The model.
    #[error(transparent)]
    Model(#[from] ModelSetupError),
    /// Opening, resuming or forking the session.
    #[error(transparent)]
    Session(#[from] ferrule_session::SessionError),
    /// The file checkpoint store.
    #[error(transparent)]
    Checkpoint(#[from] ferrule_checkpoint::CheckpointError),
    /// `--system-prompt-file` cannot be read.
    #[error("System prompt file not found: {}: {source}", path.display())]
    SystemPromptFile {
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// Registering the tools.
    #[error(transparent)]
    Tools(#[from] ferrule_tool::RegistryError),
    /// `--agent NAME` names no loaded subagent.
    #[error("--agent {name}: no subagent has that name (known: {})", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    UnknownAgent {
        /// The name given.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
}
