//! What a successful tool call returns.

use ferrule_protocol::{
    ImageBlock, TextBlock, ToolResultBlock, ToolResultContent, ToolResultContentBlock,
};
use serde_json::Value;

use crate::ToolError;

/// The result of a successful call: content for the model (text and/or
/// images) and a structured result for hosts, hooks and SDK clients, shaped
/// as the reference documents for the tool (`[ts-ref]` output types).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// What the model reads, in order.
    pub content: Vec<ToolResultContentBlock>,
    /// The structured result, e.g. `{"success": true, "file_path": ...}`.
    pub structured: Value,
    /// Permission rules in settings syntax (`Bash(git diff:*)`, `Read`)
    /// that the call asks the host to allow for the rest of the session,
    /// as a skill's `allowed-tools` does. The host's deny rules and its
    /// protected paths still stand above them.
    pub session_allow: Vec<String>,
    /// A model the call asks the host to use for the rest of the turn (a
    /// skill's `model`), by the name `--model` would take.
    pub model: Option<String>,
    /// A reasoning effort the call asks the host to use for the rest of
    /// the turn (a skill's `effort`): a level name (`low` … `max`), `off`
    /// or a thinking budget in digits.
    pub effort: Option<String>,
    /// A task the call hands to a subagent (a skill with `context:
    /// fork`): the host runs it and answers the call with the subagent's
    /// report instead of this output's content. The output's `model` and
    /// `effort` then apply to that subagent, not to the rest of the turn.
    pub fork: Option<Fork>,
}

/// A task for a subagent, asked for by a tool's output
/// ([`ToolOutput::fork`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fork {
    /// The subagent type (`general-purpose` when `None`).
    pub agent: Option<String>,
    /// The subagent's task: everything it needs to know.
    pub prompt: String,
    /// A short description, shown where the subagent's run is listed.
    pub description: String,
}

impl ToolOutput {
    /// A text result with its structured form.
    pub fn text(text: impl Into<String>, structured: Value) -> Self {
        Self::blocks(
            vec![ToolResultContentBlock::Text(TextBlock {
                text: text.into(),
            })],
            structured,
        )
    }

    /// A result made of several blocks.
    pub fn blocks(content: Vec<ToolResultContentBlock>, structured: Value) -> Self {
        Self {
            content,
            structured,
            session_allow: Vec::new(),
            model: None,
            effort: None,
            fork: None,
        }
    }

    /// The same output, asking the host to allow `rules` for the rest of
    /// the session (see [`ToolOutput::session_allow`]).
    #[must_use]
    pub fn allowing(mut self, rules: Vec<String>) -> Self {
        self.session_allow = rules;
        self
    }

    /// The same output, asking the host to run the rest of the turn on the
    /// model `name` (see [`ToolOutput::model`]).
    #[must_use]
    pub fn with_model(mut self, name: impl Into<String>) -> Self {
        self.model = Some(name.into());
        self
    }

    /// The same output, asking the host to run the rest of the turn with
    /// reasoning effort `effort` (see [`ToolOutput::effort`]).
    #[must_use]
    pub fn with_effort(mut self, effort: impl Into<String>) -> Self {
        self.effort = Some(effort.into());
        self
    }

    /// The same output, asking the host to hand `fork` to a subagent (see
    /// [`ToolOutput::fork`]).
    #[must_use]
    pub fn forking(mut self, fork: Fork) -> Self {
        self.fork = Some(fork);
        self
    }

    /// An image result (`media_type` such as `image/png`, `data` in base64).
    pub fn image(media_type: &str, data: String, structured: Value) -> Self {
        Self::blocks(
            vec![ToolResultContentBlock::Image(ImageBlock::base64(
                media_type, data,
            ))],
            structured,
        )
    }

    /// The text blocks joined by newlines; images left out.
    pub fn text_content(&self) -> String {
        self.result_content().joined_text()
    }

    /// The content as a tool-result `content` value: a plain string when the
    /// result is a single text block, else the list of blocks.
    pub fn result_content(&self) -> ToolResultContent {
        match self.content.as_slice() {
            [ToolResultContentBlock::Text(block)] => ToolResultContent::Text(block.text.clone()),
            blocks => ToolResultContent::Blocks(blocks.to_vec()),
        }
    }

    /// The `tool_result` block answering call `tool_use_id`.
    pub fn into_result_block(self, tool_use_id: impl Into<String>) -> ToolResultBlock {
        ToolResultBlock {
            tool_use_id: tool_use_id.into(),
            content: Some(self.result_content()),
            is_error: Some(false),
        }
    }
}

impl ToolError {
    /// The `tool_result` block (marked as an error) answering `tool_use_id`.
    pub fn into_result_block(self, tool_use_id: impl Into<String>) -> ToolResultBlock {
        ToolResultBlock::error(tool_use_id, self.message())
    }
}
