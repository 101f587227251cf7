//! The real `ferrule --acp` binary over its stdin and stdout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test; a failure should panic"
)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use agent_client_protocol::ByteStreams;
use agent_client_protocol::v1::schema::{NewSessionRequest, PromptRequest, StopReason};
use serde_json::json;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use super::harness::{Recorder, Sandbox, text_turn, tool_turn, with_client};

/// The `ferrule` binary of this build, built first when missing (a lone
/// `cargo test -p ferrule-acp` does not build other packages' binaries).
fn ferrule_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = dir.join("ferrule");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "-p", "ferrule-cli", "--bin", "ferrule"])
            .status()
            .unwrap();
        assert!(status.success(), "building ferrule failed");
    }
    binary
}

#[tokio::test]
async fn ferrule_acp_serves_a_session_with_a_permission_request() {
    let sandbox = Sandbox::new();
    let model = sandbox.script(json!([
        tool_turn(
            "call_1",
            "Write",
            json!({"file_path": "out.txt", "content": "acp\n"})
        ),
        text_turn("Wrote out.txt.")
    ]));
    let mut child = tokio::process::Command::new(ferrule_binary())
        .args(["--acp", "--model", &model])
        .current_dir(sandbox.project())
        .env_clear()
        .envs(sandbox.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let transport = ByteStreams::new(
        child.stdin.take().unwrap().compat_write(),
        child.stdout.take().unwrap().compat(),
    );
    let recorder = Recorder::default();
    recorder.answer(&[Some(ferrule_acp::ALLOW_ONCE)]);
    let project = sandbox.project();
    let (stop, text) = with_client(transport, recorder.clone(), async |cx, init| {
        assert_eq!(init.agent_info.unwrap().name, "ferrule");
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let response = cx
            .send_request(PromptRequest::new(
                session.session_id,
                vec!["write it".into()],
            ))
            .block_task()
            .await
            .unwrap();
        (
            response.stop_reason,
            Recorder::agent_text(&recorder.take_updates()),
        )
    })
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(text, "Wrote out.txt.");
    assert_eq!(recorder.permissions().len(), 1);
    assert_eq!(
        std::fs::read_to_string(project.join("out.txt")).unwrap(),
        "acp\n"
    );
    // stdin closed with the connection: the process ends by itself.
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("ferrule --acp did not exit after stdin closed")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn mcp_servers_named_by_the_client_offer_their_tools() {
    use agent_client_protocol::v1::schema::{McpServer, McpServerStdio, SessionUpdate};

    let sandbox = Sandbox::new();
    std::fs::write(sandbox.project().join("notes.txt"), "from the MCP server\n").unwrap();
    let setup = sandbox.setup(json!([
        tool_turn(
            "call_1",
            "mcp__self__Read",
            json!({"file_path": "notes.txt"})
        ),
        text_turn("Read it.")
    ]));
    let (transport, _server) = super::harness::in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[Some(ferrule_acp::ALLOW_ONCE)]);
    let project = sandbox.project();
    let server = McpServer::Stdio(
        McpServerStdio::new("self", ferrule_binary()).args(vec!["mcp".into(), "serve".into()]),
    );
    let updates = with_client(transport, recorder.clone(), async |cx, init| {
        assert!(init.agent_capabilities.mcp_capabilities.http);
        let session = cx
            .send_request(NewSessionRequest::new(&project).mcp_servers(vec![server]))
            .block_task()
            .await
            .unwrap();
        let response = cx
            .send_request(PromptRequest::new(
                session.session_id,
                vec!["read notes".into()],
            ))
            .block_task()
            .await
            .unwrap();
        assert_eq!(response.stop_reason, StopReason::EndTurn);
        recorder.take_updates()
    })
    .await;
    let output: String = updates
        .iter()
        .filter_map(|u| match u {
            SessionUpdate::ToolCallUpdate(update) if update.tool_call_id.0.as_ref() == "call_1" => {
                update.fields.raw_output.as_ref().map(ToString::to_string)
            }
            _ => None,
        })
        .collect();
    assert!(output.contains("from the MCP server"), "{updates:?}");
    assert_eq!(
        recorder.permissions()[0].tool_call.tool_call_id.0.as_ref(),
        "call_1"
    );
}
