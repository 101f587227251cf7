//! Errors of this crate.

use ferrule_model::ModelError;

/// Bad configuration: an environment variable or a settings value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// An environment variable has a value that cannot be used.
    #[error("{name}={value:?} is not {expected}")]
    BadEnv {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What it must be.
        expected: String,
    },
    /// A settings key has the wrong type or value.
    #[error("settings `{path}`: {message}")]
    BadSetting {
        /// JSON path of the key, e.g. `context.pinnedFiles[2]`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Why a compaction did not happen. The caller's history is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    /// There is nothing to summarize.
    #[error("nothing to compact: the conversation is empty")]
    Empty,
    /// The summary request failed.
    #[error("the summary request to {model} failed: {source}")]
    Model {
        /// The model asked.
        model: String,
        /// What failed.
        #[source]
        source: ModelError,
    },
    /// The model answered without any text.
    #[error("the summary request to {model} returned no text")]
    EmptySummary {
        /// The model asked.
        model: String,
    },
    /// The summary stream ended before the response was complete.
    #[error("the summary request to {model} ended before the response was complete")]
    Incomplete {
        /// The model asked.
        model: String,
    },
    /// A PreCompact hook blocked the compaction.
    #[error("a PreCompact hook blocked the compaction: {reason}")]
    Blocked {
        /// What the hook said.
        reason: String,
    },
    /// The compaction could not be written to the transcript.
    #[error("writing the compaction to the transcript failed: {0}")]
    Transcript(#[from] ferrule_session::SessionError),
}
