//! Elicitation against a real MCP server (`tests/mcp/servers/elicit.py`, the
//! official Python `mcp` package): the capability is advertised only with
//! an elicitor, form and url requests reach it with their fields, and its
//! answer is what the server gets.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ferrule_mcp::{
    ElicitMode, ElicitReply, ElicitReplyAction, Elicitation, Elicitor, ManagerOptions, McpManager,
    ServerSpec,
};
use ferrule_tool::ToolRegistry;
use serde_json::json;

use common::{ctx, python, script, stdio_spec};

/// Answers with a fixed reply and keeps what it was asked.
struct Recorder {
    reply: ElicitReply,
    seen: Mutex<Vec<Elicitation>>,
    completed: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Elicitor for Recorder {
    async fn elicit(&self, request: Elicitation) -> ElicitReply {
        self.seen.lock().unwrap().push(request);
        self.reply.clone()
    }

    async fn completed(&self, server: &str, elicitation_id: &str) {
        self.completed
            .lock()
            .unwrap()
            .push((server.to_owned(), elicitation_id.to_owned()));
    }
}

fn spec(py: &std::path::Path) -> ServerSpec {
    stdio_spec("asker", &py.display().to_string(), &[&script("elicit.py")])
}

async fn registry(
    py: &std::path::Path,
    elicitor: Option<Arc<dyn Elicitor>>,
) -> (McpManager, ToolRegistry) {
    let options = ManagerOptions {
        startup_timeout: Duration::from_secs(30),
        elicitor,
        ..ManagerOptions::default()
    };
    let manager = McpManager::start(vec![spec(py)], options).await;
    let mut registry = ToolRegistry::new();
    manager.register_tools(&mut registry).unwrap();
    (manager, registry)
}

async fn call(registry: &ToolRegistry, tool: &str) -> String {
    registry
        .call(tool, json!({}), &ctx())
        .await
        .unwrap()
        .text_content()
}

fn recorder(action: ElicitReplyAction, content: Option<serde_json::Value>) -> Arc<Recorder> {
    Arc::new(Recorder {
        reply: ElicitReply { action, content },
        seen: Mutex::new(Vec::new()),
        completed: Mutex::new(Vec::new()),
    })
}

#[tokio::test]
async fn a_form_elicitation_reaches_the_elicitor_and_its_answer_the_server() {
    let Some(py) = python() else { return };
    let elicitor = recorder(ElicitReplyAction::Accept, Some(json!({"name": "Ada"})));
    let (_manager, tools) = registry(&py, Some(elicitor.clone())).await;
    assert_eq!(
        call(&tools, "mcp__asker__capabilities").await,
        "elicitation"
    );
    assert_eq!(call(&tools, "mcp__asker__ask_name").await, "accept: Ada");
    let seen = elicitor.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (
            request.server.as_str(),
            request.message.as_str(),
            request.mode
        ),
        ("asker", "What is your name?", ElicitMode::Form)
    );
    assert_eq!(request.url, None);
    assert!(!request.elicitation_id.is_empty());
    assert_eq!(
        request.requested_schema["properties"]["name"]["type"],
        "string"
    );
}

#[tokio::test]
async fn declines_and_url_elicitations_with_their_complete_notification() {
    let Some(py) = python() else { return };
    let elicitor = recorder(ElicitReplyAction::Decline, None);
    let (_manager, tools) = registry(&py, Some(elicitor.clone())).await;
    assert_eq!(call(&tools, "mcp__asker__ask_name").await, "decline");

    let elicitor = recorder(ElicitReplyAction::Accept, None);
    let (_manager, tools) = registry(&py, Some(elicitor.clone())).await;
    assert_eq!(call(&tools, "mcp__asker__open_page").await, "accept");
    let seen = elicitor.seen.lock().unwrap().clone();
    assert_eq!(
        (
            seen[0].mode,
            seen[0].url.as_deref(),
            seen[0].elicitation_id.as_str()
        ),
        (
            ElicitMode::Url,
            Some("https://login.invalid/start"),
            "page-1"
        )
    );
    // The notification may trail the tool result: wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while elicitor.completed.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no elicitation/complete"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        elicitor.completed.lock().unwrap()[0],
        ("asker".to_owned(), "page-1".to_owned())
    );
}

#[tokio::test]
async fn without_an_elicitor_the_capability_is_not_advertised() {
    let Some(py) = python() else { return };
    let (_manager, tools) = registry(&py, None).await;
    assert_eq!(call(&tools, "mcp__asker__capabilities").await, "none");
}
