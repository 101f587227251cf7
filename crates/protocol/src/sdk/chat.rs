//! The `assistant` and `user` stream lines (`sdk-protocol.md` §3.2–§3.4, §4.1).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::message::{AssistantMessage, Message};

/// An `assistant` line: one model response, CLI → SDK.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AssistantStreamMessage {
    /// The response itself.
    pub message: AssistantMessage,
    /// Id of the `Agent` tool call whose subagent produced this; `null` on
    /// the main thread.
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    /// The CLI's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Fresh id of this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Set when the response failed; what kind of failure it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AssistantError>,
    /// True when an interrupt cut the response short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<bool>,
    /// Provider request id; non-empty values are surfaced to SDK users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// True when the CLI synthesized the message from an API failure.
    #[serde(
        default,
        rename = "isApiErrorMessage",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_api_error_message: Option<bool>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AssistantStreamMessage {
    /// A main-thread line carrying `message`.
    pub fn new(
        message: AssistantMessage,
        session_id: impl Into<String>,
        uuid: impl Into<String>,
    ) -> Self {
        Self {
            message,
            parent_tool_use_id: None,
            session_id: Some(session_id.into()),
            uuid: Some(uuid.into()),
            error: None,
            aborted: None,
            request_id: None,
            is_api_error_message: None,
            extra: Map::new(),
        }
    }
}

/// The kind of failure an `assistant` line reports in its `error` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssistantError {
    /// Credentials were refused (401/403); the SDK fires `on_auth_expired`.
    AuthenticationFailed,
    /// The account cannot be billed.
    BillingError,
    /// The provider rate-limited the request.
    RateLimit,
    /// The provider rejected the request as malformed.
    InvalidRequest,
    /// The provider failed (5xx).
    ServerError,
    /// Any other failure.
    Unknown,
    /// The response hit the output token limit.
    MaxOutputTokens,
}

/// A `user` line, in either direction.
///
/// SDK → CLI it carries a prompt (§4.1); CLI → SDK it reports tool results
/// (§3.3) or, with `--replay-user-messages`, echoes an accepted prompt
/// (`isReplay: true`, §3.4). Only `message` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserStreamMessage {
    /// The message; its role is `user`.
    pub message: Message,
    /// Id of the parent `Agent` tool call; `null` on the main thread.
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    /// Session id. SDK → CLI this is wire metadata only (`""` or
    /// `"default"`); the CLI's own session is authoritative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Id of this message; the anchor for `rewind_files` and
    /// `cancel_async_message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// When to run a prompt relative to the running turn (SDK → CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<UserPriority>,
    /// `false`: append to the conversation without starting a turn.
    #[serde(
        default,
        rename = "shouldQuery",
        skip_serializing_if = "Option::is_none"
    )]
    pub should_query: Option<bool>,
    /// Opaque business tags (Qoder VPC deployments); ignored by ferrule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_context: Option<Map<String, Value>>,
    /// Structured tool output, free-form (CLI → SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_result: Option<Value>,
    /// Why tool calls did not execute, per tool call (CLI → SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_result_meta: Option<Vec<ToolResultMeta>>,
    /// True on a replayed prompt (`--replay-user-messages`).
    #[serde(default, rename = "isReplay", skip_serializing_if = "Option::is_none")]
    pub is_replay: Option<bool>,
    /// True when the CLI made the message up rather than the user.
    #[serde(
        default,
        rename = "isSynthetic",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_synthetic: Option<bool>,
    /// ISO 8601 time the message was accepted (replays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UserStreamMessage {
    /// A main-thread user line carrying `message` and nothing else.
    pub fn new(message: Message) -> Self {
        Self {
            message,
            parent_tool_use_id: None,
            session_id: None,
            uuid: None,
            priority: None,
            should_query: None,
            custom_context: None,
            tool_use_result: None,
            tool_result_meta: None,
            is_replay: None,
            is_synthetic: None,
            timestamp: None,
            extra: Map::new(),
        }
    }
}

/// When a prompt sent during a turn runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserPriority {
    /// Interrupt the running turn and run this.
    Now,
    /// Run after the current turn (the default).
    Next,
    /// Run once the session is idle.
    Later,
}

/// Why one tool call did not execute (`tool_result_meta` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolResultMeta {
    /// Id of the tool call.
    pub id: String,
    /// Why it did not run, e.g. `user-rejected` or `permission-rule`.
    pub non_execution_kind: String,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
