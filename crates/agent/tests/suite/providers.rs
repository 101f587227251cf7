//! The loop against the fake OpenAI-compatible and Anthropic servers.

use std::sync::Arc;

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_model::Model;
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentErrorKind, AgentEvent, TurnOutcome};
use ferrule_test_support::{FakeModelServer, Reply, anthropic, openai};
use ferrule_tool::ToolRegistry;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, Meet, anthropic_model, builtins, openai_model, policy};

async fn write_through(server: &FakeModelServer, model: Arc<dyn Model>) {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::AcceptEdits, &[]))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("write it"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "streamed\n"
    );
    assert_eq!(result.summary.result.as_deref(), Some("Done."));
    assert_eq!(result.summary.num_turns, 2);
    assert_eq!(result.summary.usage.input_tokens, 20);
    assert_eq!(result.summary.usage.output_tokens, 10);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1].body.to_string();
    assert!(second.contains("call_w"), "the result goes back: {second}");
    // Streamed argument pieces arrive as input deltas.
    let deltas = sink
        .events()
        .iter()
        .filter(|e| matches!(e.event, AgentEvent::ToolCallInputDelta { .. }))
        .count();
    assert!(deltas >= 2, "{deltas} input deltas");
}

#[tokio::test]
async fn openai_tool_call_writes_the_file() {
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::tool_calls_reply(
        &[(
            "call_w",
            "Write",
            r#"{"file_path": "out.txt", "content": "streamed\n"}"#,
        )],
        3,
    ));
    server.mount(openai::text_reply("Done."));
    write_through(&server, openai_model(&server)).await;
}

#[tokio::test]
async fn anthropic_tool_call_writes_the_file() {
    let server = FakeModelServer::anthropic().await.unwrap();
    server.mount(anthropic::tool_use_reply(
        &[(
            "call_w",
            "Write",
            r#"{"file_path": "out.txt", "content": "streamed\n"}"#,
        )],
        3,
    ));
    server.mount(anthropic::text_reply("Done."));
    write_through(&server, anthropic_model(&server)).await;
}

#[tokio::test]
async fn read_only_calls_run_together_and_report_in_call_order() {
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::tool_calls_reply(
        &[
            ("m1", "Meet", r#"{"id": "first", "sleep_ms": 150}"#),
            ("m2", "Meet", r#"{"id": "second", "sleep_ms": 0}"#),
            ("m3", "Meet", r#"{"id": "third", "sleep_ms": 50}"#),
        ],
        2,
    ));
    server.mount(openai::text_reply("All met."));
    let dir = tempfile::tempdir().unwrap();
    let mut tools = ToolRegistry::new();
    tools
        .register(Meet {
            barrier: Arc::new(tokio::sync::Barrier::new(3)),
        })
        .unwrap();
    let mut agent = AgentBuilder::new(openai_model(&server), tools, dir.path())
        .policy_builder(policy(dir.path(), Mode::Default, &["Meet"]))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("meet"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let results: Vec<(String, String)> = sink
        .results()
        .into_iter()
        .map(|r| (r.tool_use_id.clone(), r.content.unwrap().joined_text()))
        .collect();
    assert_eq!(
        results,
        vec![
            ("m1".into(), "met first".into()),
            ("m2".into(), "met second".into()),
            ("m3".into(), "met third".into()),
        ]
    );
    let body = &server.requests()[1].body;
    let tool_ids: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(tool_ids, ["m1", "m2", "m3"]);
}

#[tokio::test]
async fn a_429_is_retried_then_the_run_succeeds() {
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(Reply::error(429, "slow down").retry_after("0"));
    server.mount(openai::text_reply("Second try."));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(openai_model(&server), ToolRegistry::new(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("hi"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("Second try."));
    let retries: Vec<_> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e.event {
            AgentEvent::Retry { attempt, error, .. } => Some((attempt, error.kind, error.status)),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![(1, AgentErrorKind::RateLimit, Some(429))]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_stalled_stream_fails_the_run_with_a_clear_error() {
    let server = FakeModelServer::anthropic().await.unwrap();
    server.mount(
        Reply::sse(vec![
            anthropic::message_start(10),
            anthropic::text_block(0, "Thinking about", 1).remove(0),
        ])
        .stall(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(anthropic_model(&server), ToolRegistry::new(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("hi"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Failed);
    let message = result.summary.result.clone().unwrap();
    assert!(message.contains("stalled"), "{message}");
    assert!(
        message.contains(&server.base_url()),
        "names the server: {message}"
    );
    assert_eq!(result.summary.errors, vec![message]);
    let errors: Vec<_> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e.event {
            AgentEvent::Error { error } => Some(error.kind),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![AgentErrorKind::Server]);
}

#[tokio::test]
async fn an_error_status_after_retries_fails_with_the_provider_message() {
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(Reply::error(401, "bad key"));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(openai_model(&server), ToolRegistry::new(), dir.path())
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("hi"), &Collect::default()).await;
    assert_eq!(result.outcome, TurnOutcome::Failed);
    let message = result.summary.result.unwrap();
    assert!(
        message.contains("401") && message.contains("bad key"),
        "{message}"
    );
    // The next run can still go: the history ends with the user message.
    server.mount(openai::text_reply("fine now"));
    let again = agent
        .run(UserInput::text("again"), &Collect::default())
        .await;
    assert_eq!(again.outcome, TurnOutcome::Completed, "{:?}", again.summary);
    let _ = json!({});
}
