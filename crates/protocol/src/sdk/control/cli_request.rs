//! Payloads of the control requests the CLI sends to the SDK host (§7).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::permission::PermissionUpdate;

/// `can_use_tool` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CanUseToolRequest {
    /// Full tool name, e.g. `Bash` or `mcp__orders__lookup_order`.
    pub tool_name: String,
    /// The tool input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// Older spelling of `input`, read when `input` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_input: Option<Value>,
    /// Id of the tool call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// Permission updates the host may apply, e.g. "always allow".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_suggestions: Option<Vec<PermissionUpdate>>,
    /// Older spelling of `permission_suggestions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<Vec<PermissionUpdate>>,
    /// The path that made the call need approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_path: Option<String>,
    /// Why approval is needed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    /// Why approval is needed, as a category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason_type: Option<String>,
    /// Whether the runtime classifier could approve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier_approvable: Option<bool>,
    /// Title for an approval prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Tool name for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What the call will do, e.g. `Create /home/me/proj/hello.txt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Subagent making the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Extra detail: an `ExitPlanMode` plan or a repeated-call warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Plan file (legacy `ExitPlanMode` detail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_path: Option<String>,
    /// Plan text (legacy `ExitPlanMode` detail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_content: Option<String>,
    /// Kind of permission asked (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_kind: Option<String>,
    /// Answer options (TypeScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CanUseToolRequest {
    /// The tool input: `input`, else `tool_input`.
    pub fn tool_input(&self) -> Option<&Value> {
        self.input.as_ref().or(self.tool_input.as_ref())
    }

    /// The suggested permission updates under either spelling.
    pub fn suggestions(&self) -> &[PermissionUpdate] {
        self.permission_suggestions
            .as_deref()
            .or(self.suggestions.as_deref())
            .unwrap_or(&[])
    }
}

/// `hook_callback` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HookCallbackRequest {
    /// One of the callback ids from `initialize.hooks`.
    pub callback_id: String,
    /// The hook input (§10).
    #[serde(default)]
    pub input: Value,
    /// The tool call the hook is about; `null` for other events.
    #[serde(default)]
    pub tool_use_id: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_message` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpMessageRequest {
    /// The SDK MCP server.
    pub server_name: String,
    /// A JSON-RPC 2.0 message.
    pub message: Value,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mcp_oauth_required` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpOauthRequiredRequest {
    /// The server.
    pub server_name: String,
    /// Where the user authorizes.
    pub auth_url: String,
    /// OAuth state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Scopes asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Redirect URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `elicitation` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ElicitationRequest {
    /// MCP server that asks.
    pub mcp_server_name: String,
    /// What it asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Older spelling of `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// `form` or `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// URL to open in `url` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Id of the elicitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicitation_id: Option<String>,
    /// JSON Schema of the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_schema: Option<Value>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Server name for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `get_model_policy` (CLI → SDK). Keys are camelCase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetModelPolicyRequest {
    /// What the model request is for: `main`, `plan`, `task`, `compact`, …
    pub purpose: String,
    /// The CLI's session id.
    pub session_id: String,
    /// Turn number in the session.
    pub turn_index: u64,
    /// Subagent making the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Subagent type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_type: Option<String>,
    /// Model the CLI would use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_model: Option<String>,
    /// Models known to the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Value>,
    /// Context use so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_usage: Option<Value>,
    /// Estimated prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_input_tokens: Option<u64>,
    /// Estimated output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_output_tokens: Option<u64>,
    /// Retry information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Value>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `fetch_job_token` (CLI → SDK).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FetchJobTokenRequest {
    /// `initial`, `expiring` or `unauthorized`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The CLI's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `fetch_service_account_token` (CLI → SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FetchServiceAccountTokenRequest {
    /// `initial`, `expiring` or `unauthorized`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Scopes the token must carry.
    #[serde(default)]
    pub required_scopes: Vec<String>,
    /// The CLI's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A gate callback (`memory_should_generate`, `skill_evolution_should_review`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CallbackRequest {
    /// Id of the host callback.
    #[serde(rename = "callbackId")]
    pub callback_id: String,
    /// What the callback decides about.
    #[serde(default)]
    pub input: Value,
    /// Keys not listed above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
