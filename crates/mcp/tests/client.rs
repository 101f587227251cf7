//! ferrule-mcp's client against real MCP servers: the Python test server
//! (official `mcp` package) over stdio and streamable HTTP.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use ferrule_mcp::{ManagerOptions, McpManager, TransportSpec};
use ferrule_protocol::sdk::McpConnectionStatus;
use ferrule_tool::{ToolError, ToolRegistry};
use serde_json::{Map, Value, json};

use common::{basic, ctx, python, stdio_spec};

fn quick() -> ManagerOptions {
    ManagerOptions {
        startup_timeout: Duration::from_secs(20),
        ..ManagerOptions::default()
    }
}

fn status_of(manager: &McpManager, name: &str) -> (McpConnectionStatus, Option<String>) {
    let s = manager
        .status()
        .into_iter()
        .find(|s| s.name == name)
        .expect("status");
    (s.status, s.error)
}

#[tokio::test]
async fn stdio_tools_resources_and_prompts() {
    let Some(py) = python() else { return };
    let manager = McpManager::start(vec![basic("basic", &py)], quick()).await;
    assert_eq!(
        status_of(&manager, "basic"),
        (McpConnectionStatus::Connected, None)
    );
    let status = &manager.status()[0];
    assert_eq!(
        status.server_info.as_ref().map(|i| i.name.as_str()),
        Some("basic")
    );
    let tools = status.tools.as_ref().expect("tools");
    let add = tools.iter().find(|t| t.name == "add").expect("add listed");
    assert_eq!(add.annotations.and_then(|a| a.read_only), Some(true));

    let mut registry = ToolRegistry::new();
    manager.register_tools(&mut registry).unwrap();
    let names = registry.names();
    for name in [
        "mcp__basic__echo",
        "mcp__basic__add",
        "ListMcpResources",
        "ReadMcpResource",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let echo = registry.get("mcp__basic__echo").unwrap();
    assert!(!echo.is_read_only());
    assert!(registry.get("mcp__basic__add").unwrap().is_read_only());
    assert_eq!(echo.input_schema()["properties"]["text"]["type"], "string");
    assert!(
        echo.targets(&json!({"text": "x"}), &ctx())
            .unwrap()
            .is_empty()
    );

    let out = registry
        .call("mcp__basic__echo", json!({"text": "hi"}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "echo: hi");
    let out = registry
        .call("mcp__basic__add", json!({"a": 2, "b": 40}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "42");

    let err = registry
        .call("mcp__basic__fail", json!({}), &ctx())
        .await
        .unwrap_err();
    assert!(
        err.is_for_model() && err.message().contains("always fails"),
        "{err:?}"
    );

    let listed = registry
        .call("ListMcpResources", json!({}), &ctx())
        .await
        .unwrap();
    assert_eq!(listed.structured["resources"][0]["uri"], "memo://greeting");
    assert_eq!(listed.structured["resources"][0]["server"], "basic");
    let read = registry
        .call(
            "ReadMcpResource",
            json!({"server_name": "basic", "uri": "memo://greeting"}),
            &ctx(),
        )
        .await
        .unwrap();
    assert_eq!(read.text_content(), "hello from a resource");
    let missing = registry
        .call(
            "ReadMcpResource",
            json!({"server_name": "nope", "uri": "x"}),
            &ctx(),
        )
        .await
        .unwrap_err();
    assert!(
        missing.message().contains("no MCP server named `nope`"),
        "{missing:?}"
    );

    let prompts = manager.prompts();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].command, "mcp__basic__review");
    assert_eq!(prompts[0].arguments[0].name, "code");
    assert!(prompts[0].arguments[0].required);
    let text = manager
        .run_prompt_command("/mcp__basic__review", "main.rs in great detail")
        .await
        .expect("known command")
        .unwrap();
    assert_eq!(
        text.joined(),
        "Review this code (in great detail):\nmain.rs"
    );
    let mut args = Map::new();
    args.insert("code".into(), Value::String("x = 1".into()));
    let text = manager.get_prompt("basic", "review", args).await.unwrap();
    assert_eq!(
        text.messages,
        vec![(
            "user".to_owned(),
            "Review this code (brief):\nx = 1".to_owned()
        )]
    );
    assert!(
        manager
            .run_prompt_command("mcp__basic__nope", "")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn large_output_is_truncated_with_a_note() {
    let Some(py) = python() else { return };
    let options = ManagerOptions {
        max_result_chars: 1000,
        ..quick()
    };
    let manager = McpManager::start(vec![basic("basic", &py)], options).await;
    let out = manager
        .call_tool("basic", "big", json!({"n": 5000}), &ctx())
        .await
        .unwrap();
    let text = out.text_content();
    assert!(text.starts_with(&"x".repeat(1000)));
    assert!(!text.contains(&"x".repeat(1001)));
    assert!(
        text.contains("returned 5000 characters, 1000 are shown"),
        "{text}"
    );
    let small = manager
        .call_tool("basic", "big", json!({"n": 10}), &ctx())
        .await
        .unwrap();
    assert_eq!(small.text_content(), "x".repeat(10));
}

#[tokio::test]
async fn a_crash_mid_call_is_an_error_and_the_next_call_reconnects() {
    let Some(py) = python() else { return };
    let manager = McpManager::start(vec![basic("basic", &py)], quick()).await;
    let err = manager
        .call_tool("basic", "crash", json!({}), &ctx())
        .await
        .unwrap_err();
    assert!(err.is_for_model(), "{err:?}");
    assert!(
        err.message().contains("failed during tools/call crash")
            && err.message().contains("restarted on the next call"),
        "{err:?}"
    );
    let (status, error) = status_of(&manager, "basic");
    assert_eq!(status, McpConnectionStatus::Failed);
    assert!(error.is_some());
    // The tools stay offered, and the next call restarts the server.
    assert!(
        manager
            .tools()
            .iter()
            .any(|t| t.name() == "mcp__basic__echo")
    );
    let out = manager
        .call_tool("basic", "echo", json!({"text": "again"}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "echo: again");
    assert_eq!(
        status_of(&manager, "basic").0,
        McpConnectionStatus::Connected
    );
}

#[tokio::test]
async fn a_hung_call_times_out_and_the_server_is_restarted() {
    let Some(py) = python() else { return };
    let mut spec = basic("basic", &py);
    spec.timeout = Some(Duration::from_millis(400));
    let manager = McpManager::start(vec![spec], quick()).await;
    let started = Instant::now();
    let err = manager
        .call_tool("basic", "sleep", json!({"seconds": 30}), &ctx())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.message().contains("no answer within 400 ms"), "{err:?}");
    let out = manager
        .call_tool("basic", "echo", json!({"text": "back"}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "echo: back");
}

#[tokio::test]
async fn cancellation_stops_a_call() {
    let Some(py) = python() else { return };
    let manager = McpManager::start(vec![basic("basic", &py)], quick()).await;
    let ctx = ctx();
    let token = ctx.cancel_token().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        token.cancel();
    });
    let err = manager
        .call_tool("basic", "sleep", json!({"seconds": 30}), &ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::Fatal(_)), "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_initialize_fails_within_the_startup_timeout() {
    let Some(py) = python() else { return };
    let silent = stdio_spec(
        "silent",
        &py.display().to_string(),
        &[&common::script("silent.py")],
    );
    let missing = stdio_spec("missing", "/nonexistent/mcp-server", &[]);
    let options = ManagerOptions {
        // Long enough for the Python server beside it to start on a loaded
        // two-core machine (its imports alone take about a second).
        startup_timeout: Duration::from_millis(6000),
        ..ManagerOptions::default()
    };
    let started = Instant::now();
    let manager = McpManager::start(vec![silent, missing, basic("basic", &py)], options).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let (status, error) = status_of(&manager, "silent");
    assert_eq!(status, McpConnectionStatus::Failed);
    assert!(
        error
            .unwrap()
            .contains("no answer to initialize within 6000 ms")
    );
    let (status, error) = status_of(&manager, "missing");
    assert_eq!(status, McpConnectionStatus::Failed);
    assert!(
        error
            .unwrap()
            .contains("cannot start `/nonexistent/mcp-server`")
    );
    // The good server is unaffected; the failed ones offer no tools.
    assert_eq!(
        status_of(&manager, "basic").0,
        McpConnectionStatus::Connected
    );
    let names: Vec<String> = manager
        .tools()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("mcp__silent") && !n.starts_with("mcp__missing"))
    );
    let err = manager
        .call_tool("missing", "x", json!({}), &ctx())
        .await
        .unwrap_err();
    assert!(err.message().contains("not available"), "{err:?}");
    let init = manager.init_status();
    assert!(
        init.contains(&json!({"name": "silent", "status": "failed"})),
        "{init:?}"
    );
}

#[tokio::test]
async fn list_changed_refreshes_the_tools() {
    let Some(py) = python() else { return };
    let manager = McpManager::start(vec![basic("basic", &py)], quick()).await;
    assert!(
        !manager
            .tools()
            .iter()
            .any(|t| t.name() == "mcp__basic__late")
    );
    let mut changes = manager.subscribe();
    changes.borrow_and_update();
    manager
        .call_tool("basic", "add_tool", json!({}), &ctx())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if manager
                .tools()
                .iter()
                .any(|t| t.name() == "mcp__basic__late")
            {
                break;
            }
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("tool list refreshed");
    let out = manager
        .call_tool("basic", "late", json!({}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "late tool here");
}

#[tokio::test]
async fn streamable_http_with_headers() {
    let Some(py) = python() else { return };
    let (_server, url) = common::http_server(&py, "http").await;
    let mut spec = basic("web", &py);
    spec.transport = TransportSpec::Http {
        url,
        headers: [("X-Test".to_owned(), "1".to_owned())].into(),
    };
    let manager = McpManager::start(vec![spec], quick()).await;
    assert_eq!(
        status_of(&manager, "web"),
        (McpConnectionStatus::Connected, None)
    );
    let out = manager
        .call_tool("web", "add", json!({"a": 1, "b": 2}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "3");
    let contents = manager
        .read_resource("web", "memo://greeting")
        .await
        .unwrap();
    assert_eq!(contents[0]["text"], "hello from a resource");
}

#[tokio::test]
async fn unreachable_http_and_sse_servers_fail_cleanly() {
    let port = common::free_port();
    let mut http = stdio_spec("down", "unused", &[]);
    http.transport = TransportSpec::Http {
        url: format!("http://127.0.0.1:{port}/mcp"),
        headers: Default::default(),
    };
    let mut sse = stdio_spec("old", "unused", &[]);
    sse.transport = TransportSpec::Sse {
        url: format!("http://127.0.0.1:{port}/sse"),
        headers: Default::default(),
    };
    let manager = McpManager::start(vec![http, sse], quick()).await;
    assert_eq!(status_of(&manager, "down").0, McpConnectionStatus::Failed);
    let (status, error) = status_of(&manager, "old");
    assert_eq!(status, McpConnectionStatus::Failed);
    assert!(error.unwrap().contains("/sse"));
}

#[tokio::test]
async fn legacy_sse_transport() {
    let Some(py) = python() else { return };
    let (_server, url) = common::http_server(&py, "sse").await;
    let mut spec = basic("old", &py);
    spec.transport = TransportSpec::Sse {
        url,
        headers: [("X-Test".to_owned(), "1".to_owned())].into(),
    };
    let manager = McpManager::start(vec![spec], quick()).await;
    assert_eq!(
        status_of(&manager, "old"),
        (McpConnectionStatus::Connected, None)
    );
    let out = manager
        .call_tool("old", "add", json!({"a": 4, "b": 5}), &ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "9");
    let text = manager
        .run_prompt_command("mcp__old__review", "x")
        .await
        .unwrap()
        .unwrap();
    assert!(text.joined().contains("Review this code"));
}

#[tokio::test]
async fn toggling_and_disabled_servers() {
    let Some(py) = python() else { return };
    let mut off = basic("off", &py);
    off.disabled = Some("not approved".into());
    let manager = McpManager::start(vec![basic("on", &py), off], quick()).await;
    assert_eq!(
        status_of(&manager, "off"),
        (McpConnectionStatus::Disabled, Some("not approved".into()))
    );
    manager.set_enabled("on", false).await.unwrap();
    assert_eq!(status_of(&manager, "on").0, McpConnectionStatus::Disabled);
    assert!(manager.tools().is_empty());
    manager.set_enabled("off", true).await.unwrap();
    assert_eq!(status_of(&manager, "off").0, McpConnectionStatus::Connected);
    manager.reconnect("off").await.unwrap();
    assert_eq!(status_of(&manager, "off").0, McpConnectionStatus::Connected);
    assert!(matches!(
        manager.reconnect("nope").await,
        Err(ferrule_mcp::McpClientError::UnknownServer(_))
    ));
}

fn alive(pid: u32) -> bool {
    // Field 3 of /proc/<pid>/stat is the state; a zombie has exited.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.split_whitespace()
            .nth(2)
            .is_none_or(|state| state != "Z")
    })
}

#[tokio::test]
async fn dropping_the_manager_kills_stdio_servers() {
    let Some(py) = python() else { return };
    let manager = McpManager::start(vec![basic("basic", &py)], quick()).await;
    let tools = manager.tools();
    let pid: u32 = manager
        .call_tool("basic", "pid", json!({}), &ctx())
        .await
        .unwrap()
        .text_content()
        .parse()
        .unwrap();
    assert!(alive(pid));
    drop(tools);
    drop(manager);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "server {pid} still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
