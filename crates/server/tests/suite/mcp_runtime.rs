//! MCP toolsets at run time against a small Streamable HTTP MCP server on
//! 127.0.0.1 (JSON responses): vault bearer auth, `mcp__server__tool`
//! naming, `agent.mcp_tool_use` / `agent.mcp_tool_result`, the default
//! `always_ask` policy, and a dead server reported without stopping the turn.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ferrule_test_support::openai;
use serde_json::{Value, json};

use super::common::Harness;

const TOKEN: &str = "tok-weather-123";

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

async fn mcp(
    axum::extract::State(seen): axum::extract::State<Seen>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    seen.0.lock().unwrap().push(auth.clone());
    if auth != format!("Bearer {TOKEN}") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(id) = request.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let result = match request["method"].as_str().unwrap_or_default() {
        "initialize" => json!({
            "protocolVersion": request["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "weather", "version": "1.0.0"},
        }),
        "tools/list" => json!({"tools": [{
            "name": "forecast",
            "description": "Forecast of a city",
            "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }]}),
        "tools/call" => json!({
            "content": [{"type": "text",
                         "text": format!("Sunny in {}", request["params"]["arguments"]["city"].as_str().unwrap_or("?"))}],
            "isError": false,
        }),
        _ => {
            let error = json!({"jsonrpc": "2.0", "id": id,
                               "error": {"code": -32601, "message": "Method not found"}});
            return Json(error).into_response();
        }
    };
    (
        [("mcp-session-id", "session-1")],
        Json(json!({"jsonrpc": "2.0", "id": id, "result": result})),
    )
        .into_response()
}

async fn weather_server() -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route(
            "/mcp",
            post(mcp)
                .get(|| async { StatusCode::METHOD_NOT_ALLOWED })
                .delete(|| async { StatusCode::OK }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

async fn session_with(h: &Harness, url: &str, toolset: Value) -> String {
    let vault = h.ok("/vaults", json!({"display_name": "mcp"})).await;
    let vid = vault["id"].as_str().unwrap();
    h.ok(
        &format!("/vaults/{vid}/credentials"),
        json!({"auth": {"type": "static_bearer", "mcp_server_url": url, "token": TOKEN}}),
    )
    .await;
    let agent = h
        .ok(
            "/agents",
            json!({"name": "m", "model": "ultimate",
                   "mcp_servers": [{"type": "url", "name": "weather", "url": url}],
                   "tools": [toolset]}),
        )
        .await;
    let env = h.default_env().await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent["id"], "environment_id": env, "vault_ids": [vid]}),
        )
        .await;
    session["id"].as_str().unwrap().to_owned()
}

fn find<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn mcp_tools_run_with_vault_auth_and_their_own_events() {
    let h = Harness::start().await;
    let (url, seen) = weather_server().await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "mcp__weather__forecast", r#"{"city": "Oslo"}"#)],
        2,
    ));
    h.model.mount(openai::text_reply("Done."));
    let toolset = json!({"type": "mcp_toolset", "mcp_server_name": "weather",
                         "default_config": {"permission_policy": {"type": "always_allow"}}});
    let id = session_with(&h, &url, toolset).await;
    h.say(&id, "weather?").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let uses = find(&events, "agent.mcp_tool_use");
    assert_eq!(uses.len(), 1, "{events:?}");
    assert_eq!(
        (
            &uses[0]["name"],
            &uses[0]["mcp_server_name"],
            &uses[0]["evaluated_permission"],
            &uses[0]["input"]
        ),
        (
            &json!("forecast"),
            &json!("weather"),
            &json!("allow"),
            &json!({"city": "Oslo"})
        )
    );
    let results = find(&events, "agent.mcp_tool_result");
    assert_eq!(results.len(), 1, "{events:?}");
    assert_eq!(results[0]["mcp_tool_use_id"], uses[0]["id"]);
    assert_eq!(results[0]["is_error"], false);
    assert_eq!(results[0]["content"][0]["text"], "Sunny in Oslo");
    assert!(find(&events, "agent.tool_use").is_empty());
    let offered: Vec<String> = h.model.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect();
    assert!(
        offered.contains(&"mcp__weather__forecast".to_owned()),
        "{offered:?}"
    );
    let seen = seen.0.lock().unwrap().clone();
    assert!(!seen.is_empty() && seen.iter().all(|a| a == &format!("Bearer {TOKEN}")));
}

#[tokio::test]
async fn mcp_tools_ask_by_default_and_a_dead_server_is_reported() {
    let h = Harness::start().await;
    let (url, _) = weather_server().await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "mcp__weather__forecast", r#"{"city": "Rome"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Done."));
    let id = session_with(
        &h,
        &url,
        json!({"type": "mcp_toolset", "mcp_server_name": "weather"}),
    )
    .await;
    h.say(&id, "weather?").await;
    let events = h.wait_for_stop(&id, "requires_action", 1).await;
    let uses = find(&events, "agent.mcp_tool_use");
    assert_eq!(uses[0]["evaluated_permission"], "ask");
    let idle = events.last().unwrap();
    assert_eq!(idle["stop_reason"]["event_ids"], json!([uses[0]["id"]]));
    h.ok(
        &format!("/sessions/{id}/events"),
        json!({"events": [{"type": "user.tool_confirmation", "tool_use_id": uses[0]["id"], "result": "allow"}]}),
    )
    .await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let results = find(&events, "agent.mcp_tool_result");
    assert_eq!(results[0]["content"][0]["text"], "Sunny in Rome");

    // A server nobody answers: the turn runs without its tools.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/mcp", listener.local_addr().unwrap())
    };
    h.model.mount(openai::text_reply("No tools today."));
    let id = session_with(
        &h,
        &dead,
        json!({"type": "mcp_toolset", "mcp_server_name": "weather"}),
    )
    .await;
    h.say(&id, "weather?").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let errors = find(&events, "session.error");
    assert_eq!(errors.len(), 1, "{events:?}");
    assert_eq!(errors[0]["error"]["mcp_server_name"], "weather");
    assert!(
        errors[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached")
    );
    assert_eq!(find(&events, "agent.message").len(), 1);
}
