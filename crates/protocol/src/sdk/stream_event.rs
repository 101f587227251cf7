//! Raw model stream events carried by `stream_event` lines, Anthropic style
//! (`sdk-protocol.md` §3.6).
//!
//! Per model response: `message_start`, then per block
//! `content_block_start`, `content_block_delta`*, `content_block_stop`,
//! then `message_delta` (stop reason, usage) and `message_stop`. The text
//! deltas of a block concatenate to that block's text in the `assistant`
//! line that follows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::content::ContentBlock;
use crate::message::AssistantMessage;
use crate::stop_reason::StopReason;
use crate::wire::{nullable, open_union};

open_union! {
    /// One raw stream event, chosen by `type`.
    pub enum StreamEvent {
        what = "stream event";
        tags = ["type"];
        /// A response began; `message` is its skeleton (no content yet).
        MessageStart(MessageStartEvent) = "message_start",
        /// A content block began.
        ContentBlockStart(ContentBlockStartEvent) = "content_block_start",
        /// More of a content block.
        ContentBlockDelta(ContentBlockDeltaEvent) = "content_block_delta",
        /// A content block is complete.
        ContentBlockStop(ContentBlockStopEvent) = "content_block_stop",
        /// Response-level changes: stop reason and final usage.
        MessageDelta(MessageDeltaEvent) = "message_delta",
        /// The response is complete.
        MessageStop(EmptyEvent) = "message_stop",
        /// Keeps the stream alive.
        Ping(EmptyEvent) = "ping",
        /// The provider reported an error mid-stream.
        Error(StreamErrorEvent) = "error",
    }
}

/// `message_start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageStartEvent {
    /// The response skeleton: id, model, empty content.
    pub message: AssistantMessage,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `content_block_start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentBlockStartEvent {
    /// Block position in the response.
    pub index: usize,
    /// The block as it starts: empty text, a tool call with `input: {}`,
    /// thinking with empty text and signature.
    pub content_block: ContentBlock,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `content_block_delta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentBlockDeltaEvent {
    /// Block position in the response.
    pub index: usize,
    /// What was added.
    pub delta: ContentDelta,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_union! {
    /// The `delta` of a `content_block_delta`, chosen by `type`.
    pub enum ContentDelta {
        what = "content delta";
        tags = ["type"];
        /// More text.
        TextDelta(TextDelta) = "text_delta",
        /// More tool input JSON, as raw text.
        InputJsonDelta(InputJsonDelta) = "input_json_delta",
        /// More reasoning text.
        ThinkingDelta(ThinkingDelta) = "thinking_delta",
        /// The thinking block's signature.
        SignatureDelta(SignatureDelta) = "signature_delta",
    }
}

/// `text_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextDelta {
    /// The added text.
    pub text: String,
}

/// `input_json_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InputJsonDelta {
    /// The next piece of the input JSON.
    pub partial_json: String,
}

/// `thinking_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ThinkingDelta {
    /// The added reasoning.
    pub thinking: String,
}

/// `signature_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignatureDelta {
    /// The signature.
    pub signature: String,
}

/// `content_block_stop`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentBlockStopEvent {
    /// Block position in the response.
    pub index: usize,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `message_delta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageDeltaEvent {
    /// Stop reason and stop sequence.
    pub delta: MessageDelta,
    /// Usage so far; output tokens are final here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<DeltaUsage>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `delta` of a `message_delta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageDelta {
    /// Why the response ended.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    #[schemars(with = "Option<StopReason>")]
    pub stop_reason: Option<Option<StopReason>>,
    /// The stop sequence that ended it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    #[schemars(with = "Option<String>")]
    pub stop_sequence: Option<Option<String>>,
}

/// The usage of a `message_delta`: providers send only the counters that
/// changed, so every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeltaUsage {
    /// Prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Generated tokens so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Prompt tokens written to cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Prompt tokens read from cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An event with no fields of its own (`message_stop`, `ping`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmptyEvent {
    /// Fields sent with the event, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StreamErrorEvent {
    /// The provider's error object.
    pub error: Value,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
