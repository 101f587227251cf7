//! Agent tool configuration (`cloud-api.md` §5.4–5.7): validation of the
//! `tools` array and the plan of what the model is offered, with the
//! permission policy of each tool. Pure functions of the agent JSON.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The built-in tool names, canonical spelling.
pub const BUILTINS: [&str; 9] = [
    "Bash",
    "DeliverArtifacts",
    "Edit",
    "Glob",
    "Grep",
    "Read",
    "WebFetch",
    "WebSearch",
    "Write",
];

/// Permission policy of one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Runs without asking.
    Allow,
    /// Pauses the turn for `user.tool_confirmation`.
    Ask,
    /// Never runs.
    Deny,
}

impl Policy {
    /// The `evaluated_permission` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Ask => "ask",
            Self::Deny => "deny",
        }
    }

    fn parse(value: &Value, param: &str) -> Result<Option<Self>, ApiError> {
        match value.get("permission_policy") {
            None | Some(Value::Null) => Ok(None),
            Some(policy) => match policy.get("type").and_then(Value::as_str) {
                Some("always_allow") => Ok(Some(Self::Allow)),
                Some("always_ask") => Ok(Some(Self::Ask)),
                Some("always_deny") => Ok(Some(Self::Deny)),
                _ => Err(ApiError::field(
                    &format!("{param}.permission_policy.type"),
                    "permission_policy.type must be one of: always_allow, always_ask, always_deny.",
                )),
            },
        }
    }
}

/// A custom tool the client executes.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomTool {
    /// Name offered to the model.
    pub name: String,
    /// Description.
    pub description: String,
    /// JSON Schema of the input.
    pub input_schema: Value,
}

/// A tool of an MCP server, as offered at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpPlanTool {
    /// Name offered to the model, `mcp__<server>__<tool>`.
    pub name: String,
    /// The server's name in the agent's `mcp_servers`.
    pub server: String,
    /// The tool's own name on that server.
    pub tool: String,
    /// Its permission policy.
    pub policy: Policy,
}

/// What the model is offered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolPlan {
    /// Built-ins in canonical spelling with their policy.
    pub builtins: Vec<(&'static str, Policy)>,
    /// Custom tools.
    pub custom: Vec<CustomTool>,
    /// MCP tools, filled when the turn has connected its servers.
    pub mcp: Vec<McpPlanTool>,
}

impl ToolPlan {
    /// The MCP tool offered as `name`.
    pub fn mcp_tool(&self, name: &str) -> Option<&McpPlanTool> {
        self.mcp.iter().find(|tool| tool.name == name)
    }

    /// The policy a call of `name` is evaluated to; `None` for a custom tool.
    pub fn evaluate(&self, name: &str) -> Option<Policy> {
        if let Some(tool) = self.mcp_tool(name) {
            return Some(tool.policy);
        }
        if self.custom.iter().any(|tool| tool.name == name) {
            return None;
        }
        Some(
            self.builtins
                .iter()
                .find(|(builtin, _)| *builtin == name)
                .map_or(Policy::Deny, |(_, policy)| *policy),
        )
    }
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical built-in name matching `name` (case and `_`/`-` ignored).
pub fn canonical_builtin(name: &str) -> Option<&'static str> {
    let wanted = normalize(name);
    BUILTINS
        .iter()
        .copied()
        .find(|builtin| normalize(builtin) == wanted)
}

fn legacy_tools(kind: &str) -> Option<&'static [&'static str]> {
    let (family, date) = kind.rsplit_once('_')?;
    if date.len() != 8 || !date.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match family {
        "bash" => Some(&["Bash"]),
        "text_editor" => Some(&["Read", "Write", "Edit"]),
        "web_search" => Some(&["WebSearch"]),
        "web_fetch" => Some(&["WebFetch"]),
        _ => None,
    }
}

fn names(
    entry: &Map<String, Value>,
    field: &str,
    param: &str,
) -> Result<Vec<&'static str>, ApiError> {
    let param = format!("{param}.{field}");
    match entry.get(field) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let name = item.as_str().ok_or_else(|| {
                    ApiError::field(
                        &param,
                        format!("Field '{param}' must be an array of tool names."),
                    )
                })?;
                canonical_builtin(name)
                    .ok_or_else(|| ApiError::field(&param, format!("unknown tool name '{name}'")))
            })
            .collect(),
        Some(_) => Err(ApiError::field(
            &param,
            format!("Field '{param}' must be an array."),
        )),
    }
}

/// Validates an agent's `tools` against its MCP server names.
pub fn validate(tools: &Value, mcp_servers: &[String]) -> Result<(), ApiError> {
    let Some(items) = tools.as_array() else {
        return Err(ApiError::field("tools", "Field 'tools' must be an array."));
    };
    if items.len() > 128 {
        return Err(ApiError::field(
            "tools",
            "Field 'tools' may hold at most 128 entries.",
        ));
    }
    let mut custom_names: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let param = format!("tools[{index}]");
        let Some(entry) = item.as_object() else {
            return Err(ApiError::field(
                &param,
                format!("Field '{param}' must be an object."),
            ));
        };
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "agent_toolset_20260401" => {
                let enabled = names(entry, "enabled_tools", &param)?;
                let disallowed = names(entry, "disallowed_tools", &param)?;
                if let Some(both) = enabled.iter().find(|name| disallowed.contains(name)) {
                    return Err(ApiError::field(
                        &param,
                        format!("tool '{both}' is in both enabled_tools and disallowed_tools"),
                    ));
                }
                validate_configs(entry, &param, true)?;
            }
            "mcp_toolset" => {
                let server = entry.get("mcp_server_name").and_then(Value::as_str);
                match server {
                    Some(server) if mcp_servers.iter().any(|name| name == server) => {}
                    Some(server) => {
                        return Err(ApiError::field(
                            &format!("{param}.mcp_server_name"),
                            format!("mcp_server_name '{server}' is not in mcp_servers"),
                        ));
                    }
                    None => return Err(ApiError::required(&format!("{param}.mcp_server_name"))),
                }
                validate_configs(entry, &param, false)?;
            }
            "custom" => {
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if name.is_empty() {
                    return Err(ApiError::required(&format!("{param}.name")));
                }
                if canonical_builtin(name).is_some() || name.starts_with("mcp__") {
                    return Err(ApiError::field(
                        &format!("{param}.name"),
                        format!("custom tool name '{name}' is reserved"),
                    ));
                }
                if custom_names
                    .iter()
                    .any(|seen| seen.eq_ignore_ascii_case(name))
                {
                    return Err(ApiError::field(
                        &format!("{param}.name"),
                        format!("duplicate custom tool name '{name}'"),
                    ));
                }
                custom_names.push(name.to_owned());
                if !entry.get("description").is_some_and(Value::is_string) {
                    return Err(ApiError::required(&format!("{param}.description")));
                }
                let schema_ok = entry
                    .get("input_schema")
                    .and_then(|schema| schema.get("type"))
                    .and_then(Value::as_str)
                    == Some("object");
                if !schema_ok {
                    return Err(ApiError::field(
                        &format!("{param}.input_schema"),
                        "input_schema must be a JSON Schema with type 'object'",
                    ));
                }
                if entry.contains_key("permission_policy") {
                    return Err(ApiError::field(
                        &format!("{param}.permission_policy"),
                        "custom tools take no permission_policy",
                    ));
                }
            }
            other if legacy_tools(other).is_some() => {}
            "" => return Err(ApiError::required(&format!("{param}.type"))),
            other => {
                return Err(ApiError::field(
                    &format!("{param}.type"),
                    format!("unknown tool type '{other}'"),
                ));
            }
        }
    }
    Ok(())
}

fn validate_configs(
    entry: &Map<String, Value>,
    param: &str,
    builtin: bool,
) -> Result<(), ApiError> {
    if let Some(configs) = entry.get("configs").filter(|v| !v.is_null()) {
        let Some(configs) = configs.as_array() else {
            return Err(ApiError::field(
                &format!("{param}.configs"),
                "configs must be an array",
            ));
        };
        for (index, config) in configs.iter().enumerate() {
            let cparam = format!("{param}.configs[{index}]");
            let name = config
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if name.is_empty() {
                return Err(ApiError::required(&format!("{cparam}.name")));
            }
            if builtin && canonical_builtin(name).is_none() {
                return Err(ApiError::field(
                    &cparam,
                    format!("unknown tool name '{name}'"),
                ));
            }
            Policy::parse(config, &cparam)?;
        }
    }
    if let Some(default) = entry.get("default_config").filter(|v| !v.is_null()) {
        Policy::parse(default, &format!("{param}.default_config"))?;
    }
    Ok(())
}

/// The tools offered to the model by a (validated) `tools` array.
pub fn plan(tools: &Value) -> ToolPlan {
    let mut plan = ToolPlan::default();
    for entry in tools.as_array().into_iter().flatten() {
        let kind = entry["type"].as_str().unwrap_or_default();
        if kind == "custom" {
            plan.custom.push(CustomTool {
                name: entry["name"].as_str().unwrap_or_default().to_owned(),
                description: entry["description"].as_str().unwrap_or_default().to_owned(),
                input_schema: entry["input_schema"].clone(),
            });
            continue;
        }
        if let Some(names) = legacy_tools(kind) {
            for name in names {
                add(&mut plan, name, Policy::Allow);
            }
            continue;
        }
        if kind != "agent_toolset_20260401" {
            continue; // MCP tools join at run time (`runtime_mcp`).
        }
        let map = entry.as_object().cloned().unwrap_or_default();
        let enabled = names(&map, "enabled_tools", "tools").unwrap_or_default();
        let disallowed = names(&map, "disallowed_tools", "tools").unwrap_or_default();
        let default_policy = Policy::parse(&entry["default_config"], "tools")
            .ok()
            .flatten()
            .unwrap_or(Policy::Allow);
        let default_enabled = entry["default_config"]["enabled"].as_bool().unwrap_or(true);
        let configs = entry["configs"].as_array().cloned().unwrap_or_default();
        let config_of = |name: &str| {
            configs
                .iter()
                .find(|config| config["name"].as_str().and_then(canonical_builtin) == Some(name))
        };
        let candidates: Vec<&'static str> = if enabled.is_empty() {
            BUILTINS.to_vec()
        } else {
            enabled
        };
        for name in candidates {
            if disallowed.contains(&name) {
                continue;
            }
            let config = config_of(name);
            let on = config
                .and_then(|config| config["enabled"].as_bool())
                .unwrap_or(default_enabled);
            if !on {
                continue;
            }
            let policy = config
                .and_then(|config| Policy::parse(config, "tools").ok().flatten())
                .unwrap_or(default_policy);
            add(&mut plan, name, policy);
        }
    }
    plan
}

fn add(plan: &mut ToolPlan, name: &'static str, policy: Policy) {
    if !plan.builtins.iter().any(|(seen, _)| *seen == name) {
        plan.builtins.push((name, policy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_ignoring_case_and_underscores() {
        assert_eq!(canonical_builtin("web_fetch"), Some("WebFetch"));
        assert_eq!(canonical_builtin("bash"), Some("Bash"));
        assert_eq!(canonical_builtin("Foo"), None);
    }

    #[test]
    fn toolset_with_disallowed_and_policies() {
        let tools = json!([{
            "type": "agent_toolset_20260401",
            "disallowed_tools": ["WebSearch"],
            "default_config": {"permission_policy": {"type": "always_ask"}},
            "configs": [{"name": "read", "permission_policy": {"type": "always_allow"}},
                        {"name": "Write", "enabled": false}]
        }]);
        validate(&tools, &[]).unwrap();
        let plan = plan(&tools);
        assert_eq!(plan.evaluate("Read"), Some(Policy::Allow));
        assert_eq!(plan.evaluate("Bash"), Some(Policy::Ask));
        assert_eq!(plan.evaluate("Write"), Some(Policy::Deny));
        assert_eq!(plan.evaluate("WebSearch"), Some(Policy::Deny));
    }

    #[test]
    fn legacy_bash_and_custom_tools() {
        let tools = json!([{"type": "bash_20250124"},
            {"type": "custom", "name": "lookup", "description": "d", "input_schema": {"type": "object"}}]);
        validate(&tools, &[]).unwrap();
        let plan = plan(&tools);
        assert_eq!(plan.builtins, vec![("Bash", Policy::Allow)]);
        assert_eq!(plan.evaluate("lookup"), None);
        assert_eq!(plan.evaluate("Read"), Some(Policy::Deny));
    }

    #[test]
    fn bad_tools_are_refused() {
        assert!(validate(&json!({"type": "x"}), &[]).is_err());
        assert!(validate(&json!([{"type": "nope_tool"}]), &[]).is_err());
        let both = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"], "disallowed_tools": ["bash"]}]);
        assert!(validate(&both, &[]).is_err());
        let unknown = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Foo"]}]);
        assert_eq!(
            validate(&unknown, &[]).unwrap_err().message,
            "unknown tool name 'Foo'"
        );
        let mcp = json!([{"type": "mcp_toolset", "mcp_server_name": "gh"}]);
        assert!(validate(&mcp, &[]).is_err());
        validate(&mcp, &["gh".to_owned()]).unwrap();
    }
}
