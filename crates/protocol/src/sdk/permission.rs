//! Permission data on the wire: modes, rule updates, the host's answer to
//! `can_use_tool`, and denial records (`sdk-protocol.md` §7, §9).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A permission mode, spelled camelCase as the SDKs send it.
///
/// `yolo` is read as [`PermissionMode::BypassPermissions`] (the Python SDK
/// sends it that way too, §6.2) and written as `bypassPermissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum PermissionMode {
    /// Read-only tools run; everything else asks.
    Default,
    /// File edits inside the workspace run; the rest asks.
    AcceptEdits,
    /// No changes: writes and commands are refused.
    Plan,
    /// Everything runs except what deny rules forbid.
    #[serde(alias = "yolo")]
    BypassPermissions,
    /// Whatever would ask is denied.
    DontAsk,
    /// The CLI decides; safe in-workspace edits may run.
    Auto,
}

/// Where a permission update is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum PermissionDestination {
    /// The user's settings file.
    UserSettings,
    /// The project's shared settings file.
    ProjectSettings,
    /// The project's local (git-ignored) settings file.
    LocalSettings,
    /// This session only.
    Session,
    /// Command-line level, like `--allowed-tools`.
    CliArg,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PermissionBehavior {
    /// Run without asking.
    Allow,
    /// Refuse.
    Deny,
    /// Ask the user or host.
    Ask,
}

/// One permission rule: a tool name and an optional specifier, as in
/// `Bash(git:*)` → `{toolName: "Bash", ruleContent: "git:*"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionRuleValue {
    /// Tool the rule applies to.
    pub tool_name: String,
    /// The part inside the parentheses, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_content: Option<String>,
}

/// A change to the permission settings, suggested by the CLI in
/// `can_use_tool` or applied by the host in an allow answer; tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum PermissionUpdate {
    /// Add rules.
    AddRules {
        /// The rules to add.
        rules: Vec<PermissionRuleValue>,
        /// Whether they allow, deny or ask.
        behavior: PermissionBehavior,
        /// Where to store them.
        destination: PermissionDestination,
    },
    /// Replace all rules of one behavior.
    ReplaceRules {
        /// The new rules.
        rules: Vec<PermissionRuleValue>,
        /// Which behavior's rules are replaced.
        behavior: PermissionBehavior,
        /// Where they are stored.
        destination: PermissionDestination,
    },
    /// Remove rules.
    RemoveRules {
        /// The rules to remove.
        rules: Vec<PermissionRuleValue>,
        /// Which behavior's rules they are.
        behavior: PermissionBehavior,
        /// Where they are stored.
        destination: PermissionDestination,
    },
    /// Switch the permission mode.
    SetMode {
        /// The new mode.
        mode: PermissionMode,
        /// Where to store it.
        destination: PermissionDestination,
    },
    /// Allow more working directories.
    AddDirectories {
        /// Directories to add.
        directories: Vec<String>,
        /// Where to store them.
        destination: PermissionDestination,
    },
    /// Stop allowing working directories.
    RemoveDirectories {
        /// Directories to remove.
        directories: Vec<String>,
        /// Where they are stored.
        destination: PermissionDestination,
    },
}

/// How the host classifies its own permission decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DecisionClassification {
    /// Allowed this once.
    UserTemporary,
    /// Allowed from now on.
    UserPermanent,
    /// Refused by the user.
    UserReject,
}

/// How long an allow answer holds (TypeScript SDK only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PermissionScope {
    /// This call only.
    Once,
    /// The rest of the session.
    Session,
    /// Stored in settings.
    Persist,
}

/// The host's answer to `can_use_tool`, tagged by `behavior` (§7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "behavior", rename_all = "snake_case")]
pub enum PermissionResult {
    /// Run the tool.
    Allow(PermissionAllow),
    /// Do not run the tool.
    Deny(PermissionDeny),
}

/// An allow answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionAllow {
    /// The input the tool runs with: the original input when the host changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_input: Option<Value>,
    /// Id of the tool call this answers.
    #[serde(default, rename = "toolUseID", skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// Permission changes to apply, e.g. "always allow this session".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_permissions: Option<Vec<PermissionUpdate>>,
    /// How the host classifies the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_classification: Option<DecisionClassification>,
    /// How long the answer holds (TypeScript SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_scope: Option<PermissionScope>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A deny answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDeny {
    /// Why, shown to the model in the tool result.
    #[serde(default)]
    pub message: String,
    /// Id of the tool call this answers.
    #[serde(default, rename = "toolUseID", skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// True to also end the turn, as an interrupt would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupt: Option<bool>,
    /// How the host classifies the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_classification: Option<DecisionClassification>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool call that was refused, listed in `result.permission_denials`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PermissionDenial {
    /// Name of the refused tool.
    pub tool_name: String,
    /// Id of the refused call.
    pub tool_use_id: String,
    /// The input the call had.
    pub tool_input: Value,
    /// The refusal message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Category of the reason, e.g. `rule`, `mode`, `hook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason_type: Option<String>,
    /// Human-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

impl PermissionMode {
    /// Reads a mode the way the CLI normalizes `--permission-mode`: case and
    /// non-alphanumerics are ignored, so `acceptEdits`, `accept_edits` and
    /// `ACCEPT-EDITS` all match; `yolo` means bypass. `None` if unknown.
    pub fn from_loose(text: &str) -> Option<Self> {
        let folded: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "default" => Some(Self::Default),
            "acceptedits" => Some(Self::AcceptEdits),
            "plan" => Some(Self::Plan),
            "bypasspermissions" | "yolo" => Some(Self::BypassPermissions),
            "dontask" => Some(Self::DontAsk),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }

    /// The camelCase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::AcceptEdits => "acceptEdits",
            Self::Plan => "plan",
            Self::BypassPermissions => "bypassPermissions",
            Self::DontAsk => "dontAsk",
            Self::Auto => "auto",
        }
    }
}
