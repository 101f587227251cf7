//! The SDK-server transport: ferrule-mcp talks JSON-RPC values over a
//! channel pair, and a host (here: a bridge to the Python server's stdio)
//! carries them. Messages that are not JSON-RPC are skipped, as the
//! Python SDK's id-less answer to `notifications/initialized` must be.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use ferrule_mcp::{
    ManagerOptions, McpManager, McpScope, SdkChannels, SdkConnector, ServerSpec, TransportSpec,
};
use ferrule_protocol::sdk::McpConnectionStatus;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

/// Opens a channel pair whose far end is `basic.py` on stdio.
fn bridge(python: std::path::PathBuf) -> SdkConnector {
    Arc::new(move |name: &str| {
        assert_eq!(name, "calc");
        let (channels, (mut from_ferrule, to_ferrule)) = SdkChannels::pair();
        let mut child = tokio::process::Command::new(&python)
            .args([common::script("basic.py"), "stdio".to_owned()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let answers = to_ferrule.clone();
        tokio::spawn(async move {
            let _child = child;
            while let Some(message) = from_ferrule.recv().await {
                let notification = message["method"] == "notifications/initialized";
                let mut line = message.to_string();
                line.push('\n');
                if stdin.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
                if notification {
                    // What the Python SDK bridge answers to a notification.
                    let _ = answers.send(json!({"jsonrpc": "2.0", "result": {}}));
                }
            }
        });
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if to_ferrule.send(value).is_err() {
                    break;
                }
            }
        });
        Ok(channels)
    })
}

fn sdk_spec() -> ServerSpec {
    ServerSpec {
        name: "calc".into(),
        scope: McpScope::Dynamic,
        transport: TransportSpec::Sdk {
            name: "calc".into(),
        },
        timeout: None,
        raw: json!({"type": "sdk", "name": "calc"}),
        disabled: None,
    }
}

#[tokio::test]
async fn an_sdk_server_over_channels_offers_its_tools() {
    let Some(py) = common::python() else { return };
    let options = ManagerOptions {
        sdk: Some(bridge(py)),
        ..ManagerOptions::default()
    };
    let manager = McpManager::start(vec![sdk_spec()], options).await;
    let status = &manager.status()[0];
    assert_eq!(
        status.status,
        McpConnectionStatus::Connected,
        "{:?}",
        status.error
    );
    assert!(manager.tools().iter().any(|t| t.name() == "mcp__calc__add"));
    let out = manager
        .call_tool("calc", "add", json!({"a": 20, "b": 22}), &common::ctx())
        .await
        .unwrap();
    assert_eq!(out.text_content(), "42");
}

#[tokio::test]
async fn sdk_servers_without_a_bridge_or_with_a_failing_one_fail() {
    let manager = McpManager::start(vec![sdk_spec()], ManagerOptions::default()).await;
    let status = &manager.status()[0];
    assert_eq!(status.status, McpConnectionStatus::Failed);
    assert!(status.error.as_deref().unwrap().contains("no SDK bridge"));
    let refuse: SdkConnector = Arc::new(|_: &str| Err("host is shutting down".to_owned()));
    let options = ManagerOptions {
        sdk: Some(refuse),
        ..ManagerOptions::default()
    };
    let manager = McpManager::start(vec![sdk_spec()], options).await;
    assert_eq!(
        manager.status()[0].error.as_deref(),
        Some("host is shutting down")
    );
}
