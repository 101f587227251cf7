//! The typed settings document: every key the Qoder documentation names.
//!
//! Each struct keeps the keys it does not know in `extra` (flattened), so
//! nothing a user wrote is lost when a file is read and written back; the
//! loader warns about them. The doc comments become the descriptions in
//! `schema/settings.schema.json`.
//!
//! Two sections are permissive on purpose until their crates exist: a hook
//! group types `matcher`/`async` but keeps each hook entry as raw JSON, and
//! `mcpServers` keeps each server as raw JSON (its `${VAR}` expansion is done
//! by the loader).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A whole settings file (`settings.json`, `settings.local.json`,
/// `--settings`), or the merge of several.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Qoder / ferrule settings")]
pub struct Settings {
    /// The JSON Schema an editor should validate this file with (for
    /// example the path or URL of `schema/settings.schema.json`). Ignored
    /// by the loader.
    #[serde(default, rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Permission rules, working directories and the default mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionSettings>,
    /// General behaviour: default permission mode, plan mode, updates,
    /// file checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub general: Option<GeneralSettings>,
    /// Switches an organisation uses to lock features down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecuritySettings>,
    /// Natural-language guidance for the `auto` mode classifier. Read only
    /// from user, local, flag and policy settings, never from the shared
    /// project file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_mode: Option<AutoModeSettings>,
    /// Hooks by event name (`PreToolUse`, `Stop`, ...). Groups of the same
    /// event from different layers all run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<BTreeMap<String, Vec<HookGroup>>>,
    /// MCP servers by name. A server from a higher layer replaces a server of
    /// the same name from a lower one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<BTreeMap<String, Value>>,
    /// Plugin ids (`name@local`) and whether each is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_plugins: Option<BTreeMap<String, bool>>,
    /// Overrides of discovered subagents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<AgentsSettings>,
    /// Memory file naming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextSettings>,
    /// Glob patterns of AGENTS.md files not to load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents_md_excludes: Option<Vec<String>>,
    /// Tool discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolsSettings>,
    /// In policy settings: ignore permission rules from every other layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_managed_permission_rules_only: Option<bool>,
    /// The model (or tier, such as `auto` or `efficient`) to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// ferrule extension: names standing for a `provider/model`, e.g.
    /// `{"ultimate": "anthropic/claude-opus-4-1"}` (ARCHITECTURE.md, Models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_aliases: Option<BTreeMap<String, String>>,
    /// ferrule extension: base URL of the OpenAI-compatible provider, used
    /// when `OPENAI_BASE_URL` is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai_base_url: Option<String>,
    /// ferrule extension: base URL of the Anthropic provider, used when
    /// `ANTHROPIC_BASE_URL` is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_base_url: Option<String>,
    /// ferrule extension: price overrides by model-name prefix; each value is
    /// validated by `ferrule-model` (its `Price` shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_prices: Option<Map<String, Value>>,
    /// Environment variables set for the session's tools and hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// Cloud (`--remote`) session defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteSettings>,
    /// Qoder's code-security scans, as the SDKs pass them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_scan: Option<SecurityScanSettings>,
    /// Keys this version does not know: kept, reported as warnings.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `permissions`: rules and directories. Rule strings stay raw here; the
/// permissions crate parses them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionSettings {
    /// Rules that approve a call (`Read(/src/**)`, `Bash(npm test:*)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Rules that block a call; deny beats ask beats allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    /// Rules that require confirmation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ask: Vec<String>,
    /// Extra working directories (relative to the project, `~` to home).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_directories: Vec<String>,
    /// Directories trusted permanently (user settings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_directories: Vec<String>,
    /// Default mode in Claude Code / SDK spelling (`acceptEdits`, ...);
    /// `general.defaultPermissionMode` wins when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<String>,
    /// `"disable"` forbids bypass mode, like `security.disableYoloMode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_bypass_permissions_mode: Option<String>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `general`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeneralSettings {
    /// `default`, `accept_edits`, `plan`, `auto`, `bypass_permissions` or
    /// `dont_ask` (aliases and any case accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_permission_mode: Option<String>,
    /// Plan mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanSettings>,
    /// `false` turns automatic upgrades off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_auto_update: Option<bool>,
    /// File checkpoints (rewind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_checkpointing: Option<FileCheckpointingSettings>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `general.plan`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanSettings {
    /// `false` removes `/plan`, plan mode and the plan tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `general.fileCheckpointing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileCheckpointingSettings {
    /// Whether file checkpoints are taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `security`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecuritySettings {
    /// `true` disables bypass (YOLO) mode everywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_yolo_mode: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `autoMode`: sentences given to the classifier as guidance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AutoModeSettings {
    /// Operations the classifier should tend to approve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Operations the classifier should tend to deny.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub soft_deny: Vec<String>,
    /// Facts about the environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<String>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One group under `hooks.<Event>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookGroup {
    /// Which tool (or source) the group applies to; absent matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// The hooks to run (`{"type": "command", "command": "..."}`), kept as
    /// raw JSON for the hooks crate to validate.
    #[serde(default)]
    pub hooks: Vec<Value>,
    /// Run the group in the background.
    #[serde(default, rename = "async", skip_serializing_if = "Option::is_none")]
    pub run_async: Option<bool>,
    /// Run the group's hooks one after another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `agents`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentsSettings {
    /// Per-subagent overrides by name (`enabled`, `tools`, `runConfig`,
    /// `modelConfig`, `mcpServers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<BTreeMap<String, AgentOverride>>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `agents.overrides.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentOverride {
    /// `false` hides the subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Tool allow-list replacing the definition's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// Runtime limits (`maxTurns`, `maxTimeMinutes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_config: Option<Map<String, Value>>,
    /// Model and generation parameters (`model`, `generateContentConfig`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_config: Option<Map<String, Value>>,
    /// MCP servers appended to the subagent's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<BTreeMap<String, Value>>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `context`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextSettings {
    /// Memory file name(s) replacing `AGENTS.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<OneOrMany>,
    /// ferrule extension: context window in tokens by model-id prefix
    /// (`{"qwen3-coder": 262144}`), replacing ferrule-context's table;
    /// the longest matching prefix wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<BTreeMap<String, u64>>,
    /// ferrule extension: files (relative to the project) whose current
    /// content every compaction keeps verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_files: Option<Vec<String>>,
    /// ferrule extension: `false` turns automatic compaction off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_compact: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// `tools`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolsSettings {
    /// Tool names removed from discovery at startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `remote`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteSettings {
    /// The cloud environment `--remote` uses by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_cloud_environment_id: Option<String>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `securityScan`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityScanSettings {
    /// Static checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_static_check: Option<bool>,
    /// Lightweight scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2_lightweight_scan: Option<bool>,
    /// Deep scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l3_deep_scan: Option<bool>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Settings {
    /// The configured default permission mode as written:
    /// `general.defaultPermissionMode`, else `permissions.defaultMode`
    /// (the SDK copies the second into the first unless it is set,
    /// sdk-protocol.md §1.7). The permissions crate parses the spelling.
    pub fn default_permission_mode(&self) -> Option<&str> {
        self.general
            .as_ref()
            .and_then(|g| g.default_permission_mode.as_deref())
            .or_else(|| {
                self.permissions
                    .as_ref()
                    .and_then(|p| p.default_mode.as_deref())
            })
    }

    /// Whether bypass mode is forbidden (`security.disableYoloMode: true` or
    /// `permissions.disableBypassPermissionsMode: "disable"`).
    pub fn bypass_disabled(&self) -> bool {
        self.security
            .as_ref()
            .and_then(|s| s.disable_yolo_mode)
            .unwrap_or(false)
            || self
                .permissions
                .as_ref()
                .and_then(|p| p.disable_bypass_permissions_mode.as_deref())
                == Some("disable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn camel_case_keys_and_unknown_keys_round_trip() {
        let v = json!({
            "permissions": {"allow": ["Read"], "additionalDirectories": ["../x"], "futureKey": 1},
            "general": {"defaultPermissionMode": "accept_edits", "plan": {"enabled": false}},
            "autoMode": {"soft_deny": ["rm"]},
            "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}], "async": true}]},
            "context": {"fileName": ["AGENTS.md", "CLAUDE.md"]},
            "somethingNew": {"a": [1, 2]}
        });
        let s: Settings = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(s.extra.get("somethingNew"), Some(&json!({"a": [1, 2]})));
        assert_eq!(serde_json::to_value(&s).unwrap(), v);
    }

    #[test]
    fn schema_key_is_known() {
        let s: Settings =
            serde_json::from_value(json!({"$schema": "./settings.schema.json"})).unwrap();
        assert_eq!(s.schema.as_deref(), Some("./settings.schema.json"));
        assert!(s.extra.is_empty());
    }

    #[test]
    fn general_mode_wins_over_permissions_default_mode() {
        let s: Settings = serde_json::from_value(json!({
            "permissions": {"defaultMode": "plan"},
            "general": {"defaultPermissionMode": "auto"}
        }))
        .unwrap();
        assert_eq!(s.default_permission_mode(), Some("auto"));
        let s: Settings =
            serde_json::from_value(json!({"permissions": {"defaultMode": "plan"}})).unwrap();
        assert_eq!(s.default_permission_mode(), Some("plan"));
    }

    #[test]
    fn either_spelling_disables_bypass() {
        let a: Settings =
            serde_json::from_value(json!({"security": {"disableYoloMode": true}})).unwrap();
        let b: Settings = serde_json::from_value(
            json!({"permissions": {"disableBypassPermissionsMode": "disable"}}),
        )
        .unwrap();
        assert!(a.bypass_disabled() && b.bypass_disabled());
        assert!(!Settings::default().bypass_disabled());
    }
}
