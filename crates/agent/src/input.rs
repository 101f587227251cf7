//! What a run takes and returns.

use ferrule_protocol::{ContentBlock, TurnOutcome, TurnSummary};

/// One user message for [`crate::Agent::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    /// The message's content: text, images ...
    pub content: Vec<ContentBlock>,
    /// The message's uuid (the SDK's `uuid`, the checkpoint anchor); a new
    /// one is made when `None`.
    pub uuid: Option<String>,
}

impl UserInput {
    /// A plain text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: vec![ContentBlock::text(text)],
            uuid: None,
        }
    }

    /// A message made of `content`.
    pub fn blocks(content: Vec<ContentBlock>) -> Self {
        Self {
            content,
            uuid: None,
        }
    }

    /// The same message with a given uuid.
    pub fn with_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.uuid = Some(uuid.into());
        self
    }

    /// The text blocks joined by newlines (what hooks see as the prompt).
    pub fn joined_text(&self) -> String {
        self.content
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl From<&str> for UserInput {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for UserInput {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

/// How a run ended; the same values as its [`ferrule_protocol::AgentEvent::TurnFinished`].
#[derive(Debug, Clone, PartialEq)]
pub struct TurnResult {
    /// How it ended.
    pub outcome: TurnOutcome,
    /// Its totals.
    pub summary: TurnSummary,
    /// The uuid of the user message that started it.
    pub user_message_uuid: String,
}
