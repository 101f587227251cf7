//! MCP servers the client names in `session/new` and `session/load`:
//! started for the session with the ones the settings configure, their
//! tools offered to the model as `mcp__<server>__<tool>`.

use std::collections::BTreeMap;
use std::path::Path;

use agent_client_protocol::v1::schema::{HttpHeader, McpServer};
use ferrule_mcp::{McpScope, ServerSpec, TransportSpec};
use ferrule_setup::Prepared;
use serde_json::json;

/// The client's server as a ferrule server configuration; a stdio server
/// runs in the session's directory.
pub(crate) fn spec(server: &McpServer, cwd: &Path) -> Option<ServerSpec> {
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
                cwd: Some(cwd.to_path_buf()),
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

/// Adds the client's servers to the session's configured ones (a client
/// server replaces a configured one of the same name), starts them all
/// and registers their tools. A server that fails is logged and offers no
/// tools.
pub(crate) async fn start(servers: &[McpServer], prepared: &mut Prepared) {
    let specs: Vec<ServerSpec> = servers
        .iter()
        .filter_map(|server| spec(server, &prepared.cwd))
        .collect();
    let configured = &mut prepared.mcp_servers.servers;
    configured.retain(|server| specs.iter().all(|spec| spec.name != server.name));
    configured.extend(specs);
    if let Err(error) = prepared.start_mcp().await {
        tracing::warn!(%error, "MCP tools not registered");
    }
}
