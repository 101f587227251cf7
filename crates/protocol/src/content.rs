//! Content blocks: the pieces a message's `content` list is made of.
//!
//! The shapes follow the Anthropic-style blocks the Qoder SDKs read and write
//! (`reference/sdk-protocol.md` §3.2, §3.3, §4.1): every block is a JSON
//! object tagged by `type`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One block of message content, tagged by `type`.
///
/// Parsing is closed: a block whose `type` is not listed here is an error
/// that names the unknown tag, so user content is never dropped silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentBlock {
    /// Plain text.
    Text(TextBlock),
    /// An image, inline (base64) or by URL.
    Image(ImageBlock),
    /// Visible model reasoning, with the provider's signature.
    Thinking(ThinkingBlock),
    /// Reasoning the provider returned only in encrypted form.
    RedactedThinking(RedactedThinkingBlock),
    /// A tool call requested by the model.
    ToolUse(ToolUseBlock),
    /// The result of a tool call, sent back to the model.
    ToolResult(ToolResultBlock),
}

impl ContentBlock {
    /// A text block holding `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextBlock { text: text.into() })
    }

    /// The text of a text block; `None` for every other kind.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(block) => Some(&block.text),
            Self::Image(_)
            | Self::Thinking(_)
            | Self::RedactedThinking(_)
            | Self::ToolUse(_)
            | Self::ToolResult(_) => None,
        }
    }
}

impl From<TextBlock> for ContentBlock {
    fn from(block: TextBlock) -> Self {
        Self::Text(block)
    }
}

impl From<ImageBlock> for ContentBlock {
    fn from(block: ImageBlock) -> Self {
        Self::Image(block)
    }
}

impl From<ThinkingBlock> for ContentBlock {
    fn from(block: ThinkingBlock) -> Self {
        Self::Thinking(block)
    }
}

impl From<RedactedThinkingBlock> for ContentBlock {
    fn from(block: RedactedThinkingBlock) -> Self {
        Self::RedactedThinking(block)
    }
}

impl From<ToolUseBlock> for ContentBlock {
    fn from(block: ToolUseBlock) -> Self {
        Self::ToolUse(block)
    }
}

impl From<ToolResultBlock> for ContentBlock {
    fn from(block: ToolResultBlock) -> Self {
        Self::ToolResult(block)
    }
}

/// A `text` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextBlock {
    /// The text itself.
    pub text: String,
}

/// An `image` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageBlock {
    /// Where the image bytes come from.
    pub source: ImageSource,
}

impl ImageBlock {
    /// An inline image: `data` is the base64 encoding of the bytes.
    pub fn base64(media_type: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            source: ImageSource::Base64 {
                media_type: media_type.into(),
                data: data.into(),
            },
        }
    }
}

/// The source of an image block, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImageSource {
    /// The bytes inline, base64-encoded.
    Base64 {
        /// MIME type of the image, e.g. `image/png`.
        media_type: String,
        /// The image bytes in standard base64.
        data: String,
    },
    /// An image the receiver fetches from a URL (SDK user input, §4.1).
    Url {
        /// Address of the image.
        url: String,
    },
}

/// A `thinking` block: reasoning text the model showed.
///
/// The Python SDK requires `signature` on every thinking block
/// (`sdk-protocol.md` §3.2); it is `""` when the provider gives none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ThinkingBlock {
    /// The reasoning text.
    pub thinking: String,
    /// Provider signature that lets the block be sent back unchanged.
    pub signature: String,
}

/// A `redacted_thinking` block: reasoning returned only encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RedactedThinkingBlock {
    /// Opaque encrypted reasoning, passed back to the provider as is.
    pub data: String,
}

/// A `tool_use` block: the model asks to call a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolUseBlock {
    /// Call id, unique within the session; the matching result names it.
    pub id: String,
    /// Name of the tool, e.g. `Write` or `mcp__server__tool`.
    pub name: String,
    /// Tool arguments; a JSON object for every well-formed call.
    pub input: Value,
}

/// A `tool_result` block: the outcome of one tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolResultBlock {
    /// Id of the `tool_use` block this answers.
    pub tool_use_id: String,
    /// What the tool returned; absent when it returned nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ToolResultContent>,
    /// True when the call failed or was refused; the content says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
}

impl ToolResultBlock {
    /// A successful result carrying `text`.
    pub fn text(tool_use_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: Some(ToolResultContent::Text(text.into())),
            is_error: Some(false),
        }
    }

    /// A failed result whose text tells the model what went wrong.
    pub fn error(tool_use_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: Some(ToolResultContent::Text(message.into())),
            is_error: Some(true),
        }
    }

    /// A successful result made of text and image blocks.
    pub fn blocks(tool_use_id: impl Into<String>, blocks: Vec<ToolResultContentBlock>) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: Some(ToolResultContent::Blocks(blocks)),
            is_error: Some(false),
        }
    }

    /// Whether the result is marked as an error (absent means no).
    pub fn is_error(&self) -> bool {
        self.is_error.unwrap_or(false)
    }
}

/// The `content` of a tool result: a plain string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ToolResultContent {
    /// The whole result as one string.
    Text(String),
    /// The result as text and image blocks, in order.
    Blocks(Vec<ToolResultContentBlock>),
}

impl ToolResultContent {
    /// All text of the result joined by newlines; images are left out.
    pub fn joined_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Blocks(blocks) => blocks
                .iter()
                .filter_map(|block| match block {
                    ToolResultContentBlock::Text(text) => Some(text.text.as_str()),
                    ToolResultContentBlock::Image(_) => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A block allowed inside a tool result's content list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolResultContentBlock {
    /// Text output.
    Text(TextBlock),
    /// Image output, e.g. a screenshot or an image file that was read.
    Image(ImageBlock),
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn tool_result_with_string_content_serializes_as_string() {
        let block = ContentBlock::from(ToolResultBlock::text("call_1", "done"));
        assert_eq!(
            serde_json::to_value(&block).unwrap(),
            json!({"type": "tool_result", "tool_use_id": "call_1", "content": "done", "is_error": false})
        );
    }

    #[test]
    fn tool_result_with_block_list_parses_text_and_image() {
        let value = json!({
            "type": "tool_result",
            "tool_use_id": "call_2",
            "content": [
                {"type": "text", "text": "see image"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
            ]
        });
        let block: ContentBlock = serde_json::from_value(value).unwrap();
        assert_eq!(
            block,
            ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: "call_2".into(),
                content: Some(ToolResultContent::Blocks(vec![
                    ToolResultContentBlock::Text(TextBlock {
                        text: "see image".into()
                    }),
                    ToolResultContentBlock::Image(ImageBlock::base64("image/png", "iVBO")),
                ])),
                is_error: None,
            })
        );
    }

    #[test]
    fn joined_text_skips_images() {
        let content = ToolResultContent::Blocks(vec![
            ToolResultContentBlock::Text(TextBlock { text: "a".into() }),
            ToolResultContentBlock::Image(ImageBlock::base64("image/png", "x")),
            ToolResultContentBlock::Text(TextBlock { text: "b".into() }),
        ]);
        assert_eq!(content.joined_text(), "a\nb");
    }

    #[test]
    fn unknown_block_type_is_an_error_naming_it() {
        let err = serde_json::from_value::<ContentBlock>(json!({"type": "hologram"})).unwrap_err();
        assert!(err.to_string().contains("hologram"), "{err}");
    }

    #[test]
    fn thinking_without_signature_is_an_error_naming_the_field() {
        let err =
            serde_json::from_value::<ContentBlock>(json!({"type": "thinking", "thinking": "hm"}))
                .unwrap_err();
        assert!(err.to_string().contains("signature"), "{err}");
    }
}
