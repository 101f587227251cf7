//! Plain wire data shared by every ferrule crate: content blocks, messages,
//! token usage and stop reasons.
//!
//! Everything here is a serde data type with no I/O. JSON shapes match the
//! Qoder Agent SDK stream-json protocol (`reference/sdk-protocol.md`), so the
//! same values can be written to an SDK host, stored in a transcript or sent
//! to a model provider.
//!
//! ```
//! use ferrule_protocol::{ContentBlock, ToolResultBlock};
//!
//! let block = ContentBlock::from(ToolResultBlock::text("call_7", "File created"));
//! let json = serde_json::to_string(&block)?;
//! assert_eq!(
//!     json,
//!     r#"{"type":"tool_result","tool_use_id":"call_7","content":"File created","is_error":false}"#
//! );
//! let back: ContentBlock = serde_json::from_str(&json)?;
//! assert_eq!(back, block);
//! # Ok::<(), serde_json::Error>(())
//! ```

mod content;
mod stop_reason;
mod usage;

pub use content::{
    ContentBlock, ImageBlock, ImageSource, RedactedThinkingBlock, TextBlock, ThinkingBlock,
    ToolResultBlock, ToolResultContent, ToolResultContentBlock, ToolUseBlock,
};
pub use stop_reason::StopReason;
pub use usage::{CacheCreation, ModelUsage, ServerToolUse, Usage};
