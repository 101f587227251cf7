//! The event-specific input fields of every hook event, one struct each,
//! serialized with exactly the documented field names (cli-core.md §5.6,
//! `qoder-docs/cli/hooks.md` "Event Reference").
//!
//! Fields the docs list for an event are always written (strings may be
//! empty, optional values are `null`), so a hook script can rely on them;
//! only the MCP-only fields (`mcp_context`, `original_request_name`) and the
//! SDK's `duration_ms` are left out when they do not apply.

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The value as written in the payload (and matched by matchers).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

value_enum! {
    /// Why a session started (SessionStart `source`).
    SessionSource {
        /// A new session at startup.
        Startup => "startup",
        /// An existing session resumed.
        Resume => "resume",
        /// Reset with `/clear`.
        Clear => "clear",
        /// After compaction.
        Compact => "compact",
        /// A new session from another source.
        New => "new",
    }
}

value_enum! {
    /// Why a session ended (SessionEnd `reason`).
    SessionEndReason {
        /// `/clear`.
        Clear => "clear",
        /// Switched to another session.
        Resume => "resume",
        /// The user logged out.
        Logout => "logout",
        /// The user left the prompt (Ctrl+D ...).
        PromptInputExit => "prompt_input_exit",
        /// Bypass-permissions mode was disabled.
        BypassPermissionsDisabled => "bypass_permissions_disabled",
        /// Anything else.
        Other => "other",
    }
}

value_enum! {
    /// What kind of error stopped the agent (StopFailure `error_type`).
    StopErrorType {
        /// Rate limited.
        RateLimit => "rate_limit",
        /// Authentication failed.
        AuthenticationFailed => "authentication_failed",
        /// A billing problem.
        BillingError => "billing_error",
        /// The request was invalid.
        InvalidRequest => "invalid_request",
        /// The server failed.
        ServerError => "server_error",
        /// The answer hit the output token limit.
        MaxOutputTokens => "max_output_tokens",
        /// Anything else.
        Unknown => "unknown",
    }
}

value_enum! {
    /// What started a compaction (PreCompact / PostCompact `trigger`).
    CompactTrigger {
        /// `/compact`.
        Manual => "manual",
        /// The context window was nearly full.
        Auto => "auto",
    }
}

value_enum! {
    /// The kind of notification (Notification `notification_type`).
    NotificationType {
        /// A tool asks for permission.
        PermissionPrompt => "permission_prompt",
        /// The agent is idle and waits for input.
        IdlePrompt => "idle_prompt",
        /// Authentication succeeded.
        AuthSuccess => "auth_success",
        /// An MCP elicitation dialog opened.
        ElicitationDialog => "elicitation_dialog",
        /// The user answered an elicitation.
        ElicitationResponse => "elicitation_response",
        /// An elicitation finished.
        ElicitationComplete => "elicitation_complete",
    }
}

value_enum! {
    /// Why an instruction file was loaded (InstructionsLoaded `load_reason`).
    LoadReason {
        /// At session start.
        SessionStart => "session_start",
        /// While walking into a subdirectory.
        NestedTraversal => "nested_traversal",
        /// A rule's glob matched a file.
        PathGlobMatch => "path_glob_match",
        /// An `@` import.
        Include => "include",
        /// Reloaded after compaction.
        Compact => "compact",
    }
}

value_enum! {
    /// Which configuration changed (ConfigChange `source`).
    ConfigSource {
        /// `~/.qoder/settings.json`.
        UserSettings => "user_settings",
        /// `<proj>/.qoder/settings.json`.
        ProjectSettings => "project_settings",
        /// `<proj>/.qoder/settings.local.json`.
        LocalSettings => "local_settings",
        /// The organisation policy (cannot be blocked).
        PolicySettings => "policy_settings",
        /// A skill directory.
        Skills => "skills",
        /// A custom agent directory.
        Agents => "agents",
    }
}

value_enum! {
    /// What happened to a watched file (FileChanged `event`).
    FileEvent {
        /// Its content changed.
        Change => "change",
        /// It was created.
        Add => "add",
        /// It was deleted.
        Unlink => "unlink",
    }
}

value_enum! {
    /// The user's answer to an elicitation (and a hook's override of it).
    ElicitationAction {
        /// Accepted, with content.
        Accept => "accept",
        /// Declined.
        Decline => "decline",
        /// Cancelled.
        Cancel => "cancel",
    }
}

/// SessionStart fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStartInput {
    /// Why the session started.
    pub source: SessionSource,
    /// The session's model.
    pub model: String,
}

/// SessionEnd fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEndInput {
    /// Why the session ended.
    pub reason: SessionEndReason,
}

/// UserPromptSubmit fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPromptSubmitInput {
    /// The prompt as the user wrote it.
    pub prompt: String,
}

/// The fields every tool event starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The tool's name (`Bash`, `mcp__server__tool` ...).
    pub tool_name: String,
    /// The tool's input object.
    pub tool_input: Value,
    /// The id of the model's tool call.
    pub tool_use_id: String,
    /// For MCP tools: server name, tool name and connection details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_context: Option<Value>,
    /// For MCP tools: the tool name as the model requested it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_request_name: Option<String>,
}

/// PreToolUse fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreToolUseInput {
    /// The call about to run.
    #[serde(flatten)]
    pub call: ToolCall,
}

/// PostToolUse fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostToolUseInput {
    /// The call that ran.
    #[serde(flatten)]
    pub call: ToolCall,
    /// What the tool returned (shape depends on the tool).
    pub tool_response: Value,
    /// How long the tool ran, when known (SDK field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// PostToolUseFailure fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostToolUseFailureInput {
    /// The call that failed.
    #[serde(flatten)]
    pub call: ToolCall,
    /// The error message.
    pub error: String,
    /// A short error category (`execution_failed` ...).
    pub error_type: String,
    /// Whether the user interrupted the tool.
    pub is_interrupt: bool,
}

/// PermissionRequest fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequestInput {
    /// The tool that needs approval.
    pub tool_name: String,
    /// Its input.
    pub tool_input: Value,
    /// Permission updates the user could pick (PermissionUpdate objects).
    pub permission_suggestions: Vec<Value>,
}

/// PermissionDenied fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionDeniedInput {
    /// The denied tool.
    pub tool_name: String,
    /// Its input.
    pub tool_input: Value,
    /// The id of the model's tool call.
    pub tool_use_id: String,
    /// Why the classifier denied it.
    pub reason: String,
}

/// Stop fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopInput {
    /// Whether this turn is already driven by a Stop hook.
    pub stop_hook_active: bool,
    /// The agent's last text answer.
    pub last_assistant_message: String,
}

/// StopFailure fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopFailureInput {
    /// The error's category.
    pub error_type: StopErrorType,
    /// The error message.
    pub error: String,
    /// More detail about the error.
    pub error_details: String,
    /// The agent's last text answer.
    pub last_assistant_message: String,
}

/// SubagentStart fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubagentStartInput {
    /// The subagent's id.
    pub agent_id: String,
    /// The subagent's type (its definition name).
    pub agent_type: String,
}

/// SubagentStop fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubagentStopInput {
    /// The subagent's id.
    pub agent_id: String,
    /// The subagent's type.
    pub agent_type: String,
    /// Whether this turn is already driven by a stop hook.
    pub stop_hook_active: bool,
    /// The subagent's own transcript.
    pub agent_transcript_path: String,
    /// The subagent's last text answer.
    pub last_assistant_message: String,
}

/// PreCompact fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreCompactInput {
    /// What started the compaction.
    pub trigger: CompactTrigger,
    /// The user's `/compact` instructions (empty when none).
    pub custom_instructions: String,
}

/// PostCompact fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCompactInput {
    /// What started the compaction.
    pub trigger: CompactTrigger,
    /// The summary that replaced the history.
    pub compact_summary: String,
}

/// Notification fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationInput {
    /// The kind of notification.
    pub notification_type: NotificationType,
    /// The notification text.
    pub message: String,
    /// Its title.
    pub title: String,
    /// Kind-specific details (an object).
    pub details: Value,
}

/// InstructionsLoaded fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionsLoadedInput {
    /// The loaded file (absolute).
    pub file_path: String,
    /// Which memory it is (`user`, `project`, `local` ...).
    pub memory_type: String,
    /// Why it was loaded.
    pub load_reason: LoadReason,
    /// The globs of a rule file (empty for AGENTS.md files without any).
    pub globs: Vec<String>,
    /// The file whose access triggered the load, if any.
    pub trigger_file_path: Option<String>,
    /// The file that imported it, if any.
    pub parent_file_path: Option<String>,
}

/// ConfigChange fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigChangeInput {
    /// Which configuration changed.
    pub source: ConfigSource,
    /// The changed file (absolute).
    pub file_path: String,
}

/// CwdChanged fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CwdChangedInput {
    /// The previous working directory.
    pub old_cwd: String,
    /// The new working directory.
    pub new_cwd: String,
}

/// FileChanged fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChangedInput {
    /// The changed file (absolute).
    pub file_path: String,
    /// What happened to it.
    pub event: FileEvent,
}

/// WorktreeCreate fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorktreeCreateInput {
    /// The requested worktree name.
    pub name: String,
}

/// WorktreeRemove fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorktreeRemoveInput {
    /// The worktree being removed (absolute).
    pub worktree_path: String,
}

/// Elicitation fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElicitationInput {
    /// The MCP server that asks.
    pub mcp_server_name: String,
    /// What it asks.
    pub message: String,
    /// `form` or `url`.
    pub mode: String,
    /// The URL to open in `url` mode.
    pub url: Option<String>,
    /// The elicitation's id.
    pub elicitation_id: String,
    /// The JSON Schema of the requested content.
    pub requested_schema: Value,
}

/// ElicitationResult fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElicitationResultInput {
    /// The MCP server that asked.
    pub mcp_server_name: String,
    /// The user's answer.
    pub action: ElicitationAction,
    /// The content the user gave (with `accept`).
    pub content: Value,
    /// `form` or `url`.
    pub mode: String,
    /// The elicitation's id.
    pub elicitation_id: String,
}
