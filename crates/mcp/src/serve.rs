//! `ferrule mcp serve`: ferrule's tools offered to other MCP hosts over
//! stdio. Every call goes through `ferrule_permissions::decide` with the
//! project's policy; since nobody can answer a prompt, `ask` is a refusal
//! that says why and which rule would allow the call.

use std::path::PathBuf;
use std::sync::Arc;

use ferrule_permissions::{Behavior, Policy, Request, decide};
use ferrule_tool::{ToolContext, ToolRegistry};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The client never completed the MCP handshake.
    #[error("MCP handshake with the client failed: {0}")]
    Handshake(String),
    /// The service task failed.
    #[error("the MCP server stopped unexpectedly: {0}")]
    Stopped(String),
}

/// An rmcp server handler offering the tools of a registry under a policy.
#[derive(Clone)]
pub struct ToolServer {
    registry: Arc<ToolRegistry>,
    policy: Arc<Policy>,
    cwd: PathBuf,
    additional_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for ToolServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolServer")
            .field("tools", &self.registry.names())
            .field("cwd", &self.cwd)
            .finish()
    }
}

impl ToolServer {
    /// Serves `registry`'s tools, each call decided by `policy`, run in
    /// `cwd` (the policy's working directories are the tools' allowed
    /// directories too).
    pub fn new(registry: ToolRegistry, policy: Policy, cwd: impl Into<PathBuf>) -> Self {
        let cwd = cwd.into();
        let additional_dirs = policy
            .working_dirs()
            .iter()
            .filter(|d| **d != cwd)
            .cloned()
            .collect();
        Self {
            registry: Arc::new(registry),
            policy: Arc::new(policy),
            cwd,
            additional_dirs,
        }
    }

    fn context(&self, cancel: tokio_util::sync::CancellationToken) -> Result<ToolContext, String> {
        let mut builder = ToolContext::builder(&self.cwd).cancel_token(cancel);
        for dir in &self.additional_dirs {
            builder = builder.additional_dir(dir);
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// Decides and runs one call; the result is what the client sees.
    async fn run(
        &self,
        name: &str,
        input: Value,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Value {
        let error =
            |text: String| json!({"content": [{"type": "text", "text": text}], "isError": true});
        let Some(tool) = self.registry.get(name).cloned() else {
            return error(format!("No such tool: {name}"));
        };
        let decision = decide(&self.policy, &Request::new(name, input.clone()));
        match decision.behavior {
            Behavior::Allow => {}
            Behavior::Deny => {
                return error(format!(
                    "Permission to use {name} was denied: {}",
                    decision.reason
                ));
            }
            Behavior::Ask => {
                return error(format!(
                    "Permission to use {name} was denied: {} (ferrule mcp serve cannot ask; \
                     add an allow rule such as \"{name}\" to permissions.allow in \
                     .qoder/settings.json to permit it)",
                    decision.reason
                ));
            }
        }
        let ctx = match self.context(cancel) {
            Ok(ctx) => ctx,
            Err(e) => return error(e),
        };
        match tool.call(input, &ctx).await {
            Ok(output) => {
                let content: Vec<Value> = output
                    .content
                    .iter()
                    .filter_map(|block| match block {
                        ferrule_protocol::ToolResultContentBlock::Text(t) => {
                            Some(json!({"type": "text", "text": t.text}))
                        }
                        ferrule_protocol::ToolResultContentBlock::Image(image) => {
                            let v = serde_json::to_value(image).unwrap_or(Value::Null);
                            Some(json!({"type": "image", "data": v["source"]["data"], "mimeType": v["source"]["media_type"]}))
                        }
                        _ => None,
                    })
                    .collect();
                let mut result = json!({"content": content, "isError": false});
                if output.structured.is_object() {
                    result["structuredContent"] = output.structured;
                }
                result
            }
            Err(e) => error(e.message().to_owned()),
        }
    }
}

impl ServerHandler for ToolServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ferrule", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "ferrule's built-in tools (Read, Write, Edit, Glob, Grep, Bash, ...). \
                 Calls are checked against the project's permission rules.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools: Vec<Value> = self
            .registry
            .iter()
            .map(|tool| {
                let mut entry = json!({
                    "name": tool.name(),
                    "description": tool.description(),
                    "inputSchema": tool.input_schema(),
                });
                if tool.is_read_only() {
                    entry["annotations"] = json!({"readOnlyHint": true});
                }
                entry
            })
            .collect();
        serde_json::from_value(json!({ "tools": tools }))
            .map_err(|e| ErrorData::internal_error(format!("tool list: {e}"), None))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let input = Value::Object(request.arguments.unwrap_or_default());
        let result = self.run(&request.name, input, context.ct.clone()).await;
        let result: CallToolResult = serde_json::from_value(result)
            .map_err(|e| ErrorData::internal_error(format!("tool result: {e}"), None))?;
        Ok(CallToolResponse::Complete(result))
    }
}

/// Serves `server` on this process's stdin/stdout until the client closes
/// the connection.
///
/// # Errors
/// See [`ServeError`].
pub async fn serve_stdio(server: ToolServer) -> Result<(), ServeError> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| ServeError::Handshake(e.to_string()))?;
    running
        .waiting()
        .await
        .map(drop)
        .map_err(|e| ServeError::Stopped(e.to_string()))
}
