//! What the agent asks a model for: one request of a conversation.

use ferrule_protocol::Message;
use ferrule_tool::ToolSpec;
use serde::{Deserialize, Serialize};

/// One model request: the whole conversation so far plus generation options.
///
/// Providers translate it into their wire format; nothing here is
/// provider-specific.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    /// The system prompt, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The conversation, oldest first. Tool results travel as `tool_result`
    /// blocks of user messages.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Output token limit; `None` uses the provider default (Anthropic
    /// requires a value, so [`DEFAULT_MAX_TOKENS`] is sent there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature; `None` leaves it to the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Extended thinking.
    #[serde(default)]
    pub thinking: Thinking,
    /// How the model must use the tools.
    #[serde(default)]
    pub tool_choice: ToolChoice,
}

/// Output token limit sent when a request sets none and the provider needs one.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

impl ModelRequest {
    /// A request holding just `messages`.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }
}

/// Whether the model reasons visibly before answering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Thinking {
    /// No extended thinking (the default).
    #[default]
    Disabled,
    /// Thinking with a token budget. Anthropic receives it as `thinking`;
    /// OpenAI-compatible servers as `reasoning_effort` derived from the budget.
    Enabled {
        /// Tokens the model may spend on thinking.
        budget_tokens: u32,
    },
}

/// How the model must use the offered tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides (the default).
    #[default]
    Auto,
    /// The model must not call a tool.
    None,
    /// The model must call some tool.
    Any,
    /// The model must call this tool.
    Tool {
        /// Name of the tool.
        name: String,
    },
}
