//! Conversation messages: who said it and what they said.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::content::ContentBlock;
use crate::stop_reason::StopReason;
use crate::usage::Usage;
use crate::wire::nullable;

/// Who a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The user, or the host speaking for the user (tool results included).
    User,
    /// The model.
    Assistant,
}

/// The `content` of a message: a plain string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MessageContent {
    /// The whole message as one string.
    Text(String),
    /// The message as content blocks, in order.
    Blocks(Vec<ContentBlock>),
}

impl MessageContent {
    /// The content as blocks; a string becomes one text block.
    pub fn into_blocks(self) -> Vec<ContentBlock> {
        match self {
            Self::Text(text) => vec![ContentBlock::text(text)],
            Self::Blocks(blocks) => blocks,
        }
    }

    /// All text of the content joined by newlines; other blocks are left out.
    pub fn joined_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Blocks(blocks) => blocks
                .iter()
                .filter_map(ContentBlock::as_text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl From<String> for MessageContent {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for MessageContent {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<Vec<ContentBlock>> for MessageContent {
    fn from(blocks: Vec<ContentBlock>) -> Self {
        Self::Blocks(blocks)
    }
}

/// A message with a role: an entry of the conversation history, and the
/// `message` of a `user` stream line (`sdk-protocol.md` §3.3, §4.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// Who the message comes from.
    pub role: Role,
    /// What it says.
    pub content: MessageContent,
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<MessageContent>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<MessageContent>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One complete model response: the `message` of an `assistant` stream line
/// (`sdk-protocol.md` §3.2).
///
/// The Python SDK requires `model` and `content`; the rest is optional.
/// `role` and `type` are always written (`"assistant"`, `"message"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AssistantMessage {
    /// Provider id of the response, e.g. `msg_1`; shared by lines that
    /// split one response into several messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Object type; `"message"`.
    #[serde(rename = "type", default = "message_type")]
    pub object_type: String,
    /// Always [`Role::Assistant`].
    #[serde(default = "assistant_role")]
    pub role: Role,
    /// Model that produced the response.
    pub model: String,
    /// The response blocks: text, thinking, tool calls.
    pub content: Vec<ContentBlock>,
    /// Why the response ended; `null` while unknown.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    #[schemars(with = "Option<StopReason>")]
    pub stop_reason: Option<Option<StopReason>>,
    /// The stop sequence that ended the response, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    #[schemars(with = "Option<String>")]
    pub stop_sequence: Option<Option<String>>,
    /// Tokens this one request used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AssistantMessage {
    /// A response from `model` with `content` and nothing else set.
    pub fn new(model: impl Into<String>, content: Vec<ContentBlock>) -> Self {
        Self {
            id: None,
            object_type: message_type(),
            role: Role::Assistant,
            model: model.into(),
            content,
            stop_reason: None,
            stop_sequence: None,
            usage: None,
            extra: Map::new(),
        }
    }

    /// The stop reason, if known.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop_reason.as_ref().and_then(Option::as_ref)
    }
}

fn message_type() -> String {
    "message".to_owned()
}

fn assistant_role() -> Role {
    Role::Assistant
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn string_content_stays_a_string() {
        let message: Message =
            serde_json::from_value(json!({"role": "user", "content": "hi"})).unwrap();
        assert_eq!(message, Message::user("hi"));
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({"role": "user", "content": "hi"})
        );
    }

    #[test]
    fn null_stop_sequence_is_kept_apart_from_an_absent_one() {
        let with_null = json!({"model": "m", "content": [], "stop_sequence": null});
        let parsed: AssistantMessage = serde_json::from_value(with_null).unwrap();
        assert_eq!(parsed.stop_sequence, Some(None));
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!({"type": "message", "role": "assistant", "model": "m", "content": [], "stop_sequence": null})
        );
        let absent: AssistantMessage =
            serde_json::from_value(json!({"model": "m", "content": []})).unwrap();
        assert_eq!(absent.stop_sequence, None);
    }

    #[test]
    fn assistant_message_without_model_names_the_field() {
        let err = serde_json::from_value::<AssistantMessage>(json!({"content": []})).unwrap_err();
        assert!(err.to_string().contains("`model`"), "{err}");
    }
}
