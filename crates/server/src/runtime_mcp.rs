//! MCP toolsets at run time (`cloud-api.md` §5.8): the agent's `url`
//! servers that an `mcp_toolset` names are reached over Streamable HTTP
//! through `ferrule-mcp` when a turn starts, with the bearer token of a
//! vault credential whose `mcp_server_url` matches; their tools are offered
//! as `mcp__<server>__<tool>` under the toolset's permission policies
//! (`always_ask` unless configured, §5.6).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrule_mcp::{ManagerOptions, McpManager, McpScope, ServerSpec, TransportSpec, tool_name};
use ferrule_protocol::sdk::McpConnectionStatus;
use serde_json::{Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::toolset::{McpPlanTool, Policy};

/// One server a turn connects to (serializable: remote workers get it in
/// their turn setup).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct McpServer {
    /// The name in the agent's `mcp_servers`.
    pub(crate) name: String,
    /// The Streamable HTTP endpoint.
    pub(crate) url: String,
    /// Bearer token of the matching vault credential.
    pub(crate) token: Option<String>,
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Bearer tokens of the vaults' MCP credentials, by server URL.
async fn tokens(state: &AppState, vault_ids: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for vault in vault_ids {
        let rows = sqlx::query(
            "SELECT body FROM objects WHERE kind = 'vault_credential' AND parent_id = $1 \
             AND archived = 0 ORDER BY seq",
        )
        .bind(vault)
        .fetch_all(&state.store.pool)
        .await
        .map_err(|e| e.to_string())?;
        for row in rows {
            let body: String = row.try_get("body").map_err(|e| e.to_string())?;
            let body: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            let kind = body["auth"]["type"].as_str().unwrap_or_default();
            if kind != "static_bearer" && kind != "mcp_oauth" {
                continue;
            }
            let sealed = body["sealed"].as_str().unwrap_or_default();
            let auth: Value =
                serde_json::from_str(&state.sealer.open(sealed).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            let token = auth["token"].as_str().or(auth["access_token"].as_str());
            if let (Some(url), Some(token)) = (auth["mcp_server_url"].as_str(), token) {
                out.push((url.to_owned(), token.to_owned()));
            }
        }
    }
    Ok(out)
}

/// The servers of `agent` that a toolset exposes, with their tokens.
pub(crate) async fn servers(
    state: &AppState,
    agent: &Value,
    vault_ids: &[String],
) -> Result<Vec<McpServer>, String> {
    let wanted: Vec<&str> = agent["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "mcp_toolset")
        .filter_map(|t| t["mcp_server_name"].as_str())
        .collect();
    let mut out = Vec::new();
    let mut credentials = None;
    for server in agent["mcp_servers"].as_array().into_iter().flatten() {
        let (Some(name), Some(url)) = (server["name"].as_str(), server["url"].as_str()) else {
            continue;
        };
        if !wanted.contains(&name) {
            continue;
        }
        if credentials.is_none() {
            credentials = Some(tokens(state, vault_ids).await?);
        }
        let token = credentials
            .iter()
            .flatten()
            .find(|(u, _)| same_url(u, url))
            .map(|(_, t)| t.clone());
        out.push(McpServer {
            name: name.to_owned(),
            url: url.to_owned(),
            token,
        });
    }
    Ok(out)
}

/// What a turn gets from its MCP servers.
pub(crate) struct Connected {
    /// The tools to register.
    pub(crate) tools: Vec<Arc<dyn ferrule_tool::Tool>>,
    /// Their plan entries (raw names and policies).
    pub(crate) plan: Vec<McpPlanTool>,
    /// `session.error` events for servers that could not be reached.
    pub(crate) events: Vec<Value>,
    /// Keeps the connections for the turn.
    pub(crate) _manager: Option<McpManager>,
}

/// The permission and visibility of tool `tool` under the toolset of
/// `server` in the agent's `tools`: `None` when switched off.
fn configure(tools: &Value, server: &str, tool: &str) -> Option<Policy> {
    let toolset = tools
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["type"] == "mcp_toolset" && t["mcp_server_name"] == server)?;
    let config = toolset["configs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == tool);
    let enabled = config
        .and_then(|c| c["enabled"].as_bool())
        .or(toolset["default_config"]["enabled"].as_bool())
        .unwrap_or(true);
    if !enabled {
        return None;
    }
    let policy_of = |value: &Value| match value["permission_policy"]["type"].as_str() {
        Some("always_allow") => Some(Policy::Allow),
        Some("always_ask") => Some(Policy::Ask),
        Some("always_deny") => Some(Policy::Deny),
        _ => None,
    };
    Some(
        config
            .and_then(policy_of)
            .or_else(|| policy_of(&toolset["default_config"]))
            .unwrap_or(Policy::Ask),
    )
}

/// Connects the servers (each within `MCP_TIMEOUT` of `env`, default
/// 30 s). A server that fails yields a `session.error` naming it and
/// offers no tools; the turn goes on.
pub(crate) async fn connect(
    servers: &[McpServer],
    tools_json: &Value,
    env: &BTreeMap<String, String>,
) -> Connected {
    if servers.is_empty() {
        return Connected {
            tools: Vec::new(),
            plan: Vec::new(),
            events: Vec::new(),
            _manager: None,
        };
    }
    let specs = servers
        .iter()
        .map(|server| {
            let headers = server
                .token
                .iter()
                .map(|t| ("Authorization".to_owned(), format!("Bearer {t}")))
                .collect();
            ServerSpec {
                name: server.name.clone(),
                scope: McpScope::Dynamic,
                transport: TransportSpec::Http {
                    url: server.url.clone(),
                    headers,
                },
                timeout: None,
                raw: json!({"type": "url", "name": server.name, "url": server.url}),
                disabled: None,
            }
        })
        .collect();
    let options = ManagerOptions::from_lookup(&|name| env.get(name).cloned());
    let manager = McpManager::start(specs, options).await;
    let mut plan = Vec::new();
    let mut events = Vec::new();
    for status in manager.status() {
        if status.status != McpConnectionStatus::Connected {
            let reason = status.error.unwrap_or_else(|| "not connected".to_owned());
            events.push(json!({
                "type": "session.error",
                "error": {
                    "type": "mcp_connection_failed_error",
                    "message": format!(
                        "MCP server '{}' could not be reached; its tools are unavailable this turn: {reason}",
                        status.name
                    ),
                    "retry_status": {"type": "terminal"},
                    "mcp_server_name": status.name,
                },
            }));
            continue;
        }
        for info in status.tools.unwrap_or_default() {
            if let Some(policy) = configure(tools_json, &status.name, &info.name) {
                plan.push(McpPlanTool {
                    name: tool_name(&status.name, &info.name),
                    server: status.name.clone(),
                    tool: info.name.clone(),
                    policy,
                });
            }
        }
    }
    let tools = manager
        .tools()
        .into_iter()
        .filter(|tool| plan.iter().any(|p| p.name == tool.name()))
        .collect();
    Connected {
        tools,
        plan,
        events,
        _manager: Some(manager),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolset_configs_pick_policy_and_visibility() {
        let tools = json!([{
            "type": "mcp_toolset", "mcp_server_name": "weather",
            "default_config": {"permission_policy": {"type": "always_allow"}},
            "configs": [{"name": "forecast", "permission_policy": {"type": "always_ask"}},
                        {"name": "secret", "enabled": false}]
        }, {"type": "mcp_toolset", "mcp_server_name": "plain"}]);
        assert_eq!(configure(&tools, "weather", "forecast"), Some(Policy::Ask));
        assert_eq!(configure(&tools, "weather", "now"), Some(Policy::Allow));
        assert_eq!(configure(&tools, "weather", "secret"), None);
        assert_eq!(configure(&tools, "plain", "x"), Some(Policy::Ask));
        assert_eq!(configure(&tools, "other", "x"), None);
        assert!(same_url("http://h/mcp/", "http://h/mcp"));
    }
}
