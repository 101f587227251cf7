//! MCP server data the SDK protocol carries: server configs (`--mcp-config`,
//! `mcp_set_servers`) and server status (`mcp_status`, `system/init`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::string_enum;

/// How to reach one MCP server (`sdk-protocol.md` §1.8); tagged by `type`,
/// which may be omitted for stdio servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum McpServerConfig {
    /// A server with an explicit `type`.
    Typed(TypedMcpServerConfig),
    /// A stdio server written without `type`.
    Stdio(McpStdioServer),
}

/// An MCP server config with an explicit `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TypedMcpServerConfig {
    /// A child process speaking MCP on stdin/stdout.
    Stdio(McpStdioServer),
    /// A server reached over server-sent events.
    Sse(McpRemoteServer),
    /// A server reached over streamable HTTP.
    Http(McpRemoteServer),
    /// A server living inside the SDK process, reached through
    /// `mcp_message` control requests; nothing is spawned.
    Sdk(McpSdkServer),
}

/// A stdio MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpStdioServer {
    /// Program to run.
    pub command: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// Timeout in milliseconds (TypeScript SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An SSE or HTTP MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpRemoteServer {
    /// Server address.
    pub url: String,
    /// HTTP headers sent with every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An in-process SDK MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpSdkServer {
    /// The server's name, also listed in `initialize.sdkMcpServers`.
    pub name: String,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `--mcp-config` document: `{"mcpServers": {name: config}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpConfig {
    /// Servers by name.
    #[serde(rename = "mcpServers")]
    pub mcp_servers: BTreeMap<String, McpServerConfig>,
}

string_enum! {
    /// Connection state of an MCP server.
    pub enum McpConnectionStatus {
        /// Connected; its tools are offered.
        Connected = "connected",
        /// Connecting failed.
        Failed = "failed",
        /// The server wants OAuth first.
        NeedsAuth = "needs-auth",
        /// Still connecting.
        Pending = "pending",
        /// Turned off; its tools are withdrawn.
        Disabled = "disabled",
    }
}

/// State of one MCP server, as `mcp_status` and `system/init` list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerStatus {
    /// Server name.
    pub name: String,
    /// Connection state.
    pub status: McpConnectionStatus,
    /// Name and version the server reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_info: Option<McpServerInfo>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The server's config, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// Where the config came from, e.g. `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The tools the server offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<McpToolInfo>>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Name and version an MCP server reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct McpServerInfo {
    /// Server name.
    pub name: String,
    /// Server version.
    pub version: String,
}

/// One tool of an MCP server in a status listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpToolInfo {
    /// Tool name as the server spells it.
    pub name: String,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Risk hints the server declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<McpToolAnnotations>,
}

/// Risk hints of an MCP tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpToolAnnotations {
    /// Only reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// May destroy data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive: Option<bool>,
    /// Talks to the outside world.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world: Option<bool>,
}
