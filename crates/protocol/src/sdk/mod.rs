//! The Qoder Agent SDK stream-json protocol: every line either side writes
//! (`sdk-protocol.md` §2–§16).
//!
//! One line is one JSON object; [`StreamMessage`] is the union of all of
//! them, discriminated by `type`, in both directions. Forward
//! compatibility, decided per type:
//!
//! - unknown top-level `type`s, `system` subtypes and control request kinds
//!   parse into an `Other` variant that keeps every field;
//! - message structs the peer may extend keep unknown keys in `extra` and
//!   write them back, so a line round-trips unchanged;
//! - content blocks and small value types ignore unknown keys;
//! - a known kind missing a required field is an error naming the kind and
//!   the field, as the Python SDK's `MessageParseError` does.
//!
//! A parsed line is written back as the same JSON value, with these
//! normalizations: fields the TypeScript SDK requires (`result.usage`,
//! `modelUsage`, `permission_denials`, `total_cost_usd`, the `system/init`
//! lists, `parent_tool_use_id`) are written even when they were absent; a
//! control request that names its kind only in `type` is written with
//! `subtype`; `yolo` is written as `bypassPermissions`; an optional field
//! sent as `null` is written as absent, except where `null` means something
//! (`stop_reason`, `stop_sequence`, `set_model.model`, `status.status`,
//! `api_retry.error_status`, `hook_callback.tool_use_id`). Key order
//! follows the type's field order; unknown keys and unknown kinds keep
//! theirs. `tests/fixtures/` holds every example of the reference and the
//! round-trip test that checks this.

mod auth;
mod chat;
mod control;
mod goal;
mod line;
mod mcp;
mod other;
mod permission;
mod result;
mod stream_event;
mod system;

pub use auth::AuthPayload;
pub use chat::{
    AssistantError, AssistantStreamMessage, ToolResultMeta, UserPriority, UserStreamMessage,
};
pub use control::*;
pub use goal::{GoalSnapshot, GoalStatus};
pub use line::LineError;
pub use mcp::{
    McpConfig, McpConnectionStatus, McpRemoteServer, McpSdkServer, McpServerConfig, McpServerInfo,
    McpServerStatus, McpStdioServer, McpToolAnnotations, McpToolInfo, TypedMcpServerConfig,
};
pub use other::{
    AuthStatusMessage, CloudAgentEventMessage, CommandLifecycleMessage, KeepAliveMessage,
    McpStatusChangeEvent, PromptSuggestionMessage, StreamEventMessage, TranscriptMirrorMessage,
};
pub use permission::{
    DecisionClassification, PermissionAllow, PermissionBehavior, PermissionDenial, PermissionDeny,
    PermissionDestination, PermissionMode, PermissionResult, PermissionRuleValue, PermissionScope,
    PermissionUpdate,
};
pub use result::{ResultMessage, ResultSubtype};
pub use stream_event::{
    ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent, ContentDelta,
    DeltaUsage, EmptyEvent, InputJsonDelta, MessageDelta, MessageDeltaEvent, MessageStartEvent,
    SignatureDelta, StreamErrorEvent, StreamEvent, TextDelta, ThinkingDelta,
};
pub use system::{
    ApiKeySource, ApiRetryMessage, BackgroundTask, BackgroundTasksChangedMessage,
    BridgeStateMessage, CompactBoundaryMessage, CompactMetadata, CompactTrigger,
    ElicitationCompleteMessage, FailedFile, FastModeState, FilesPersistedMessage,
    GoalClearedMessage, GoalUpdatedMessage, HookOutcome, HookProgressMessage, HookResponseMessage,
    HookStartedMessage, LocalCommandOutputMessage, McpStatusChangeMessage, MemoryResultMessage,
    MirrorErrorMessage, PermissionDeniedMessage, PersistedFile, PlanModeChangedMessage,
    PlanModeState, PluginInfo, PreservedSegment, SessionState, SessionStateChangedMessage,
    SessionTitleChangedMessage, SkillEvolutionMessage, StatusMessage, SystemInit, SystemMessage,
    TaskNotificationMessage, TaskProgressMessage, TaskStartedMessage, TaskStatus,
    TaskUpdatedMessage, TaskUsage,
};

use crate::wire::open_union;

/// The protocol version ferrule speaks; sent in `system/init`.
pub const PROTOCOL_VERSION: &str = "1.4.0";

open_union! {
    /// One stream-json line, in either direction, chosen by `type`.
    pub enum StreamMessage {
        what = "stream message";
        tags = ["type"];
        /// CLI → SDK: a session event; see [`SystemMessage`].
        System(SystemMessage) = "system",
        /// CLI → SDK: a complete model response.
        Assistant(AssistantStreamMessage) = "assistant",
        /// Both ways: a prompt (SDK → CLI), tool results or a replay (CLI → SDK).
        User(UserStreamMessage) = "user",
        /// CLI → SDK: the end of a turn.
        Result(ResultMessage) = "result",
        /// CLI → SDK: a raw model stream event (partial messages).
        StreamEvent(StreamEventMessage) = "stream_event",
        /// Both ways: a control request.
        ControlRequest(ControlRequestEnvelope) = "control_request",
        /// Both ways: the answer to a control request.
        ControlResponse(ControlResponseEnvelope) = "control_response",
        /// Both ways: abandon a pending control request; no answer follows.
        ControlCancelRequest(ControlCancelRequest) = "control_cancel_request",
        /// CLI → SDK: the shorter name the TypeScript SDK also accepts for a cancel.
        ControlCancel(ControlCancelRequest) = "control_cancel",
        /// CLI → SDK: nothing happened; the SDK drops it.
        KeepAlive(KeepAliveMessage) = "keep_alive",
        /// CLI → SDK: transcript entries for the host's session store.
        TranscriptMirror(TranscriptMirrorMessage) = "transcript_mirror",
        /// CLI → SDK: credentials failed.
        AuthStatus(AuthStatusMessage) = "auth_status",
        /// CLI → SDK: one MCP server changed state.
        McpStatusChange(McpStatusChangeEvent) = "mcp_status_change",
        /// CLI → SDK: state of a queued user message.
        CommandLifecycle(CommandLifecycleMessage) = "command_lifecycle",
        /// CLI → SDK: a suggested next prompt.
        PromptSuggestion(PromptSuggestionMessage) = "prompt_suggestion",
        /// CLI → SDK: a forwarded Cloud session event.
        CloudAgentEvent(CloudAgentEventMessage) = "cloud_agent_event",
    }
}
