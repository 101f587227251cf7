//! Plain wire data shared by every ferrule crate: content blocks, messages,
//! token usage, stop reasons, the Qoder SDK stream-json protocol, and the
//! host-neutral agent event stream.
//!
//! Everything here is a serde data type with no I/O. JSON shapes match the
//! Qoder Agent SDK protocol (`reference/sdk-protocol.md`), so the same values
//! can be written to an SDK host, stored in a transcript or sent to a model
//! provider.
//!
//! ```
//! use ferrule_protocol::{ContentBlock, ToolResultBlock};
//! use ferrule_protocol::sdk::StreamMessage;
//!
//! let block = ContentBlock::from(ToolResultBlock::text("call_7", "File created"));
//! let json = serde_json::to_string(&block)?;
//! assert_eq!(
//!     json,
//!     r#"{"type":"tool_result","tool_use_id":"call_7","content":"File created","is_error":false}"#
//! );
//!
//! let line = r#"{"type":"control_request","request_id":"r1","request":{"subtype":"interrupt"}}"#;
//! let StreamMessage::ControlRequest(envelope) = StreamMessage::from_line(line)? else {
//!     panic!("a control request");
//! };
//! assert_eq!(envelope.request.kind(), "interrupt");
//! assert_eq!(StreamMessage::ControlRequest(envelope).to_line()?, line);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Contents: [`ContentBlock`]s, [`Message`]s, [`Usage`],
//! [`StopReason`], [`sdk`] (every stream-json line and control request),
//! [`AgentEvent`] (what an agent loop emits, for every host to render).

mod content;
mod event;
mod message;
pub mod sdk;
mod stop_reason;
mod usage;
mod wire;

pub use content::{
    ContentBlock, ImageBlock, ImageSource, RedactedThinkingBlock, TextBlock, ThinkingBlock,
    ToolResultBlock, ToolResultContent, ToolResultContentBlock, ToolUseBlock,
};
pub use event::{AgentError, AgentErrorKind, AgentEvent, TurnOutcome, TurnSummary};
pub use message::{AssistantMessage, Message, MessageContent, Role};
pub use stop_reason::StopReason;
pub use usage::{CacheCreation, ModelUsage, ServerToolUse, Usage};
pub use wire::UnknownKind;
