//! The Anthropic provider against the fake server.

use anyhow::Result;
use ferrule_model::{
    ANTHROPIC_VERSION, AnthropicModel, HttpOptions, Model, ModelError, ModelEvent, ModelRequest,
    Thinking, ToolSpec,
};
use ferrule_protocol::{
    AssistantMessage, ContentBlock, Message, StopReason, ThinkingBlock, ToolResultBlock,
    ToolUseBlock, Usage,
};
use ferrule_test_support::{FakeModelServer, Reply, anthropic};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{completed, error_of, events_of, fast_options};

fn model(server: &FakeModelServer) -> Result<AnthropicModel> {
    Ok(AnthropicModel::new(
        "claude-sonnet-4-5",
        server.base_url(),
        Some("sk-ant-test".into()),
        fast_options(),
    )?)
}

#[tokio::test]
async fn thinking_with_signature_then_text_streams_and_completes() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    let mut frames = vec![anthropic::message_start(42), anthropic::ping()];
    frames.extend(anthropic::thinking_block(0, "Let me think.", "sig-123", 3));
    frames.extend(anthropic::text_block(1, "Answer: 4", 2));
    frames.push(anthropic::message_delta("end_turn", 17));
    frames.push(anthropic::message_stop());
    server.mount(Reply::sse(frames));
    let request = ModelRequest {
        messages: vec![Message::user("2+2?")],
        thinking: Thinking::Enabled {
            budget_tokens: 4000,
        },
        max_tokens: Some(1000),
        ..ModelRequest::default()
    };
    let events = events_of(model(&server)?.stream(request, Default::default())).await;

    let thinking: String = events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::ThinkingDelta { index: 0, thinking } => Some(thinking.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thinking, "Let me think.");
    assert!(events.contains(&ModelEvent::SignatureDelta {
        index: 0,
        signature: "sig-123".into()
    }));
    let mut expected = AssistantMessage::new(
        "fake-claude",
        vec![
            ContentBlock::Thinking(ThinkingBlock {
                thinking: "Let me think.".into(),
                signature: "sig-123".into(),
            }),
            ContentBlock::text("Answer: 4"),
        ],
    );
    expected.id = Some("msg_fake".into());
    expected.stop_reason = Some(Some(StopReason::EndTurn));
    expected.stop_sequence = Some(None);
    expected.usage = Some(Usage::new(42, 17));
    assert_eq!(completed(&events), expected);

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some(ANTHROPIC_VERSION));
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-sonnet-4-5",
            "thinking": {"type": "enabled", "budget_tokens": 4000},
            "max_tokens": 5024,
            "messages": [{"role": "user", "content": "2+2?"}],
            "stream": true
        })
    );
    Ok(())
}

#[tokio::test]
async fn parallel_tool_use_with_inputs_split_in_chunks_is_parsed() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(anthropic::tool_use_reply(
        &[
            (
                "toolu_1",
                "Grep",
                r#"{"pattern": "fn main", "path": "src"}"#,
            ),
            ("toolu_2", "Glob", r#"{"pattern": "**/*.rs"}"#),
        ],
        9,
    ));
    let request = ModelRequest {
        messages: vec![Message::user("find main")],
        tools: vec![ToolSpec {
            name: "Grep".into(),
            description: "search".into(),
            input_schema: json!({"type": "object"}),
        }],
        ..ModelRequest::default()
    };
    let events = events_of(model(&server)?.stream(request, Default::default())).await;
    let message = completed(&events);
    assert_eq!(
        message.content,
        vec![
            ContentBlock::ToolUse(ToolUseBlock {
                id: "toolu_1".into(),
                name: "Grep".into(),
                input: json!({"pattern": "fn main", "path": "src"})
            }),
            ContentBlock::ToolUse(ToolUseBlock {
                id: "toolu_2".into(),
                name: "Glob".into(),
                input: json!({"pattern": "**/*.rs"})
            }),
        ]
    );
    assert_eq!(message.stop_reason(), Some(&StopReason::ToolUse));
    let deltas = events
        .iter()
        .filter(|event| matches!(event, ModelEvent::ToolCallDelta { .. }))
        .count();
    assert_eq!(deltas, 18);
    assert_eq!(
        server.requests()[0].body["tools"],
        json!([{"name": "Grep", "description": "search", "input_schema": {"type": "object"}}])
    );
    Ok(())
}

#[tokio::test]
async fn invalid_tool_input_json_is_reported_for_the_model_to_read() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(anthropic::tool_use_reply(
        &[("toolu_1", "Read", r#"{"path": "a"#)],
        2,
    ));
    let events = events_of(model(&server)?.stream(
        ModelRequest::new(vec![Message::user("read")]),
        Default::default(),
    ))
    .await;
    let invalid: Vec<(String, String)> = events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::ToolCallInvalid { id, arguments, .. } => {
                Some((id.clone(), arguments.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        invalid,
        vec![("toolu_1".to_owned(), r#"{"path": "a"#.to_owned())]
    );
    // The completed message still has the call, with an empty input, so
    // that the agent can answer it with an error result.
    assert_eq!(
        completed(&events).content,
        vec![ContentBlock::ToolUse(ToolUseBlock {
            id: "toolu_1".into(),
            name: "Read".into(),
            input: json!({})
        })]
    );
    Ok(())
}

#[tokio::test]
async fn a_tool_round_trip_is_accepted_by_the_protocol_checks() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(anthropic::text_reply("The file says hi."));
    let request = ModelRequest::new(vec![
        Message::user("read a"),
        Message::assistant(vec![ContentBlock::ToolUse(ToolUseBlock {
            id: "toolu_1".into(),
            name: "Read".into(),
            input: json!({"path": "a"}),
        })]),
        Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
            "toolu_1", "hi",
        ))]),
    ]);
    let events = events_of(model(&server)?.stream(request, Default::default())).await;
    assert_eq!(
        completed(&events).content,
        vec![ContentBlock::text("The file says hi.")]
    );
    assert_eq!(server.violations(), Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn an_error_event_mid_stream_names_its_type_and_message() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    let mut frames = vec![anthropic::message_start(1)];
    frames.extend(anthropic::text_block(0, "par", 1));
    frames.push(anthropic::error("overloaded_error", "Overloaded"));
    server.mount(Reply::sse(frames));
    let (events, error) = error_of(model(&server)?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        error.to_string(),
        format!(
            "anthropic: {} reported `overloaded_error` mid-stream: Overloaded",
            server.url()
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_stream_cut_before_message_stop_is_an_error() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    let mut frames = vec![anthropic::message_start(1)];
    frames.extend(anthropic::text_block(0, "half", 1));
    server.mount(Reply::sse(frames));
    let (_, error) = error_of(model(&server)?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert_eq!(
        error.to_string(),
        format!(
            "anthropic: bad response stream from {}: the stream ended before `message_stop`",
            server.url()
        )
    );
    Ok(())
}

#[tokio::test]
async fn overloaded_529_is_retried() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.mount(Reply::error(529, "Overloaded"));
    server.mount(anthropic::text_reply("ok"));
    let events = events_of(model(&server)?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert!(
        matches!(
            events[0],
            ModelEvent::Retry {
                status: Some(529),
                ..
            }
        ),
        "{events:?}"
    );
    assert_eq!(completed(&events).content, vec![ContentBlock::text("ok")]);
    Ok(())
}

#[tokio::test]
async fn unauthorized_names_the_url_and_anthropic_api_key() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    server.require_api_key("sk-ant-other");
    let (_, error) = error_of(model(&server)?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "anthropic: {} refused the API key (HTTP 401)",
            server.url()
        )),
        "{text}"
    );
    assert!(text.contains("check ANTHROPIC_API_KEY"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_missing_key_names_anthropic_api_key_and_sends_nothing() -> Result<()> {
    let server = FakeModelServer::anthropic().await?;
    let model = AnthropicModel::new(
        "claude-sonnet-4-5",
        server.base_url(),
        None,
        HttpOptions::default(),
    )?;
    let (_, error) = error_of(model.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert!(matches!(
        error,
        ModelError::MissingApiKey {
            variable: "ANTHROPIC_API_KEY",
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        format!(
            "anthropic: no API key: set ANTHROPIC_API_KEY (needed for requests to {})",
            server.base_url()
        )
    );
    assert_eq!(server.requests().len(), 0);
    Ok(())
}
