//! What a connected server offers: its identity, tools, prompts and whether
//! it has resources, read once per connection and again on `list_changed`.

use ferrule_protocol::sdk::{McpServerInfo, McpToolAnnotations, McpToolInfo};
use serde_json::Value;

use crate::client::Connection;
use crate::name::{prompt_command, tool_name};

/// One tool of a server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoteTool {
    /// The name the server uses.
    pub(crate) name: String,
    /// `mcp__<server>__<tool>`.
    pub(crate) full_name: String,
    pub(crate) description: String,
    pub(crate) input_schema: Value,
    pub(crate) annotations: McpToolAnnotations,
    /// `_meta["anthropic/maxResultSizeChars"]`.
    pub(crate) max_result_chars: Option<usize>,
}

/// One prompt of a server, offered as the slash command
/// `/mcp__<server>__<prompt>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpPrompt {
    /// The command name without the slash: `mcp__<server>__<prompt>`.
    pub command: String,
    /// The server's name.
    pub server: String,
    /// The prompt's name on the server.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Its arguments, in order (a slash command's words fill them in order).
    pub arguments: Vec<McpPromptArgument>,
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpPromptArgument {
    /// Name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Whether the server requires it.
    pub required: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Catalog {
    pub(crate) info: Option<McpServerInfo>,
    pub(crate) tools: Vec<RemoteTool>,
    pub(crate) prompts: Vec<McpPrompt>,
    pub(crate) resources: bool,
}

impl Catalog {
    pub(crate) fn tool_infos(&self) -> Vec<McpToolInfo> {
        self.tools
            .iter()
            .map(|t| McpToolInfo {
                name: t.name.clone(),
                description: Some(t.description.clone()).filter(|d| !d.is_empty()),
                annotations: Some(t.annotations).filter(|a| *a != McpToolAnnotations::default()),
            })
            .collect()
    }
}

/// Reads the server's identity and lists. A server that does not support
/// prompts or resources (JSON-RPC -32601, as SDK servers answer) simply has
/// none.
pub(crate) async fn fetch_catalog(conn: &Connection, server: &str) -> Result<Catalog, String> {
    let peer = conn.service.peer();
    let info = peer.peer_info();
    let caps = info
        .as_ref()
        .map(|i| i.capabilities.clone())
        .unwrap_or_default();
    let mut catalog = Catalog {
        info: Some(match info.as_ref().and_then(|i| i.server_info.as_ref()) {
            Some(i) => McpServerInfo {
                name: i.name.clone(),
                version: i.version.clone(),
            },
            None => McpServerInfo {
                name: server.to_owned(),
                version: String::new(),
            },
        }),
        ..Catalog::default()
    };
    if caps.tools.is_some() {
        let tools = peer
            .list_all_tools()
            .await
            .map_err(|e| format!("tools/list failed: {e}"))?;
        let mut seen = std::collections::HashSet::new();
        for tool in tools {
            let value = serde_json::to_value(&tool).unwrap_or(Value::Null);
            let remote = remote_tool(server, &value);
            if seen.insert(remote.full_name.clone()) {
                catalog.tools.push(remote);
            } else {
                tracing::warn!(
                    server,
                    "two tools of this server share the name {}; keeping the first",
                    remote.full_name
                );
            }
        }
    }
    if caps.prompts.is_some() {
        match peer.list_all_prompts().await {
            Ok(prompts) => {
                catalog.prompts = prompts
                    .into_iter()
                    .map(|p| McpPrompt {
                        command: prompt_command(server, &p.name),
                        server: server.to_owned(),
                        description: p.description,
                        arguments: p
                            .arguments
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| McpPromptArgument {
                                name: a.name,
                                description: a.description,
                                required: a.required.unwrap_or(false),
                            })
                            .collect(),
                        name: p.name,
                    })
                    .collect();
            }
            Err(e) => tracing::debug!(server, "prompts/list failed: {e}"),
        }
    }
    catalog.resources = caps.resources.is_some();
    Ok(catalog)
}

fn remote_tool(server: &str, value: &Value) -> RemoteTool {
    let name = value["name"].as_str().unwrap_or_default().to_owned();
    let hints = &value["annotations"];
    let hint = |key: &str| hints.get(key).and_then(Value::as_bool);
    let mut description = value["description"].as_str().unwrap_or_default().to_owned();
    if description.is_empty()
        && let Some(title) = value["title"].as_str().or_else(|| hints["title"].as_str())
    {
        description = title.to_owned();
    }
    let input_schema = match value.get("inputSchema") {
        Some(schema @ Value::Object(_)) => schema.clone(),
        _ => serde_json::json!({"type": "object"}),
    };
    RemoteTool {
        full_name: tool_name(server, &name),
        name,
        description,
        input_schema,
        annotations: McpToolAnnotations {
            read_only: hint("readOnlyHint"),
            destructive: hint("destructiveHint"),
            open_world: hint("openWorldHint"),
        },
        max_result_chars: value["_meta"]["anthropic/maxResultSizeChars"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok()),
    }
}
