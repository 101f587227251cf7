//! The remaining top-level stream lines (`sdk-protocol.md` §3.6, §3.8).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::mcp::{McpConnectionStatus, McpServerInfo};
use crate::sdk::stream_event::StreamEvent;

/// A `stream_event` line: one raw model stream event, for partial messages
/// (`--include-partial-messages`, §3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StreamEventMessage {
    /// The Anthropic-style stream event (`message_start`,
    /// `content_block_delta`, …).
    pub event: StreamEvent,
    /// Id of the parent `Agent` tool call; `null` on the main thread.
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    /// Fresh id of this line.
    pub uuid: String,
    /// The CLI's session id.
    pub session_id: String,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A line with no payload beyond its type (`keep_alive`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KeepAliveMessage {
    /// Keys other than `type`, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `transcript_mirror` frame: transcript entries for the host's session
/// store (`--session-mirror`, §13.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TranscriptMirrorMessage {
    /// Transcript file the entries belong to.
    #[serde(rename = "filePath")]
    pub file_path: String,
    /// The appended entries.
    pub entries: Vec<Value>,
    /// The CLI's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An `auth_status` line; with `error` set the SDK fires `on_auth_expired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuthStatusMessage {
    /// What went wrong with the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A top-level `mcp_status_change` line: one server changed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpStatusChangeEvent {
    /// The server.
    pub server_name: String,
    /// Its new state.
    pub status: McpConnectionStatus,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Name and version the server reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_info: Option<McpServerInfo>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `command_lifecycle` line: state of a queued user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommandLifecycleMessage {
    /// The user message's uuid.
    pub command_uuid: String,
    /// Its state, e.g. `queued`, `started`, `completed`.
    pub state: String,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `prompt_suggestion` line: a suggested next prompt after a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PromptSuggestionMessage {
    /// The suggestion.
    pub suggestion: String,
    /// Fresh id of this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The CLI's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `cloud_agent_event` line: a Cloud session event forwarded by the SDK's
/// cloud runtime. The event payload stays JSON here; the Cloud API types
/// come with the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CloudAgentEventMessage {
    /// Cloud event name, e.g. `agent.message`.
    pub event: String,
    /// SSE event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event payload.
    #[serde(default)]
    pub data: Value,
    /// Fresh id of this line.
    pub uuid: String,
    /// Cloud session id.
    pub session_id: String,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
