//! Every control request kind, in both directions (§6 SDK → CLI, §7 CLI → SDK),
//! and the payloads of the SDK → CLI kinds; the CLI → SDK payloads are in
//! `cli_request.rs`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::control::cli_request::{
    CallbackRequest, CanUseToolRequest, ElicitationRequest, FetchJobTokenRequest,
    FetchServiceAccountTokenRequest, GetModelPolicyRequest, HookCallbackRequest, McpMessageRequest,
    McpOauthRequiredRequest,
};
use crate::sdk::mcp::McpServerConfig;
use crate::sdk::permission::PermissionMode;
use crate::wire::{js_number_opt, open_union};

open_union! {
    /// The `request` of a `control_request`, chosen by `subtype` (or `type`).
    pub enum ControlRequest {
        what = "control request";
        tags = ["subtype", "type"];
        // SDK → CLI: session control (§6.1, §6.2).
        /// SDK → CLI, always first: register hooks, agents, SDK MCP servers.
        Initialize(InitializeRequest) = "initialize",
        /// SDK → CLI: abort the running turn.
        Interrupt(InterruptRequest) = "interrupt",
        /// SDK → CLI: change the permission mode.
        SetPermissionMode(SetPermissionModeRequest) = "set_permission_mode",
        /// SDK → CLI: change the model (`null` = default).
        SetModel(SetModelRequest) = "set_model",
        /// SDK → CLI: change the proxy.
        SetProxy(SetProxyRequest) = "set_proxy",
        /// SDK → CLI: list available models.
        GetModels(EmptyRequest) = "get_models",
        /// SDK → CLI: report context window use.
        GetContextUsage(EmptyRequest) = "get_context_usage",
        /// SDK → CLI: report account quota and session credits.
        GetUsageInfo(EmptyRequest) = "get_usage_info",
        /// SDK → CLI: merge settings at flag level now.
        ApplyFlagSettings(ApplyFlagSettingsRequest) = "apply_flag_settings",
        /// SDK → CLI: list BYOK providers.
        GetByokConfig(EmptyRequest) = "get_byok_config",
        /// SDK → CLI: answer a side question outside the conversation.
        SideQuestion(SideQuestionRequest) = "side_question",
        /// SDK → CLI: remove a queued user message.
        CancelAsyncMessage(CancelAsyncMessageRequest) = "cancel_async_message",
        /// SDK → CLI: stop a background task.
        StopTask(StopTaskRequest) = "stop_task",
        /// SDK → CLI: move running work to the background.
        BackgroundTasks(BackgroundTasksRequest) = "background_tasks",
        /// SDK → CLI: switch plan mode.
        SetPlanMode(SetPlanModeRequest) = "set_plan_mode",
        /// SDK → CLI: report plan mode.
        GetPlanMode(EmptyRequest) = "get_plan_mode",
        /// SDK → CLI: set or change the session goal.
        SetGoal(SetGoalRequest) = "set_goal",
        /// SDK → CLI: report the session goal.
        GetGoal(EmptyRequest) = "get_goal",
        /// SDK → CLI: clear the session goal.
        ClearGoal(EmptyRequest) = "clear_goal",
        /// SDK → CLI: flush SDK-owned memory.
        FlushMemory(EmptyRequest) = "flush_memory",
        /// SDK → CLI: reload SDK-owned memory.
        RefreshMemory(EmptyRequest) = "refresh_memory",
        /// SDK → CLI: finish skill evolution before stdin closes.
        FlushSkillEvolution(EmptyRequest) = "flush_skill_evolution",
        // SDK → CLI: files (§6.3).
        /// SDK → CLI: restore files to their state at a user message.
        RewindFiles(RewindFilesRequest) = "rewind_files",
        /// SDK → CLI: rewind conversation, files, or both.
        Rewind(RewindRequest) = "rewind",
        // SDK → CLI: MCP management (§6.4).
        /// SDK → CLI: report MCP server states.
        McpStatus(EmptyRequest) = "mcp_status",
        /// SDK → CLI: reconnect one MCP server.
        McpReconnect(McpServerNameRequest) = "mcp_reconnect",
        /// SDK → CLI: enable or disable one MCP server.
        McpToggle(McpToggleRequest) = "mcp_toggle",
        /// SDK → CLI: replace the MCP server set.
        McpSetServers(McpSetServersRequest) = "mcp_set_servers",
        /// SDK → CLI: start OAuth for an MCP server.
        McpAuthenticate(McpAuthenticateRequest) = "mcp_authenticate",
        /// SDK → CLI: hand over the OAuth callback URL.
        McpOauthCallbackUrl(McpOauthCallbackUrlRequest) = "mcp_oauth_callback_url",
        /// SDK → CLI: set an MCP server's OAuth token.
        McpInjectToken(McpInjectTokenRequest) = "mcp_inject_token",
        /// SDK → CLI: forget an MCP server's credentials.
        McpClearAuth(McpServerNameRequest) = "mcp_clear_auth",
        // SDK → CLI: plugins (§6.5).
        /// SDK → CLI: reload plugins.
        ReloadPlugins(EmptyRequest) = "reload_plugins",
        /// SDK → CLI: list plugins.
        ListPlugins(EmptyRequest) = "list_plugins",
        // SDK → CLI: TypeScript-only kinds (§6.5), fields kept as given.
        /// SDK → CLI (TypeScript): limit thinking tokens.
        SetMaxThinkingTokens(EmptyRequest) = "set_max_thinking_tokens",
        /// SDK → CLI (TypeScript): allow more directories.
        AddDirectories(EmptyRequest) = "add_directories",
        /// SDK → CLI (TypeScript): generate a session title.
        GenerateSessionTitle(EmptyRequest) = "generate_session_title",
        /// SDK → CLI (TypeScript): report account information.
        AccountInfo(EmptyRequest) = "account_info",
        /// SDK → CLI (TypeScript): mark a file as read at a given mtime.
        SeedReadState(SeedReadStateRequest) = "seed_read_state",
        /// SDK → CLI (TypeScript): reload skills.
        ReloadSkills(EmptyRequest) = "reload_skills",
        /// SDK → CLI (TypeScript): report effective settings.
        GetSettings(EmptyRequest) = "get_settings",
        /// SDK → CLI (TypeScript): end the session.
        EndSession(EmptyRequest) = "end_session",
        /// SDK → CLI (TypeScript): set the goal's turn limit.
        SetGoalMaxTurns(EmptyRequest) = "set_goal_max_turns",
        /// SDK → CLI (TypeScript): resume a paused goal.
        ResumeGoal(EmptyRequest) = "resume_goal",
        /// SDK → CLI (TypeScript): enable a channel.
        ChannelEnable(EmptyRequest) = "channel_enable",
        /// SDK → CLI (TypeScript): start remote projection.
        EnableRemoteProjection(EmptyRequest) = "enable_remote_projection",
        /// SDK → CLI (TypeScript): stop remote projection.
        DisableRemoteProjection(EmptyRequest) = "disable_remote_projection",
        /// SDK → CLI (TypeScript): list BYOK configs.
        ListByokConfigs(EmptyRequest) = "list_byok_configs",
        /// SDK → CLI (TypeScript): create a BYOK config.
        CreateByokConfig(EmptyRequest) = "create_byok_config",
        /// SDK → CLI (TypeScript): validate a BYOK model.
        ValidateByokModel(EmptyRequest) = "validate_byok_model",
        // CLI → SDK (§7).
        /// CLI → SDK: may this tool call run?
        CanUseTool(CanUseToolRequest) = "can_use_tool",
        /// CLI → SDK: run an SDK hook callback.
        HookCallback(HookCallbackRequest) = "hook_callback",
        /// CLI → SDK: a JSON-RPC message for an in-process SDK MCP server.
        McpMessage(McpMessageRequest) = "mcp_message",
        /// CLI → SDK: an MCP server needs OAuth.
        McpOauthRequired(McpOauthRequiredRequest) = "mcp_oauth_required",
        /// CLI → SDK: an MCP server asks the user for input.
        Elicitation(ElicitationRequest) = "elicitation",
        /// CLI → SDK: the same request under the name some CLIs use.
        ElicitationResponse(ElicitationRequest) = "elicitation_response",
        /// CLI → SDK: which model should this request use?
        GetModelPolicy(GetModelPolicyRequest) = "get_model_policy",
        /// CLI → SDK: a job token, please.
        FetchJobToken(FetchJobTokenRequest) = "fetch_job_token",
        /// CLI → SDK: a service account token, please.
        FetchServiceAccountToken(FetchServiceAccountTokenRequest) = "fetch_service_account_token",
        /// CLI → SDK: should memory be generated now?
        MemoryShouldGenerate(CallbackRequest) = "memory_should_generate",
        /// CLI → SDK: should skill evolution review this turn?
        SkillEvolutionShouldReview(CallbackRequest) = "skill_evolution_should_review",
        /// CLI → SDK (TypeScript): resolve session artifacts.
        ResolveSessionArtifacts(EmptyRequest) = "resolve_session_artifacts",
    }
}

impl ControlRequest {
    /// The error text the CLI answers an unsupported kind with (§5).
    pub fn unsupported_message(&self) -> String {
        format!("Unsupported control request subtype: {}", self.kind())
    }
}

/// A request with no fields of its own; any fields sent are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmptyRequest {
    /// Fields sent with the request, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `initialize` (§6.1). Python sends the first group of fields; the
/// TypeScript SDK adds the rest. Keys are camelCase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequest {
    /// SDK hook callbacks per hook event name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<BTreeMap<String, Vec<HookMatcherConfig>>>,
    /// Custom subagents by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<BTreeMap<String, AgentDefinition>>,
    /// Main-session skill allowlist (`[]` hides all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// Turn file checkpoints on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_file_checkpointing: Option<bool>,
    /// Names of in-process SDK MCP servers to connect over `mcp_message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_mcp_servers: Option<Vec<String>>,
    /// SDK-owned memory config (advanced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Value>,
    /// Skill-evolution config (advanced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evolution: Option<Value>,
    /// True: ask `get_model_policy` before each model request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_policy_provider: Option<bool>,
    /// How long the SDK waits for the answer, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialize_timeout_ms: Option<u64>,
    /// The host accepts an answer that waits for the model catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_catalog_ready_initialize: Option<bool>,
    /// Send `system/available_models_update` snapshots (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_available_models_update: Option<bool>,
    /// Send `system/commands_changed` snapshots (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_commands_changed: Option<bool>,
    /// System prompt replacing the default (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<Value>,
    /// Text appended to the default system prompt (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append_system_prompt: Option<String>,
    /// Patches applied to model requests (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_request_patches: Option<Value>,
    /// Emit `prompt_suggestion` lines (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_suggestions: Option<bool>,
    /// Plan mode is controlled apart from the permission mode (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent_plan_mode_controls: Option<bool>,
    /// Initial permission mode (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<PermissionMode>,
    /// Ask the host to resolve session artifacts (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_session_artifacts: Option<Value>,
    /// Per-tool overrides for SDK MCP servers (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_mcp_tool_overrides: Option<Value>,
    /// Model to use (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Working directory (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Allowed tool rules (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_tools: Option<Vec<String>>,
    /// Disallowed tool rules (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallowed_tools: Option<Vec<String>>,
    /// MCP servers (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<Value>,
    /// Plugins (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins: Option<Value>,
    /// Thinking token limit (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_thinking_tokens: Option<u64>,
    /// Goal turn limit (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_max_turns: Option<u64>,
    /// Leave dynamic sections out of the system prompt (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_dynamic_sections: Option<Value>,
    /// Summaries of subagent progress (TypeScript type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_progress_summaries: Option<Value>,
    /// Keys not listed above (e.g. Python's duplicate `type`), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One hook registration of `initialize.hooks` (§10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookMatcherConfig {
    /// Regex over the tool name; `null`, `""` or `"*"` match everything.
    #[serde(default)]
    pub matcher: Option<String>,
    /// Callback ids (`hook_<n>`) to fire with `hook_callback`.
    pub hook_callback_ids: Vec<String>,
    /// Seconds to wait for each callback; 60 when absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt::serialize"
    )]
    pub timeout: Option<f64>,
}

/// A subagent definition of `initialize.agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentDefinition {
    /// When to use the agent.
    pub description: String,
    /// Its system prompt.
    pub prompt: String,
    /// Tools it may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// Tools it may not use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallowed_tools: Option<Vec<String>>,
    /// Model it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Skills it may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// MCP servers it may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<Value>,
    /// First prompt it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_prompt: Option<String>,
    /// Its turn limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u64>,
    /// Reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// Its permission mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<PermissionMode>,
    /// Runs in the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<bool>,
    /// Keys not listed above (TypeScript `memory`, `isolation`, …), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `interrupt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InterruptRequest {
    /// Also drop queued user messages (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_queued: Option<bool>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `set_permission_mode`. The mode stays a string so that an unknown value
/// can be answered with `unknown permission_mode: X`; see
/// [`PermissionMode::from_loose`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetPermissionModeRequest {
    /// The new mode as sent.
    pub mode: String,
    /// Keep plan mode on while changing the mode (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_plan_mode: Option<bool>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `set_model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SetModelRequest {
    /// The new model, `provider/model`; `null` goes back to the default.
    #[serde(default)]
    pub model: Option<String>,
    /// Reasoning effort to use with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Context window to assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `set_proxy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SetProxyRequest {
    /// Proxy URL; `null` removes it.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `apply_flag_settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApplyFlagSettingsRequest {
    /// Settings to merge at flag level.
    pub settings: Map<String, Value>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `side_question`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SideQuestionRequest {
    /// The question.
    pub question: String,
    /// Earlier side questions and their answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<SideQuestionExchange>>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One earlier side question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SideQuestionExchange {
    /// The question.
    pub question: String,
    /// The answer.
    pub response: String,
}

/// `cancel_async_message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CancelAsyncMessageRequest {
    /// Uuid of the queued user message.
    pub message_uuid: String,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stop_task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StopTaskRequest {
    /// The task to stop.
    pub task_id: String,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `background_tasks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BackgroundTasksRequest {
    /// The tool call to background; all running work when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `set_plan_mode`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SetPlanModeRequest {
    /// True to turn plan mode on.
    pub active: bool,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `set_goal`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SetGoalRequest {
    /// What the goal is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// New goal state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Credit budget.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt::serialize"
    )]
    pub credits_budget: Option<f64>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `rewind_files`. `user_message_id` is optional here so that a request
/// missing it still parses and can get the error response §6.3 asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RewindFilesRequest {
    /// Uuid of the user message whose starting state to restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message_id: Option<String>,
    /// Compute the answer without changing anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `rewind`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RewindRequest {
    /// Uuid of the user message to rewind to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message_id: Option<String>,
    /// `conversation`, `files` or `both`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Compute the answer without changing anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A request naming one MCP server (`mcp_reconnect`, `mcp_clear_auth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerNameRequest {
    /// The server.
    pub server_name: String,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_toggle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpToggleRequest {
    /// The server.
    pub server_name: String,
    /// True to enable it.
    pub enabled: bool,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_set_servers`: the complete new server set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpSetServersRequest {
    /// Servers by name.
    pub servers: BTreeMap<String, McpServerConfig>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_authenticate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpAuthenticateRequest {
    /// The server.
    pub server_name: String,
    /// Where the OAuth provider redirects to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_oauth_callback_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpOauthCallbackUrlRequest {
    /// The server.
    pub server_name: String,
    /// The URL the OAuth provider redirected to.
    pub callback_url: String,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_inject_token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpInjectTokenRequest {
    /// The server.
    pub server_name: String,
    /// The token.
    pub token: McpToken,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An OAuth token for an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpToken {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Token type, e.g. `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, as the host gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Value>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `seed_read_state` (TypeScript).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeedReadStateRequest {
    /// File to mark as read.
    pub path: String,
    /// Its modification time as the host saw it.
    pub mtime: Value,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
