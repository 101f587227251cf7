//! The npm reference server `@modelcontextprotocol/server-everything`,
//! when node is installed (required on CI) (it is installed by `tests/mcp/setup.sh` into
//! /var/cache/ferrule/npm-mcp).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use ferrule_mcp::{ManagerOptions, McpManager};
use ferrule_protocol::ToolResultContentBlock;
use ferrule_protocol::sdk::McpConnectionStatus;
use serde_json::json;

fn server_script() -> Option<PathBuf> {
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        common::missing_prerequisite("server-everything test: node is not installed");
        return None;
    }
    let dir = std::env::var_os("FERRULE_MCP_NPM").map_or_else(
        || PathBuf::from("/var/cache/ferrule/npm-mcp"),
        PathBuf::from,
    );
    let script = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if !script.exists() {
        // setup.sh installs it when npm is present.
        common::python()?;
        let _ = std::process::Command::new("bash")
            .arg(common::repo().join("tests/mcp/setup.sh"))
            .status();
    }
    if script.exists() {
        Some(script)
    } else {
        common::missing_prerequisite(
            "server-everything test: npm could not install @modelcontextprotocol/server-everything",
        );
        None
    }
}

#[tokio::test]
async fn reference_server_tools_resources_and_prompts() {
    let Some(script) = server_script() else {
        return;
    };
    let spec = common::stdio_spec(
        "everything",
        "node",
        &[&script.display().to_string(), "stdio"],
    );
    let options = ManagerOptions {
        startup_timeout: Duration::from_secs(30),
        ..ManagerOptions::default()
    };
    let manager = McpManager::start(vec![spec], options).await;
    let status = &manager.status()[0];
    assert_eq!(
        status.status,
        McpConnectionStatus::Connected,
        "{:?}",
        status.error
    );
    let names: Vec<String> = manager
        .tools()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    for name in [
        "mcp__everything__echo",
        "mcp__everything__get-sum",
        "mcp__everything__get-tiny-image",
        "ListMcpResources",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    let ctx = common::ctx();
    let out = manager
        .call_tool("everything", "echo", json!({"message": "ping"}), &ctx)
        .await
        .unwrap();
    assert!(
        out.text_content().contains("ping"),
        "{}",
        out.text_content()
    );
    let out = manager
        .call_tool("everything", "get-sum", json!({"a": 2, "b": 3}), &ctx)
        .await
        .unwrap();
    assert!(out.text_content().contains('5'), "{}", out.text_content());
    let out = manager
        .call_tool("everything", "get-tiny-image", json!({}), &ctx)
        .await
        .unwrap();
    assert!(
        out.content
            .iter()
            .any(|b| matches!(b, ToolResultContentBlock::Image(_)))
    );
    let out = manager
        .call_tool(
            "everything",
            "get-structured-content",
            json!({"location": "Chicago"}),
            &ctx,
        )
        .await
        .unwrap();
    assert!(
        out.structured["structuredContent"].is_object(),
        "{}",
        out.structured
    );

    let resources = manager.list_resources(Some("everything")).await.unwrap();
    assert!(!resources.is_empty());
    let uri = resources[0]["uri"].as_str().unwrap().to_owned();
    let contents = manager.read_resource("everything", &uri).await.unwrap();
    assert_eq!(contents[0]["uri"], uri.as_str());
    assert!(!manager.prompts().is_empty());
}
