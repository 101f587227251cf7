//! MCP for ferrule, on the `rmcp` crate: server configuration from every
//! documented place, a client that runs a session's servers and offers
//! their tools as `ferrule_tool::Tool`s, and `ferrule mcp serve`'s server
//! side (ferrule's built-in tools for other MCP hosts).
//!
//! A host wires a session like this:
//!
//! ```no_run
//! # async fn run(settings: &ferrule_config::LoadedSettings) -> Result<(), Box<dyn std::error::Error>> {
//! use ferrule_mcp::{LoadRequest, ManagerOptions, McpManager, load_servers};
//!
//! let request = LoadRequest {
//!     cwd: std::env::current_dir()?,
//!     trust_project_servers: true, // print / SDK mode (A-22)
//!     ..LoadRequest::default()
//! };
//! let loaded = load_servers(&request, settings);
//! let manager = McpManager::start(loaded.servers, ManagerOptions::from_env()).await;
//! let mut registry = ferrule_tool::ToolRegistry::new();
//! manager.register_tools(&mut registry)?;
//! let init_servers = manager.init_status(); // system/init `mcp_servers`
//! # let _ = init_servers; Ok(()) }
//! ```
//!
//! Behaviour (cli-core.md §8):
//! - Tools are named `mcp__<server>__<tool>` ([`sanitize`] on both parts),
//!   keep the server's input schema, are read-only only when annotated
//!   `readOnlyHint: true`, and return no path/command/URL targets: MCP
//!   permission rules match on the name.
//! - Servers start concurrently within `MCP_TIMEOUT` (default 30 s). A
//!   server that fails is `failed` with its error and offers no tools; one
//!   that dies or hangs (`MCP_TOOL_TIMEOUT`, or its `timeout`) turns the
//!   call into an error result and is restarted on the next call.
//! - `notifications/*/list_changed` refreshes the catalog and fires
//!   [`McpManager::subscribe`].
//! - Plugins' `.mcp.json` servers join as `plugin:<plugin>:<server>`
//!   ([`PluginServers`]); a subagent's `mcpServers` ([`subagent_servers`])
//!   are started by the host for that subagent's runs only.
//! - The legacy HTTP+SSE transport has a small client of its own (rmcp 3
//!   no longer ships one). WebSocket configs are rejected.

mod catalog;
mod channel;
mod client;
mod config;
mod elicit;
mod files;
mod manager;
mod name;
mod options;
mod output;
mod prompts;
mod scoped;
mod serve;
mod sources;
mod sse;
mod tools;

pub use catalog::{McpPrompt, McpPromptArgument};
pub use channel::{ChannelClosed, SdkChannels, SdkConnector};
pub use config::{ConfigError, McpScope, ServerSpec, TransportSpec, expand_server, parse_server};
pub use elicit::{ElicitMode, ElicitReply, ElicitReplyAction, Elicitation, Elicitor};
pub use files::{
    FileError, read_servers, reset_project_choices, scope_file, set_project_choice, set_server,
    set_switched_off,
};
pub use manager::McpManager;
pub use name::{prompt_command, sanitize, tool_name};
pub use options::{ManagerOptions, McpClientError};
pub use output::DEFAULT_MAX_RESULT_CHARS;
pub use prompts::PromptText;
pub use scoped::{SubagentServer, subagent_servers};
pub use serve::{ServeError, ToolServer, serve_stdio};
pub use sources::{
    DISABLED_KEY, ENABLE_ALL_KEY, ENABLED_KEY, LoadRequest, LoadedServers, PluginServers,
    SWITCHED_OFF_KEY, load_servers, plugin_server_name,
};
pub use sse::SseError;
