//! `system` lines, discriminated by `subtype` (`sdk-protocol.md` §3.1, §3.7).
//!
//! Subtypes the Python SDK types strictly have their required fields
//! required here too; others are lenient. Unknown subtypes are kept as
//! [`SystemMessage::Other`], the way the SDK turns them into a plain
//! `SystemMessage`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::chat::AssistantError;
use crate::sdk::goal::GoalSnapshot;
use crate::sdk::mcp::McpServerStatus;
use crate::sdk::permission::PermissionMode;
use crate::wire::{open_union, string_enum};

open_union! {
    /// A `system` line; the variant is chosen by `subtype`.
    pub enum SystemMessage {
        what = "system message";
        tags = ["subtype"];
        /// Session start: what the session offers. Emitted once, just
        /// before the `initialize` response.
        Init(SystemInit) = "init",
        /// Running state changed (compacting) or the permission mode changed.
        Status(StatusMessage) = "status",
        /// The conversation was compacted up to here.
        CompactBoundary(CompactBoundaryMessage) = "compact_boundary",
        /// A failed model request is being retried.
        ApiRetry(ApiRetryMessage) = "api_retry",
        /// A tool call was refused by policy.
        PermissionDenied(PermissionDeniedMessage) = "permission_denied",
        /// A subagent or background task started.
        TaskStarted(TaskStartedMessage) = "task_started",
        /// Progress of a running task.
        TaskProgress(TaskProgressMessage) = "task_progress",
        /// A task finished.
        TaskNotification(TaskNotificationMessage) = "task_notification",
        /// Fields of a task changed.
        TaskUpdated(TaskUpdatedMessage) = "task_updated",
        /// The set of background tasks changed (replace semantics).
        BackgroundTasksChanged(BackgroundTasksChangedMessage) = "background_tasks_changed",
        /// The session goal changed.
        GoalUpdated(GoalUpdatedMessage) = "goal_updated",
        /// The session goal was cleared.
        GoalCleared(GoalClearedMessage) = "goal_cleared",
        /// Plan mode was switched on or off.
        PlanModeChanged(PlanModeChangedMessage) = "plan_mode_changed",
        /// Mirroring the transcript to the host's session store failed.
        MirrorError(MirrorErrorMessage) = "mirror_error",
        /// Memory generation ran.
        MemoryGeneration(MemoryResultMessage) = "memory_generation",
        /// Memory was consumed.
        MemoryConsumption(MemoryResultMessage) = "memory_consumption",
        /// Skill evolution ran.
        SkillEvolution(SkillEvolutionMessage) = "skill_evolution",
        /// A hook started running.
        HookStarted(HookStartedMessage) = "hook_started",
        /// Output of a running hook.
        HookProgress(HookProgressMessage) = "hook_progress",
        /// A hook finished.
        HookResponse(HookResponseMessage) = "hook_response",
        /// The session went idle, started running or waits for the host.
        SessionStateChanged(SessionStateChangedMessage) = "session_state_changed",
        /// The session title changed.
        SessionTitleChanged(SessionTitleChangedMessage) = "session_title_changed",
        /// Files were persisted (uploaded) or failed to.
        FilesPersisted(FilesPersistedMessage) = "files_persisted",
        /// An MCP elicitation finished.
        ElicitationComplete(ElicitationCompleteMessage) = "elicitation_complete",
        /// Output of a local slash command.
        LocalCommandOutput(LocalCommandOutputMessage) = "local_command_output",
        /// MCP server states changed.
        McpStatusChange(McpStatusChangeMessage) = "mcp_status_change",
        /// Bridge connection state changed.
        BridgeState(BridgeStateMessage) = "bridge_state",
    }
}

string_enum! {
    /// Where the API key of a session comes from.
    pub enum ApiKeySource {
        /// No key (ferrule's providers bring their own).
        None = "none",
        /// The user's settings.
        User = "user",
        /// The project's settings.
        Project = "project",
        /// An organization key.
        Org = "org",
        /// A temporary key.
        Temporary = "temporary",
        /// An OAuth login.
        Oauth = "oauth",
    }
}

string_enum! {
    /// State of fast mode.
    pub enum FastModeState {
        /// Off.
        Off = "off",
        /// Temporarily unavailable.
        Cooldown = "cooldown",
        /// On.
        On = "on",
    }
}

/// `system/init`: what this session offers (§3.1).
///
/// Only `session_id` is required to parse; the lists and strings default
/// to empty and are always written, since the TypeScript SDK expects them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SystemInit {
    /// The session id `resume` and `fork_session` will use.
    pub session_id: String,
    /// Fresh id of this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Absolute working directory.
    #[serde(default)]
    pub cwd: String,
    /// Every tool the model can call, `mcp__server__tool` names included.
    #[serde(default)]
    pub tools: Vec<String>,
    /// MCP servers and their states.
    #[serde(default)]
    pub mcp_servers: Vec<McpServerStatus>,
    /// Current model.
    #[serde(default)]
    pub model: String,
    /// Current permission mode.
    #[serde(rename = "permissionMode", default = "default_mode")]
    pub permission_mode: PermissionMode,
    /// Slash commands available.
    #[serde(default)]
    pub slash_commands: Vec<String>,
    /// Output style; `default`.
    #[serde(default)]
    pub output_style: String,
    /// Skills available.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Plugins loaded.
    #[serde(default)]
    pub plugins: Vec<PluginInfo>,
    /// Subagents available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<String>>,
    /// Where the API key comes from; `none` is fine for ferrule.
    #[serde(rename = "apiKeySource", default = "default_key_source")]
    pub api_key_source: ApiKeySource,
    /// Version of the CLI (ours).
    #[serde(default)]
    pub qodercli_version: String,
    /// Protocol version; `1.4.0`. The TypeScript SDK rejects another major.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Capabilities, as in the `initialize` response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
    /// Fast-mode state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast_mode_state: Option<FastModeState>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_mode() -> PermissionMode {
    PermissionMode::Default
}

fn default_key_source() -> ApiKeySource {
    ApiKeySource::None
}

/// A plugin in `system/init` and `reload_plugins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PluginInfo {
    /// Plugin name.
    pub name: String,
    /// Where it was loaded from.
    pub path: String,
    /// Origin, e.g. a marketplace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Declares the `uuid` and `session_id` fields every system line carries,
/// optional for the subtypes the Python SDK does not check.
macro_rules! system_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ids = $ids:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
            /// Fresh id of this line.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub uuid: system_struct!(@id $ids),
            /// The CLI's session id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub session_id: system_struct!(@id $ids),
            /// Keys not listed above, kept for forward compatibility.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
    (@id optional) => { Option<String> };
}

/// Same as `system_struct!` but with `uuid` and `session_id` required.
macro_rules! strict_system_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
            /// Fresh id of this line (required by the Python SDK).
            pub uuid: String,
            /// The CLI's session id (required by the Python SDK).
            pub session_id: String,
            /// Keys not listed above, kept for forward compatibility.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

system_struct! {
    /// `system/status`.
    pub struct StatusMessage ids = optional {
        /// `compacting` while compacting, `null` otherwise.
        #[serde(default)]
        pub status: Option<String>,
        /// The permission mode, when it changed.
        #[serde(rename = "permissionMode", default, skip_serializing_if = "Option::is_none")]
        pub permission_mode: Option<PermissionMode>,
    }
}

system_struct! {
    /// `system/compact_boundary`.
    pub struct CompactBoundaryMessage ids = optional {
        /// What was compacted and why.
        pub compact_metadata: CompactMetadata,
    }
}

string_enum! {
    /// What started a compaction.
    pub enum CompactTrigger {
        /// The user asked (`/compact`).
        Manual = "manual",
        /// The context was nearly full.
        Auto = "auto",
    }
}

/// Details of a compaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompactMetadata {
    /// What started it.
    pub trigger: CompactTrigger,
    /// Context tokens before compacting.
    pub pre_tokens: u64,
    /// The kept segment of the transcript, when part was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserved_segment: Option<PreservedSegment>,
}

/// Transcript entries that bound the kept segment of a compaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreservedSegment {
    /// First kept entry.
    pub head_uuid: String,
    /// Entry the kept segment hangs from.
    pub anchor_uuid: String,
    /// Last kept entry.
    pub tail_uuid: String,
}

system_struct! {
    /// `system/api_retry`.
    pub struct ApiRetryMessage ids = optional {
        /// This attempt's number, from 1.
        pub attempt: u32,
        /// How many retries are allowed.
        pub max_retries: u32,
        /// Wait before this retry, in milliseconds.
        pub retry_delay_ms: u64,
        /// HTTP status of the failure, `null` when there was none.
        #[serde(default)]
        pub error_status: Option<u16>,
        /// Kind of failure.
        pub error: AssistantError,
    }
}

strict_system_struct! {
    /// `system/permission_denied`.
    pub struct PermissionDeniedMessage {
        /// The refused tool.
        pub tool_name: String,
        /// The refused call.
        pub tool_use_id: String,
        /// Why, in words.
        pub message: String,
        /// Subagent that made the call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub agent_id: Option<String>,
        /// Category: `rule`, `mode`, `hook`, `safetyCheck`, …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub decision_reason_type: Option<String>,
        /// The reason in detail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub decision_reason: Option<String>,
    }
}

strict_system_struct! {
    /// `system/task_started`.
    pub struct TaskStartedMessage {
        /// Task id.
        pub task_id: String,
        /// What the task does.
        pub description: String,
        /// The tool call that started it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tool_use_id: Option<String>,
        /// Kind of task.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub task_type: Option<String>,
        /// Subagent type, for subagent tasks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subagent_type: Option<String>,
        /// Workflow name, for workflow tasks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub workflow_name: Option<String>,
        /// The task's prompt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub prompt: Option<String>,
        /// Tools the task may use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tools: Option<Vec<String>>,
    }
}

/// Resource use of a task so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskUsage {
    /// Tokens used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Tool calls made.
    pub tool_uses: u64,
    /// Elapsed time in milliseconds.
    pub duration_ms: u64,
}

strict_system_struct! {
    /// `system/task_progress`.
    pub struct TaskProgressMessage {
        /// Task id.
        pub task_id: String,
        /// What the task does.
        pub description: String,
        /// Resource use so far.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub usage: Option<TaskUsage>,
        /// The tool call that started it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tool_use_id: Option<String>,
        /// The last tool it called.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_tool_name: Option<String>,
        /// Subagent type, for subagent tasks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subagent_type: Option<String>,
        /// Progress summary.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
    }
}

string_enum! {
    /// How a task ended.
    pub enum TaskStatus {
        /// Finished.
        Completed = "completed",
        /// Failed.
        Failed = "failed",
        /// Stopped by request.
        Stopped = "stopped",
    }
}

strict_system_struct! {
    /// `system/task_notification`.
    pub struct TaskNotificationMessage {
        /// Task id.
        pub task_id: String,
        /// How it ended.
        pub status: TaskStatus,
        /// File holding the task's output.
        pub output_file: String,
        /// Summary of the outcome.
        pub summary: String,
        /// The tool call that started it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tool_use_id: Option<String>,
        /// Resource use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub usage: Option<TaskUsage>,
    }
}

strict_system_struct! {
    /// `system/task_updated`.
    pub struct TaskUpdatedMessage {
        /// Task id.
        pub task_id: String,
        /// The changed fields (`status`, `description`, `end_time`,
        /// `total_paused_ms`, `error`, `is_backgrounded`).
        pub patch: Map<String, Value>,
    }
}

/// One background task in `background_tasks_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BackgroundTask {
    /// Task id.
    pub task_id: String,
    /// Kind of task.
    pub task_type: String,
    /// What it does.
    pub description: String,
}

strict_system_struct! {
    /// `system/background_tasks_changed`.
    pub struct BackgroundTasksChangedMessage {
        /// All background tasks now (replaces the previous list).
        pub tasks: Vec<BackgroundTask>,
    }
}

system_struct! {
    /// `system/goal_updated`.
    pub struct GoalUpdatedMessage ids = optional {
        /// The goal now.
        pub goal: GoalSnapshot,
        /// Why it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
    }
}

system_struct! {
    /// `system/goal_cleared`.
    pub struct GoalClearedMessage ids = optional {
        /// The cleared goal.
        pub goal_id: String,
        /// Why it was cleared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
    }
}

/// Whether plan mode is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanModeState {
    /// True while plan mode is on.
    pub active: bool,
}

strict_system_struct! {
    /// `system/plan_mode_changed`.
    pub struct PlanModeChangedMessage {
        /// The new state.
        pub plan_mode: PlanModeState,
    }
}

strict_system_struct! {
    /// `system/mirror_error`.
    pub struct MirrorErrorMessage {
        /// What failed.
        pub error: String,
        /// Session-store key that failed.
        pub key: String,
    }
}

system_struct! {
    /// `system/memory_generation` and `system/memory_consumption`.
    pub struct MemoryResultMessage ids = optional {
        /// The outcome, free-form.
        pub result: Value,
    }
}

system_struct! {
    /// `system/skill_evolution`.
    pub struct SkillEvolutionMessage ids = optional {
        /// The outcome, free-form.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub result: Option<Value>,
    }
}

system_struct! {
    /// `system/hook_started`.
    pub struct HookStartedMessage ids = optional {
        /// Id of this hook run.
        pub hook_id: String,
        /// Hook name.
        pub hook_name: String,
        /// Hook event, e.g. `PreToolUse`.
        pub hook_event: String,
    }
}

system_struct! {
    /// `system/hook_progress`.
    pub struct HookProgressMessage ids = optional {
        /// Id of this hook run.
        pub hook_id: String,
        /// Hook name.
        pub hook_name: String,
        /// Hook event.
        pub hook_event: String,
        /// Standard output so far.
        #[serde(default)]
        pub stdout: String,
        /// Standard error so far.
        #[serde(default)]
        pub stderr: String,
        /// Combined output so far.
        #[serde(default)]
        pub output: String,
    }
}

string_enum! {
    /// How a hook run ended.
    pub enum HookOutcome {
        /// It succeeded.
        Success = "success",
        /// It failed.
        Error = "error",
        /// It was cancelled.
        Cancelled = "cancelled",
    }
}

system_struct! {
    /// `system/hook_response`.
    pub struct HookResponseMessage ids = optional {
        /// Id of this hook run.
        pub hook_id: String,
        /// Hook name.
        pub hook_name: String,
        /// Hook event.
        pub hook_event: String,
        /// Combined output.
        #[serde(default)]
        pub output: String,
        /// Standard output.
        #[serde(default)]
        pub stdout: String,
        /// Standard error.
        #[serde(default)]
        pub stderr: String,
        /// Exit code of a command hook.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exit_code: Option<i32>,
        /// How it ended.
        pub outcome: HookOutcome,
    }
}

string_enum! {
    /// Running state of the main session.
    pub enum SessionState {
        /// Waiting for input.
        Idle = "idle",
        /// A turn is running.
        Running = "running",
        /// Waiting for the host (a permission answer, say).
        RequiresAction = "requires_action",
    }
}

system_struct! {
    /// `system/session_state_changed`.
    pub struct SessionStateChangedMessage ids = optional {
        /// The new state.
        pub state: SessionState,
    }
}

system_struct! {
    /// `system/session_title_changed`.
    pub struct SessionTitleChangedMessage ids = optional {
        /// The new title.
        pub title: String,
        /// `ai` (generated) or `custom` (set by the user).
        pub source: String,
        /// Increases with each change.
        pub revision: u64,
    }
}

/// A persisted file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersistedFile {
    /// File name.
    pub filename: String,
    /// Id it was stored under.
    pub file_id: String,
}

/// A file that failed to persist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailedFile {
    /// File name.
    pub filename: String,
    /// What went wrong.
    pub error: String,
}

system_struct! {
    /// `system/files_persisted`.
    pub struct FilesPersistedMessage ids = optional {
        /// Files stored.
        #[serde(default)]
        pub files: Vec<PersistedFile>,
        /// Files that failed.
        #[serde(default)]
        pub failed: Vec<FailedFile>,
        /// ISO 8601 time of processing.
        pub processed_at: String,
    }
}

system_struct! {
    /// `system/elicitation_complete`.
    pub struct ElicitationCompleteMessage ids = optional {
        /// MCP server that asked.
        pub mcp_server_name: String,
        /// Id of the elicitation.
        pub elicitation_id: String,
    }
}

system_struct! {
    /// `system/local_command_output`.
    pub struct LocalCommandOutputMessage ids = optional {
        /// The command's output.
        pub content: String,
    }
}

system_struct! {
    /// `system/mcp_status_change`.
    pub struct McpStatusChangeMessage ids = optional {
        /// All servers and their states.
        pub servers: Vec<McpServerStatus>,
    }
}

system_struct! {
    /// `system/bridge_state`.
    pub struct BridgeStateMessage ids = optional {
        /// The new state.
        pub state: String,
        /// More detail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<String>,
    }
}
