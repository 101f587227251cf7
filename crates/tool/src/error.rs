//! How a tool call fails.
//!
//! Two kinds, after codex's `FunctionCallError`: an error the model reads and
//! can recover from, and an error that stops the turn.

/// The failure of one tool call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The model gets this message as an error result and can try again:
    /// a missing file, a bad regex, an ambiguous `old_string`, a bad field in
    /// the input. The message says what was wrong and where.
    #[error("{0}")]
    RespondToModel(String),
    /// The turn cannot go on: the call was cancelled or an invariant of the
    /// host broke. The agent loop stops the turn and reports this message.
    #[error("fatal tool error: {0}")]
    Fatal(String),
}

impl ToolError {
    /// An error the model reads and may recover from.
    pub fn respond(message: impl Into<String>) -> Self {
        Self::RespondToModel(message.into())
    }

    /// An error that stops the turn.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::Fatal(message.into())
    }

    /// The error for a call stopped by its cancellation token.
    pub fn cancelled(tool_name: &str) -> Self {
        Self::Fatal(format!("the {tool_name} call was cancelled"))
    }

    /// True when the model should see this error as a tool result.
    pub fn is_for_model(&self) -> bool {
        match self {
            Self::RespondToModel(_) => true,
            Self::Fatal(_) => false,
        }
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        match self {
            Self::RespondToModel(message) | Self::Fatal(message) => message,
        }
    }
}
