//! Typed success payloads, one per request kind that answers with data.
//! Read them with [`crate::sdk::ControlSuccess::parse`]; build answers with
//! [`crate::sdk::ControlResponseEnvelope::success`].
//!
//! `can_use_tool` is answered with [`crate::sdk::PermissionResult`];
//! `hook_callback` with the hook's JSON output, which the hooks crate types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::goal::GoalSnapshot;
use crate::sdk::mcp::McpServerStatus;
use crate::sdk::permission::PermissionMode;
use crate::sdk::system::{FastModeState, PlanModeState, PluginInfo};
use crate::wire::string_enum;

/// Answer to `initialize` (§6.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InitializeResponse {
    /// Slash commands.
    #[serde(default)]
    pub commands: Vec<SlashCommandInfo>,
    /// Subagents; includes every agent passed in `initialize`.
    #[serde(default)]
    pub agents: Vec<AgentInfo>,
    /// Skills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<SkillInfo>>,
    /// Current output style; `default`.
    #[serde(default)]
    pub output_style: String,
    /// Output styles available.
    #[serde(default)]
    pub available_output_styles: Vec<String>,
    /// Models available.
    #[serde(default)]
    pub models: Vec<ModelInfo>,
    /// Account details; `{}` is fine.
    #[serde(default)]
    pub account: Map<String, Value>,
    /// Capabilities; the Python SDK gates methods on these.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Permission mode after initialize.
    #[serde(
        rename = "permissionMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permission_mode: Option<PermissionMode>,
    /// SDK memory state, when the host sent `memory` and it was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Value>,
    /// Skill-evolution state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evolution: Option<Value>,
    /// Fast-mode state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast_mode_state: Option<FastModeState>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A slash command in the `initialize` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlashCommandInfo {
    /// Command name without the slash.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Hint for its arguments.
    #[serde(default)]
    pub argument_hint: String,
}

/// A subagent in the `initialize` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    /// Agent name.
    pub name: String,
    /// When to use it.
    #[serde(default)]
    pub description: String,
    /// Its model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// A skill in the `initialize` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SkillInfo {
    /// Skill name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A model in `initialize` and `get_models` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The model id to pass to `set_model`, e.g. `openai/gpt-4.1`.
    pub value: String,
    /// Name for display.
    #[serde(default)]
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Whether this is the default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// Whether it can be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Answer to `get_models`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GetModelsResponse {
    /// Models available.
    #[serde(default)]
    pub models: Vec<ModelInfo>,
}

/// Answer to `interrupt` (TypeScript reads it; Python reads nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InterruptResponse {
    /// Uuids of user messages still queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub still_queued: Option<Vec<String>>,
    /// Uuids of user messages dropped from the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Vec<String>>,
}

/// Answer to `cancel_async_message`; `cancelled` is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CancelAsyncMessageResponse {
    /// Whether the message was still queued and is now removed.
    pub cancelled: bool,
}

/// Answer to `side_question`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SideQuestionResponse {
    /// The answer; `null` when there is none.
    #[serde(default)]
    pub response: Option<String>,
    /// Whether the answer was made up by the CLI rather than a model.
    #[serde(default)]
    pub synthetic: bool,
    /// Whether a refusal fallback was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal_fallback: Option<bool>,
}

/// Answer to `background_tasks`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BackgroundTasksResponse {
    /// Whether something was moved to the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backgrounded: Option<bool>,
}

/// Answer to `set_plan_mode` and `get_plan_mode`; `plan_mode` is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanModeResponse {
    /// Plan mode now.
    pub plan_mode: PlanModeState,
}

/// Answer to `set_goal` and `get_goal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalResponse {
    /// The goal now; `null` when there is none.
    pub goal: Option<GoalSnapshot>,
}

/// Answer to `clear_goal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClearGoalResponse {
    /// Whether a goal was cleared.
    pub cleared: bool,
}

/// Answer to `rewind_files` (§6.3, §12). Impossible rewinds are success
/// answers with `canRewind: false` and `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewindFilesResponse {
    /// Whether the rewind can happen (or happened).
    pub can_rewind: bool,
    /// Why not, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Files the rewind changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_changed: Option<Vec<String>>,
    /// Lines the rewind adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insertions: Option<u64>,
    /// Lines the rewind removes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletions: Option<u64>,
}

string_enum! {
    /// Outcome of a `rewind`.
    pub enum RewindStatus {
        /// A dry run found it possible.
        Ready = "ready",
        /// Done.
        Success = "success",
        /// Done in part; see `failedFiles`.
        Partial = "partial",
        /// Refused; see `error`.
        Rejected = "rejected",
    }
}

/// Answer to `rewind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewindResponse {
    /// Outcome.
    pub status: RewindStatus,
    /// The user message rewound to.
    pub target_user_message_id: String,
    /// What was rewound.
    pub scope: String,
    /// Transcript entry that is now the leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_leaf_id: Option<String>,
    /// Transcript entries removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_message_ids: Option<Vec<String>>,
    /// Files changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_changed: Option<Vec<String>>,
    /// Lines added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insertions: Option<u64>,
    /// Lines removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletions: Option<u64>,
    /// Files that could not be restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_files: Option<Vec<RewindFailedFile>>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A file a rewind could not restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RewindFailedFile {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub error: String,
}

/// Answer to `mcp_status`. The CLI writes `servers`; the SDK renames it to
/// `mcpServers`, and either is read here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpStatusResponse {
    /// Every server, SDK servers included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<McpServerStatus>>,
    /// Same list under the SDK's name.
    #[serde(
        default,
        rename = "mcpServers",
        skip_serializing_if = "Option::is_none"
    )]
    pub mcp_servers: Option<Vec<McpServerStatus>>,
}

/// Answer to `mcp_set_servers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct McpSetServersResponse {
    /// Servers added.
    #[serde(default)]
    pub added: Vec<String>,
    /// Servers removed.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Servers that failed, with why.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
}

/// Answer to `mcp_authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpAuthenticateResponse {
    /// Where the user authorizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Whether the user must act (open `authUrl`).
    pub requires_user_action: bool,
}

/// Answer to `reload_plugins`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReloadPluginsResponse {
    /// Slash commands now.
    #[serde(default)]
    pub commands: Vec<SlashCommandInfo>,
    /// Subagents now.
    #[serde(default)]
    pub agents: Vec<AgentInfo>,
    /// Plugins now.
    #[serde(default)]
    pub plugins: Vec<PluginInfo>,
    /// MCP servers now.
    #[serde(default, rename = "mcpServers")]
    pub mcp_servers: Vec<McpServerStatus>,
    /// Plugins that failed to load.
    #[serde(default)]
    pub error_count: u64,
}

/// Answer to `list_plugins`; `plugins` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListPluginsResponse {
    /// Plugins loaded.
    pub plugins: Vec<PluginInfo>,
}

/// Answer to `mcp_message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpMessageResponse {
    /// The JSON-RPC response of the SDK MCP server.
    pub mcp_response: Value,
}

string_enum! {
    /// What the user did with an elicitation.
    pub enum ElicitationAction {
        /// Filled it in.
        Accept = "accept",
        /// Said no.
        Decline = "decline",
        /// Dismissed it.
        Cancel = "cancel",
    }
}

/// Answer to `elicitation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ElicitationResponse {
    /// What the user did.
    pub action: ElicitationAction,
    /// The form content, on accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    /// MCP metadata.
    #[serde(default, rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

/// Answer to `get_model_policy`. No `model` means "keep yours".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelPolicyResponse {
    /// `get_model_policy`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<String>,
    /// Model to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Request parameters to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Map<String, Value>>,
    /// A bring-your-own-key model to call instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_model: Option<CustomModel>,
    /// Keys not listed above (TypeScript `task_id`, `sub_task`), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A host-provided model of a model policy answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CustomModel {
    /// Provider key from the BYOK catalog.
    pub provider: String,
    /// API key for it.
    pub api_key: String,
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Protocol style; `openai` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Whether it takes images.
    #[serde(default, rename = "isVl", skip_serializing_if = "Option::is_none")]
    pub is_vl: Option<bool>,
}

/// Answer to `fetch_job_token` and `fetch_service_account_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenResponse {
    /// The token.
    pub token: String,
    /// Expiry in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// Answer to `memory_should_generate` and `skill_evolution_should_review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunDecisionResponse {
    /// Whether to go ahead.
    pub run: bool,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
