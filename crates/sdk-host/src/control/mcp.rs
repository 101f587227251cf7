//! MCP management (`sdk-protocol.md` §6.4): status, reconnect, toggle,
//! and the authentication kinds ferrule-mcp can serve (a token injected by
//! the host becomes a bearer header on the next connection).

use std::collections::{BTreeMap, BTreeSet};

use ferrule_mcp::{ManagerOptions, McpManager, McpScope, expand_server, parse_server};
use ferrule_protocol::sdk::{
    McpInjectTokenRequest, McpSetServersRequest, McpSetServersResponse, McpStatusResponse,
    McpToggleRequest,
};
use serde_json::{Value, json};

use super::{run_command, with_ready};
use crate::host::Shared;
use crate::rebuild::Blueprint;
use crate::sdk_bridge::{sdk_connector, sdk_server_spec};
use crate::turns::Command;

pub(super) fn status(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |ready| {
        serde_json::to_value(McpStatusResponse {
            servers: Some(crate::session::mcp_statuses(
                ready.manager.as_ref(),
                ready.sdk_manager.as_ref(),
            )),
            mcp_servers: None,
        })
        .map_err(|error| error.to_string())
    })?
}

pub(super) async fn reconnect(shared: &Shared, server: &str) -> Result<Value, String> {
    let manager = managed(shared, server)?;
    manager
        .reconnect(server)
        .await
        .map_err(|error| error.to_string())?;
    Ok(json!({}))
}

pub(super) async fn toggle(shared: &Shared, request: &McpToggleRequest) -> Result<Value, String> {
    let manager = managed(shared, &request.server_name)?;
    manager
        .set_enabled(&request.server_name, request.enabled)
        .await
        .map_err(|error| error.to_string())?;
    Ok(json!({}))
}

/// `mcp_set_servers`: the complete new server set. New managers start
/// every server (SDK entries over `mcp_message`), the agent is built again
/// with their tools (same conversation), and the old servers stop. Servers
/// whose config cannot be read are left out and named in `errors`.
pub(super) async fn set_servers(
    shared: &Shared,
    request: &McpSetServersRequest,
) -> Result<Value, String> {
    let (old, blueprint, env, cwd) = with_ready(shared, |ready| {
        let old: Vec<McpManager> = ready
            .manager
            .iter()
            .chain(&ready.sdk_manager)
            .cloned()
            .collect();
        (
            old,
            ready.blueprint.clone(),
            ready.blueprint.setup.env.clone(),
            ready.cwd.clone(),
        )
    })?;
    let lookup = |name: &str| env.get(name).cloned();
    let mut errors = BTreeMap::new();
    let (mut configured, mut sdk) = (Vec::new(), Vec::new());
    for (name, config) in &request.servers {
        let mut value = serde_json::to_value(config).map_err(|error| error.to_string())?;
        if value.get("type").and_then(Value::as_str) == Some("sdk") {
            sdk.push(sdk_server_spec(name));
            continue;
        }
        let spec = expand_server(&mut value, &lookup).and_then(|()| {
            parse_server(name, &value, McpScope::Dynamic, &cwd, "mcp_set_servers")
                .map_err(|error| error.message)
        });
        match spec {
            Ok(spec) => configured.push(spec),
            Err(error) => {
                errors.insert(name.clone(), error);
            }
        }
    }
    let before: BTreeSet<String> = old.iter().flat_map(McpManager::server_names).collect();
    let options = ManagerOptions::from_lookup(&lookup);
    let manager = if configured.is_empty() {
        None
    } else {
        Some(McpManager::start(configured, options.clone()).await)
    };
    let sdk_manager = if sdk.is_empty() {
        None
    } else {
        let mut options = options;
        options.sdk = Some(sdk_connector(shared.peer.clone()));
        Some(McpManager::start(sdk, options).await)
    };
    let managers: Vec<McpManager> = manager.iter().chain(&sdk_manager).cloned().collect();
    let after: BTreeSet<String> = managers.iter().flat_map(McpManager::server_names).collect();
    for status in managers.iter().flat_map(McpManager::status) {
        if let Some(error) = status.error {
            errors.insert(status.name, error);
        }
    }
    let next = Blueprint {
        managers: managers.clone(),
        ..blueprint
    };
    let replaced = run_command(shared, |reply| Command::ReplaceServers {
        blueprint: Box::new(next),
        reply,
    })
    .await
    .and_then(|done| done);
    if let Err(error) = replaced {
        managers.iter().for_each(McpManager::shutdown);
        return Err(format!("mcp_set_servers: {error}"));
    }
    with_ready(shared, |ready| {
        ready.manager = manager;
        ready.sdk_manager = sdk_manager;
    })?;
    old.iter().for_each(McpManager::shutdown);
    let response = McpSetServersResponse {
        added: after.difference(&before).cloned().collect(),
        removed: before.difference(&after).cloned().collect(),
        errors,
    };
    serde_json::to_value(response).map_err(|error| error.to_string())
}

/// `mcp_authenticate`: ferrule-mcp runs no OAuth flow of its own.
pub(super) fn authenticate(shared: &Shared, server: &str) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    Err(no_oauth(server))
}

/// `mcp_oauth_callback_url`: there is no OAuth flow waiting for it.
pub(super) fn oauth_callback(shared: &Shared, server: &str) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    Err(no_oauth(server))
}

fn no_oauth(server: &str) -> String {
    format!(
        "MCP server `{server}`: ferrule has no OAuth flow; hand it a token with mcp_inject_token (sent as an Authorization header) or set headers in its config"
    )
}

/// `mcp_inject_token`: `Authorization: <type> <token>` on the server's
/// requests, then a reconnect so it takes effect now.
pub(super) async fn inject_token(
    shared: &Shared,
    request: &McpInjectTokenRequest,
) -> Result<Value, String> {
    let server = &request.server_name;
    let manager = managed(shared, server)?;
    let kind = request.token.token_type.as_deref().unwrap_or("Bearer");
    let value = format!("{kind} {}", request.token.access_token);
    manager
        .set_header(server, "Authorization", Some(&value))
        .map_err(|error| error.to_string())?;
    manager
        .reconnect(server)
        .await
        .map_err(|error| error.to_string())?;
    Ok(json!({}))
}

/// `mcp_clear_auth`: drop the `Authorization` header and reconnect; a
/// server that now refuses shows as failed in `mcp_status`.
pub(super) async fn clear_auth(shared: &Shared, server: &str) -> Result<Value, String> {
    let manager = managed(shared, server)?;
    manager
        .set_header(server, "Authorization", None)
        .map_err(|error| error.to_string())?;
    if let Err(error) = manager.reconnect(server).await {
        tracing::info!(server, %error, "MCP server refused after its credentials were cleared");
    }
    Ok(json!({}))
}

/// The ferrule-mcp manager running `server` (configured or SDK); unknown
/// names are errors.
fn managed(shared: &Shared, server: &str) -> Result<McpManager, String> {
    let managers = with_ready(shared, |ready| {
        ready
            .manager
            .iter()
            .chain(&ready.sdk_manager)
            .cloned()
            .collect::<Vec<_>>()
    })?;
    managers
        .into_iter()
        .find(|manager| manager.server_names().iter().any(|name| name == server))
        .ok_or_else(|| format!("no MCP server named `{server}` in this session"))
}
