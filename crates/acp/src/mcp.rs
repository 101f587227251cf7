//! MCP servers the client names in `session/new` and `session/load`:
//! started for the session next to the configured ones, their tools
//! offered to the model as `mcp__<server>__<tool>`.

use std::collections::BTreeMap;

use agent_client_protocol::v1::schema::{HttpHeader, McpServer};
use ferrule_mcp::{ManagerOptions, McpManager, McpScope, ServerSpec, TransportSpec};
use ferrule_setup::Prepared;
use serde_json::json;

/// The client's server as a ferrule server configuration.
pub(crate) fn spec(server: &McpServer) -> Option<ServerSpec> {
    let headers = |headers: &[HttpHeader]| -> BTreeMap<String, String> {
        headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect()
    };
    let (name, transport) = match server {
        McpServer::Stdio(stdio) => (
            stdio.name.clone(),
            TransportSpec::Stdio {
                command: stdio.command.display().to_string(),
                args: stdio.args.clone(),
                env: stdio
                    .env
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect(),
                cwd: None,
            },
        ),
        McpServer::Http(http) => (
            http.name.clone(),
            TransportSpec::Http {
                url: http.url.clone(),
                headers: headers(&http.headers),
            },
        ),
        McpServer::Sse(sse) => (
            sse.name.clone(),
            TransportSpec::Sse {
                url: sse.url.clone(),
                headers: headers(&sse.headers),
            },
        ),
        other => {
            tracing::warn!(?other, "an MCP server of an unknown transport is ignored");
            return None;
        }
    };
    Some(ServerSpec {
        raw: json!({"type": transport.kind()}),
        name,
        scope: McpScope::Dynamic,
        transport,
        timeout: None,
        disabled: None,
    })
}

/// Starts the client's servers and registers their tools with the
/// session's; `None` when the client named none. A server that fails is
/// logged and offers no tools.
pub(crate) async fn start(servers: &[McpServer], prepared: &mut Prepared) -> Option<McpManager> {
    let specs: Vec<ServerSpec> = servers.iter().filter_map(spec).collect();
    if specs.is_empty() {
        return None;
    }
    let env = prepared.env.clone();
    let options = ManagerOptions::from_lookup(&|name| env.get(name).cloned());
    let manager = McpManager::start(specs, options).await;
    for status in manager.status() {
        if let Some(error) = &status.error {
            tracing::warn!("mcp: server `{}` failed: {error}", status.name);
        }
    }
    if let Err(error) = manager.register_tools(&mut prepared.tools) {
        tracing::warn!(%error, "MCP tools not registered");
    }
    Some(manager)
}
