//! In-process SDK MCP servers (`sdk-protocol.md` §11) through ferrule-mcp:
//! a `type: sdk` server is one more server of the session's
//! [`McpManager`]; its JSON-RPC traffic travels over [`SdkChannels`], and
//! this bridge carries each message to the SDK as an `mcp_message` control
//! request and feeds the `mcp_response` back. Requests run concurrently; a
//! `notifications/cancelled` from ferrule-mcp withdraws the pending
//! `mcp_message` with a `control_cancel_request`, and so does closing the
//! connection (e.g. an abandoned `initialize`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ferrule_mcp::{
    ManagerOptions, McpManager, McpScope, SdkChannels, SdkConnector, ServerSpec, TransportSpec,
};
use ferrule_protocol::sdk::{ControlRequest, McpMessageRequest};
use ferrule_setup::Prepared;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::peer::Peer;

/// The connector ferrule-mcp calls to reach SDK server `name` (at start
/// and on every reconnect).
pub fn sdk_connector(peer: Peer) -> SdkConnector {
    Arc::new(move |name: &str| {
        let (channels, (from_ferrule, to_ferrule)) = SdkChannels::pair();
        tokio::spawn(bridge(
            peer.clone(),
            name.to_owned(),
            from_ferrule,
            to_ferrule,
        ));
        Ok(channels)
    })
}

/// The spec of an SDK server registered by name (`initialize.sdkMcpServers`).
pub fn sdk_server_spec(name: &str) -> ServerSpec {
    ServerSpec {
        name: name.to_owned(),
        scope: McpScope::Dynamic,
        transport: TransportSpec::Sdk {
            name: name.to_owned(),
        },
        timeout: None,
        raw: json!({"type": "sdk", "name": name}),
        disabled: None,
    }
}

/// JSON-RPC ids of requests waiting for the SDK, with their cancel tokens.
type Waiting = Arc<Mutex<HashMap<String, CancellationToken>>>;

async fn bridge(
    peer: Peer,
    server: String,
    mut from_ferrule: mpsc::UnboundedReceiver<Value>,
    to_ferrule: mpsc::UnboundedSender<Value>,
) {
    let waiting: Waiting = Arc::default();
    while let Some(message) = from_ferrule.recv().await {
        if message.get("method").and_then(Value::as_str) == Some("notifications/cancelled") {
            let id = message.pointer("/params/requestId").map(Value::to_string);
            if let Some(id) = id
                && let Some(token) = lock(&waiting).remove(&id)
            {
                token.cancel();
            }
            continue;
        }
        let id = message
            .get("id")
            .filter(|_| message.get("method").is_some())
            .cloned();
        let token = CancellationToken::new();
        if let Some(id) = &id {
            lock(&waiting).insert(id.to_string(), token.clone());
        }
        let request = ControlRequest::McpMessage(McpMessageRequest {
            server_name: server.clone(),
            message,
            extra: Map::new(),
        });
        let (peer, back, waiting) = (peer.clone(), to_ferrule.clone(), Arc::clone(&waiting));
        tokio::spawn(async move {
            let answer = peer.request(request, Some(&token), None).await;
            let Some(id) = id else {
                // A notification: whatever came back is not for ferrule.
                return;
            };
            lock(&waiting).remove(&id.to_string());
            let response = match answer {
                Ok(mut payload) => payload
                    .remove("mcp_response")
                    .unwrap_or_else(|| rpc_error(&id, "the SDK answered without mcp_response")),
                Err(error) => rpc_error(&id, &error.to_string()),
            };
            // ferrule-mcp may have closed the connection meanwhile.
            let _ = back.send(response);
        });
    }
    // ferrule-mcp dropped the connection (closed, or its connect was
    // abandoned): withdraw what is still waiting for the SDK.
    for (_, token) in lock(&waiting).drain() {
        token.cancel();
    }
}

fn rpc_error(id: &Value, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": message}})
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the SDK servers `names` (each connected within `MCP_TIMEOUT`;
/// one that fails shows as `failed` in `mcp_status`) and offers their
/// tools; `None` without SDK servers.
pub(crate) async fn start(
    prepared: &mut Prepared,
    names: &[String],
    peer: &Peer,
) -> Result<Option<McpManager>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    let env = prepared.env.clone();
    let mut options = ManagerOptions::from_lookup(&|name| env.get(name).cloned());
    options.sdk = Some(sdk_connector(peer.clone()));
    let specs = names.iter().map(|name| sdk_server_spec(name)).collect();
    let manager = McpManager::start(specs, options).await;
    for status in manager.status() {
        if let Some(error) = &status.error {
            tracing::warn!(server = %status.name, %error, "SDK MCP server not connected");
        }
    }
    offer_tools(prepared, &manager)?;
    Ok(Some(manager))
}

/// Adds `manager`'s tools to the prepared registry, except those the tool
/// selection hides and names already taken.
pub(crate) fn offer_tools(prepared: &mut Prepared, manager: &McpManager) -> Result<(), String> {
    for tool in manager.tools() {
        if prepared.tool_choice.hides(tool.name()) || prepared.tools.get(tool.name()).is_some() {
            continue;
        }
        prepared
            .tools
            .register_arc(tool)
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}
