//! MCP tools as ferrule tools: one `mcp__<server>__<tool>` per server tool,
//! and `ListMcpResources` / `ReadMcpResource` (cli-core.md §2.15, §8.3).

use std::sync::Arc;

use async_trait::async_trait;
use ferrule_tool::{
    RegistryError, Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolTarget,
};
use serde_json::{Value, json};

use crate::catalog::RemoteTool;
use crate::manager::McpManager;
use crate::options::McpClientError;
use crate::output::convert;

impl McpManager {
    /// The ferrule tools for the servers' current catalogs: every tool of
    /// each connected server (and of servers that died after connecting:
    /// their calls reconnect), plus `ListMcpResources` and `ReadMcpResource`
    /// when any such server has resources. Failed and disabled servers
    /// contribute nothing. Call again after [`McpManager::subscribe`] fires
    /// to pick up `list_changed` refreshes.
    pub fn tools(&self) -> Vec<Arc<dyn Tool>> {
        let mut tools: Vec<Arc<dyn Tool>> = Vec::new();
        let mut resources = false;
        for (server, catalog) in self.offered() {
            resources |= catalog.resources;
            for tool in catalog.tools {
                tools.push(Arc::new(McpTool {
                    manager: self.clone(),
                    server: server.clone(),
                    tool,
                }));
            }
        }
        if resources {
            tools.push(Arc::new(ListMcpResources {
                manager: self.clone(),
            }));
            tools.push(Arc::new(ReadMcpResource {
                manager: self.clone(),
            }));
        }
        tools
    }

    /// Registers [`McpManager::tools`] in `registry`. A name already taken
    /// (a built-in, or a server whose sanitised name collides with
    /// another's) is skipped with a warning.
    ///
    /// # Errors
    /// None today; kept so registry errors other than duplicates surface.
    pub fn register_tools(&self, registry: &mut ToolRegistry) -> Result<(), RegistryError> {
        for tool in self.tools() {
            if registry.get(tool.name()).is_some() {
                tracing::warn!(
                    "MCP tool {} is shadowed by a tool of the same name",
                    tool.name()
                );
                continue;
            }
            registry.register_arc(tool)?;
        }
        Ok(())
    }

    /// Calls tool `tool` (the server's own name) of server `server`. The
    /// server's `timeout`, else `MCP_TOOL_TIMEOUT`, bounds the call; a dead
    /// or hung server yields an error result and is restarted on the next
    /// call; `isError` results are errors for the model; long text is cut
    /// with a note.
    ///
    /// # Errors
    /// [`ToolError::RespondToModel`] for every failure of the server,
    /// [`ToolError::Fatal`] (cancelled) when `ctx`'s token fires.
    pub async fn call_tool(
        &self,
        server: &str,
        tool: &str,
        arguments: Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let full_name = crate::name::tool_name(server, tool);
        let arguments = match arguments {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(ToolError::respond(format!(
                    "Invalid input for {full_name}: expected a JSON object, got {other}"
                )));
            }
        };
        let spec = self.spec(server).ok_or_else(|| {
            ToolError::respond(McpClientError::UnknownServer(server.to_owned()).to_string())
        })?;
        let timeout = spec.timeout.or(self.inner.options.tool_timeout);
        let max_chars = self
            .catalog(server)
            .and_then(|c| c.tools.into_iter().find(|t| t.name == tool))
            .and_then(|t| t.max_result_chars)
            .map_or(self.inner.options.max_result_chars, |m| {
                m.max(self.inner.options.max_result_chars)
            });
        let params = json!({"name": tool, "arguments": arguments});
        let params: rmcp::model::CallToolRequestParams = serde_json::from_value(params)
            .map_err(|e| ToolError::respond(format!("Invalid input for {full_name}: {e}")))?;
        let what = format!("tools/call {tool}");
        let result = self
            .request(
                server,
                &what,
                timeout,
                Some(ctx.cancel_token()),
                |peer| async move { peer.call_tool(params).await },
            )
            .await;
        match result {
            Ok(result) => {
                let value = serde_json::to_value(&result).unwrap_or(Value::Null);
                convert(&full_name, &value, max_chars)
            }
            Err(McpClientError::Cancelled) => Err(ToolError::cancelled(&full_name)),
            Err(e) => Err(ToolError::respond(e.to_string())),
        }
    }

    /// The resources of `server`, or of every connected server with
    /// resources when `None`: `[{server, uri, name, description?, mimeType?}]`.
    ///
    /// # Errors
    /// Unknown server, or the request failed.
    pub async fn list_resources(&self, server: Option<&str>) -> Result<Vec<Value>, McpClientError> {
        let servers: Vec<String> = match server {
            Some(s) => vec![s.to_owned()],
            None => self
                .offered()
                .into_iter()
                .filter(|(_, c)| c.resources)
                .map(|(n, _)| n)
                .collect(),
        };
        let timeout = Some(self.inner.options.startup_timeout);
        let mut out = Vec::new();
        for name in servers {
            let listed = self
                .request(&name, "resources/list", timeout, None, |peer| async move {
                    peer.list_all_resources().await
                })
                .await?;
            for resource in listed {
                let mut value = serde_json::to_value(&resource).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    map.insert("server".to_owned(), Value::String(name.clone()));
                }
                out.push(value);
            }
        }
        Ok(out)
    }

    /// Reads resource `uri` of `server`: the `contents` list of
    /// `resources/read` (`[{uri, mimeType?, text? | blob?}]`).
    ///
    /// # Errors
    /// Unknown server, or the request failed.
    pub async fn read_resource(
        &self,
        server: &str,
        uri: &str,
    ) -> Result<Vec<Value>, McpClientError> {
        let params: rmcp::model::ReadResourceRequestParams =
            serde_json::from_value(json!({"uri": uri})).map_err(|e| McpClientError::Rejected {
                server: server.to_owned(),
                what: "resources/read".to_owned(),
                code: -32602,
                message: e.to_string(),
            })?;
        let timeout = Some(self.inner.options.startup_timeout);
        let result = self
            .request(server, "resources/read", timeout, None, |peer| async move {
                peer.read_resource(params).await
            })
            .await?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        Ok(value["contents"].as_array().cloned().unwrap_or_default())
    }
}

/// One tool of an MCP server.
struct McpTool {
    manager: McpManager,
    server: String,
    /// The server's tool; `name` is the server's spelling, `full_name` the
    /// model's.
    tool: RemoteTool,
}

#[async_trait]
impl Tool for McpTool {
    #[allow(clippy::misnamed_getters)] // the model-facing name is the full one
    fn name(&self) -> &str {
        &self.tool.full_name
    }

    fn description(&self) -> &str {
        &self.tool.description
    }

    fn input_schema(&self) -> Value {
        self.tool.input_schema.clone()
    }

    fn is_read_only(&self) -> bool {
        self.tool.annotations.read_only == Some(true)
    }

    /// MCP rules match on the tool name alone (`mcp__server__tool`,
    /// `mcp__server__*`, `mcp__*`), so a call touches nothing the permission
    /// engine looks at by path, command or URL.
    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        self.manager
            .call_tool(&self.server, &self.tool.name, input, ctx)
            .await
    }
}

/// `ListMcpResources {server_name?}`.
struct ListMcpResources {
    manager: McpManager,
}

#[async_trait]
impl Tool for ListMcpResources {
    fn name(&self) -> &str {
        "ListMcpResources"
    }

    fn description(&self) -> &str {
        "Lists the resources (files, records, documents) the connected MCP servers offer. \
         Give server_name to list one server's resources; leave it out to list all."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "server_name": {"type": "string", "description": "The MCP server whose resources to list; all servers when omitted."}
            },
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let server = match input.get("server_name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                return Err(ToolError::respond(format!(
                    "Invalid input for ListMcpResources: field `server_name`: expected a string, got {other}"
                )));
            }
        };
        let resources = self
            .manager
            .list_resources(server)
            .await
            .map_err(|e| ToolError::respond(e.to_string()))?;
        let text = if resources.is_empty() {
            "No resources found.".to_owned()
        } else {
            serde_json::to_string_pretty(&resources).unwrap_or_default()
        };
        let structured = json!({"resources": resources, "server_name": server});
        Ok(ToolOutput::text(text, structured))
    }
}

/// `ReadMcpResource {server_name, uri}`.
struct ReadMcpResource {
    manager: McpManager,
}

#[async_trait]
impl Tool for ReadMcpResource {
    fn name(&self) -> &str {
        "ReadMcpResource"
    }

    fn description(&self) -> &str {
        "Reads one resource of an MCP server by its URI (see ListMcpResources)."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "server_name": {"type": "string", "description": "The MCP server that has the resource."},
                "uri": {"type": "string", "description": "The resource URI."}
            },
            "required": ["server_name", "uri"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let field = |key: &str| {
            input.get(key).and_then(Value::as_str).ok_or_else(|| {
                ToolError::respond(format!(
                    "Invalid input for ReadMcpResource: missing string field `{key}`"
                ))
            })
        };
        let server = field("server_name")?;
        let uri = field("uri")?;
        let contents = self
            .manager
            .read_resource(server, uri)
            .await
            .map_err(|e| ToolError::respond(e.to_string()))?;
        let mut parts = Vec::new();
        for item in &contents {
            let item_uri = item["uri"].as_str().unwrap_or(uri);
            match item["text"].as_str() {
                Some(text) => parts.push(text.to_owned()),
                None => parts.push(format!(
                    "[binary content of {item_uri} ({}) not shown]",
                    item["mimeType"].as_str().unwrap_or("unknown type")
                )),
            }
        }
        let mut text = parts.join("\n");
        let limit = self.manager.inner.options.max_result_chars;
        if text.chars().count() > limit {
            let cut = text
                .char_indices()
                .nth(limit)
                .map_or(text.len(), |(i, _)| i);
            text.truncate(cut);
            text.push_str(&format!("\n[output truncated to {limit} characters]"));
        }
        Ok(ToolOutput::text(
            text,
            json!({"contents": contents, "server_name": server, "uri": uri}),
        ))
    }
}
