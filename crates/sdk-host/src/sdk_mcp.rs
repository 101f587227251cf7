//! In-process SDK MCP servers (`sdk-protocol.md` §11): MCP servers that
//! live inside the SDK process and are reached by JSON-RPC messages carried
//! in `mcp_message` control requests.
//!
//! [`SdkMcpServer::connect`] runs the MCP handshake (`initialize`,
//! `notifications/initialized`, `tools/list`) through the [`Peer`]; each
//! tool it lists becomes a ferrule [`Tool`] named `mcp__<server>__<tool>`
//! (ferrule-mcp's naming, [`ferrule_mcp::tool_name`])
//! whose calls are `tools/call` requests. Cancelling a call (interrupt)
//! withdraws the `mcp_message` with a `control_cancel_request`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ferrule_protocol::sdk::{
    ControlRequest, McpConnectionStatus, McpMessageRequest, McpServerInfo, McpServerStatus,
    McpToolAnnotations, McpToolInfo,
};
use ferrule_protocol::{ImageBlock, TextBlock, ToolResultContentBlock};
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::peer::{Peer, PeerError};

/// How long the handshake with an SDK server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an SDK MCP server could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdkMcpError {
    /// The control request failed.
    #[error("SDK MCP server `{server}`: {source}")]
    Peer {
        /// The server.
        server: String,
        /// What failed.
        source: PeerError,
    },
    /// The server answered with a JSON-RPC error.
    #[error("SDK MCP server `{server}`: {method} failed: {message} (code {code})")]
    Rpc {
        /// The server.
        server: String,
        /// The JSON-RPC method.
        method: String,
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
    /// The answer was not the JSON-RPC shape expected.
    #[error("SDK MCP server `{server}`: {method} answered with {detail}")]
    Malformed {
        /// The server.
        server: String,
        /// The JSON-RPC method.
        method: String,
        /// What was wrong.
        detail: String,
    },
}

/// One connected SDK MCP server.
pub struct SdkMcpServer {
    client: Arc<RpcClient>,
    info: Option<McpServerInfo>,
    tools: Vec<ListedTool>,
}

struct ListedTool {
    name: String,
    description: String,
    input_schema: Value,
    annotations: Option<McpToolAnnotations>,
}

struct RpcClient {
    server: String,
    peer: Peer,
    next_id: AtomicU64,
}

impl RpcClient {
    async fn send(
        &self,
        message: Value,
        cancel: Option<&CancellationToken>,
        timeout: Option<Duration>,
    ) -> Result<Value, PeerError> {
        let request = ControlRequest::McpMessage(McpMessageRequest {
            server_name: self.server.clone(),
            message,
            extra: Map::new(),
        });
        let mut answer = self.peer.request(request, cancel, timeout).await?;
        Ok(answer.remove("mcp_response").unwrap_or(Value::Null))
    }

    /// A JSON-RPC call; returns its `result`.
    async fn call(
        &self,
        method: &str,
        params: Value,
        cancel: Option<&CancellationToken>,
        timeout: Option<Duration>,
    ) -> Result<Value, SdkMcpError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .send(message, cancel, timeout)
            .await
            .map_err(|source| SdkMcpError::Peer {
                server: self.server.clone(),
                source,
            })?;
        if let Some(error) = response.get("error") {
            return Err(SdkMcpError::Rpc {
                server: self.server.clone(),
                method: method.to_owned(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_owned(),
            });
        }
        match response.get("result") {
            Some(result) => Ok(result.clone()),
            None => Err(SdkMcpError::Malformed {
                server: self.server.clone(),
                method: method.to_owned(),
                detail: format!("no `result` in {response}"),
            }),
        }
    }
}

impl SdkMcpServer {
    /// Connects to the SDK server `name`: handshake, then its tool list.
    ///
    /// # Errors
    /// The SDK does not know the server, refused a step, or answered
    /// something that is not MCP.
    pub async fn connect(name: &str, peer: Peer) -> Result<Self, SdkMcpError> {
        let client = Arc::new(RpcClient {
            server: name.to_owned(),
            peer,
            next_id: AtomicU64::new(1),
        });
        let init = client
            .call(
                "initialize",
                json!({
                    "protocolVersion": "2024-11-05",
                    "capabilities": {},
                    "clientInfo": {"name": "ferrule", "version": env!("CARGO_PKG_VERSION")},
                }),
                None,
                Some(CONNECT_TIMEOUT),
            )
            .await?;
        let info = init
            .get("serverInfo")
            .and_then(|v| serde_json::from_value::<McpServerInfo>(v.clone()).ok());
        // A notification: whatever comes back is ignored (§11 step 2).
        if let Err(error) = client
            .send(
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                None,
                Some(CONNECT_TIMEOUT),
            )
            .await
        {
            tracing::debug!(server = name, %error, "notifications/initialized not acknowledged");
        }
        let listed = client
            .call("tools/list", json!({}), None, Some(CONNECT_TIMEOUT))
            .await?;
        let tools = listed
            .get("tools")
            .and_then(Value::as_array)
            .ok_or_else(|| SdkMcpError::Malformed {
                server: name.to_owned(),
                method: "tools/list".to_owned(),
                detail: "no `tools` list".to_owned(),
            })?
            .iter()
            .filter_map(|tool| {
                let name = tool.get("name")?.as_str()?.to_owned();
                Some(ListedTool {
                    name,
                    description: tool
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    input_schema: tool
                        .get("inputSchema")
                        .cloned()
                        .unwrap_or_else(|| json!({"type": "object"})),
                    annotations: tool.get("annotations").map(annotations),
                })
            })
            .collect();
        Ok(Self {
            client,
            info,
            tools,
        })
    }

    /// The server's name.
    pub fn name(&self) -> &str {
        &self.client.server
    }

    /// Its tools as ferrule tools named `mcp__<server>__<tool>`.
    pub fn tools(&self) -> Vec<Arc<dyn Tool>> {
        self.tools
            .iter()
            .map(|tool| {
                Arc::new(SdkMcpTool {
                    client: Arc::clone(&self.client),
                    exposed: ferrule_mcp::tool_name(&self.client.server, &tool.name),
                    tool: tool.name.clone(),
                    description: tool.description.clone(),
                    input_schema: tool.input_schema.clone(),
                    read_only: tool.annotations.and_then(|a| a.read_only).unwrap_or(false),
                }) as Arc<dyn Tool>
            })
            .collect()
    }

    /// The server's state for `mcp_status` and `system/init`.
    pub fn status(&self) -> McpServerStatus {
        McpServerStatus {
            name: self.client.server.clone(),
            status: McpConnectionStatus::Connected,
            server_info: self.info.clone(),
            error: None,
            config: Some(json!({"type": "sdk", "name": self.client.server})),
            scope: Some("sdk".to_owned()),
            tools: Some(
                self.tools
                    .iter()
                    .map(|tool| McpToolInfo {
                        name: tool.name.clone(),
                        description: Some(tool.description.clone()),
                        annotations: tool.annotations,
                    })
                    .collect(),
            ),
            extra: Map::new(),
        }
    }
}

/// The state of a server that failed to connect.
pub fn failed_status(name: &str, error: &SdkMcpError) -> McpServerStatus {
    McpServerStatus {
        name: name.to_owned(),
        status: McpConnectionStatus::Failed,
        server_info: None,
        error: Some(error.to_string()),
        config: Some(json!({"type": "sdk", "name": name})),
        scope: Some("sdk".to_owned()),
        tools: None,
        extra: Map::new(),
    }
}

fn annotations(value: &Value) -> McpToolAnnotations {
    let flag = |key: &str| value.get(key).and_then(Value::as_bool);
    McpToolAnnotations {
        read_only: flag("readOnlyHint").or_else(|| flag("readOnly")),
        destructive: flag("destructiveHint").or_else(|| flag("destructive")),
        open_world: flag("openWorldHint").or_else(|| flag("openWorld")),
    }
}

struct SdkMcpTool {
    client: Arc<RpcClient>,
    exposed: String,
    tool: String,
    description: String,
    input_schema: Value,
    read_only: bool,
}

#[async_trait]
impl Tool for SdkMcpTool {
    fn name(&self) -> &str {
        &self.exposed
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        self.input_schema.clone()
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let result = self
            .client
            .call(
                "tools/call",
                json!({"name": self.tool, "arguments": input}),
                Some(ctx.cancel_token()),
                None,
            )
            .await;
        let result = match result {
            Ok(result) => result,
            Err(SdkMcpError::Peer {
                source: PeerError::Cancelled,
                ..
            }) => return Err(ToolError::cancelled(&self.exposed)),
            Err(error) => return Err(ToolError::respond(error.to_string())),
        };
        let blocks = content_blocks(&result);
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            let text: Vec<String> = blocks
                .iter()
                .filter_map(|block| match block {
                    ToolResultContentBlock::Text(text) => Some(text.text.clone()),
                    _ => None,
                })
                .collect();
            return Err(ToolError::respond(text.join("\n")));
        }
        Ok(ToolOutput::blocks(blocks, result))
    }
}

/// The `content` of a `tools/call` result as tool result blocks.
fn content_blocks(result: &Value) -> Vec<ToolResultContentBlock> {
    let Some(items) = result.get("content").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.get("type").and_then(Value::as_str) {
            Some("text") => Some(ToolResultContentBlock::Text(TextBlock {
                text: item.get("text")?.as_str()?.to_owned(),
            })),
            Some("image") => Some(ToolResultContentBlock::Image(ImageBlock::base64(
                item.get("mimeType")?.as_str()?,
                item.get("data")?.as_str()?,
            ))),
            Some(other) => Some(ToolResultContentBlock::Text(TextBlock {
                text: format!("[{other} content: {item}]"),
            })),
            None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_maps_text_and_images() {
        let blocks = content_blocks(&json!({"content": [
            {"type": "text", "text": "4"},
            {"type": "image", "data": "iVBO", "mimeType": "image/png"},
        ]}));
        assert_eq!(blocks.len(), 2);
        assert!(matches!(&blocks[0], ToolResultContentBlock::Text(t) if t.text == "4"));
    }
}
