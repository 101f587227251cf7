//! What a model stream yields.
//!
//! Per response, in order:
//!
//! ```text
//! Retry*                                  (failed attempts before the response started)
//! MessageStart
//!   ( TextDelta*
//!   | ThinkingDelta* SignatureDelta*
//!   | RedactedThinking
//!   | ToolCallStart ToolCallDelta* (ToolCallEnd | ToolCallInvalid) ) BlockStop    (per block)
//! Usage?  Stop  Completed
//! ```
//!
//! `index` is the position of the block in the response, the same number
//! the completed message uses for it. The events serialize tagged by `type`;
//! scripts of the scripted provider are lists of them.

use std::pin::Pin;

use ferrule_protocol::{AssistantMessage, StopReason, ToolUseBlock, Usage};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// One event of a streamed model response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelEvent {
    /// A failed attempt will be retried after `delay_ms`.
    Retry {
        /// Number of this retry, from 1.
        attempt: u32,
        /// Retries allowed in all.
        max_retries: u32,
        /// Wait before the retry, in milliseconds.
        delay_ms: u64,
        /// What failed.
        error: String,
        /// HTTP status of the failure, when there was a response.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// The response began.
    MessageStart {
        /// Provider id of the response.
        id: String,
        /// The model that answers, as the provider names it.
        model: String,
    },
    /// More text of a text block.
    TextDelta {
        /// Block position.
        index: usize,
        /// The new text.
        text: String,
    },
    /// More reasoning of a thinking block.
    ThinkingDelta {
        /// Block position.
        index: usize,
        /// The new reasoning text.
        thinking: String,
    },
    /// More of the provider's signature of a thinking block.
    SignatureDelta {
        /// Block position.
        index: usize,
        /// The next part of the signature.
        signature: String,
    },
    /// A whole block of encrypted reasoning.
    RedactedThinking {
        /// Block position.
        index: usize,
        /// Opaque data, sent back unchanged.
        data: String,
    },
    /// The model began a tool call.
    ToolCallStart {
        /// Block position.
        index: usize,
        /// Call id; the tool result must name it.
        id: String,
        /// Tool name.
        name: String,
    },
    /// More of a tool call's arguments, as raw JSON text.
    ToolCallDelta {
        /// Block position.
        index: usize,
        /// The next piece; the pieces concatenate to the arguments.
        partial_json: String,
    },
    /// A tool call is complete and its arguments parsed to a JSON object.
    ToolCallEnd {
        /// Block position.
        index: usize,
        /// The call with its parsed input.
        call: ToolUseBlock,
    },
    /// A tool call is complete but its arguments are not a JSON object.
    /// The completed message holds the call with an empty input; the agent
    /// answers it with an error result carrying `error`, so the model can
    /// try again.
    ToolCallInvalid {
        /// Block position.
        index: usize,
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// The arguments exactly as the model produced them.
        arguments: String,
        /// Why they were rejected, for the model to read.
        error: String,
    },
    /// A block is complete.
    BlockStop {
        /// Block position.
        index: usize,
    },
    /// Tokens the request used, when the provider reported them.
    Usage {
        /// The counts.
        usage: Usage,
    },
    /// Why the response ended.
    Stop {
        /// The reason.
        reason: StopReason,
    },
    /// The whole response: every block of the deltas, stop reason, usage.
    Completed {
        /// The assistant message (boxed: it is much larger than the deltas).
        message: Box<AssistantMessage>,
    },
}

impl ModelEvent {
    /// Whether the event is about the transport (a retry) rather than the
    /// response itself. Recordings leave these out.
    pub fn is_transport(&self) -> bool {
        match self {
            Self::Retry { .. } => true,
            Self::MessageStart { .. }
            | Self::TextDelta { .. }
            | Self::ThinkingDelta { .. }
            | Self::SignatureDelta { .. }
            | Self::RedactedThinking { .. }
            | Self::ToolCallStart { .. }
            | Self::ToolCallDelta { .. }
            | Self::ToolCallEnd { .. }
            | Self::ToolCallInvalid { .. }
            | Self::BlockStop { .. }
            | Self::Usage { .. }
            | Self::Stop { .. }
            | Self::Completed { .. } => false,
        }
    }
}

/// The stream a [`crate::Model`] returns. It ends after
/// [`ModelEvent::Completed`] or after the first error. Dropping it stops the
/// request.
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<ModelEvent, ModelError>> + Send>>;
