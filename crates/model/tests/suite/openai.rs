//! The OpenAI-compatible provider against the fake server.

use anyhow::Result;
use ferrule_model::{
    HttpOptions, Model, ModelError, ModelEvent, ModelRequest, OpenAiModel, ToolChoice, ToolSpec,
};
use ferrule_protocol::{AssistantMessage, ContentBlock, Message, StopReason, ToolUseBlock, Usage};
use ferrule_test_support::{FakeModelServer, Reply, openai};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{completed, error_of, events_of, fast_options};

fn model(server: &FakeModelServer, key: Option<&str>) -> Result<OpenAiModel> {
    Ok(OpenAiModel::new(
        "gpt-4.1",
        server.base_url(),
        key.map(str::to_owned),
        fast_options(),
    )?)
}

fn tool(name: &str) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: format!("the {name} tool"),
        input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    }
}

#[tokio::test]
async fn streamed_text_arrives_as_deltas_then_usage_stop_and_message() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Hello, world"));
    let model = model(&server, Some("sk-test"))?;
    let events = events_of(model.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;

    let mut message = AssistantMessage::new("fake-gpt", vec![ContentBlock::text("Hello, world")]);
    message.id = Some("chatcmpl-fake".into());
    message.stop_reason = Some(Some(StopReason::EndTurn));
    message.stop_sequence = Some(None);
    message.usage = Some(Usage::new(10, 5));
    let text = |text: &str| ModelEvent::TextDelta {
        index: 0,
        text: text.into(),
    };
    assert_eq!(
        events,
        vec![
            ModelEvent::MessageStart {
                id: "chatcmpl-fake".into(),
                model: "fake-gpt".into()
            },
            text("Hell"),
            text("o, w"),
            text("orld"),
            ModelEvent::BlockStop { index: 0 },
            ModelEvent::Usage {
                usage: Usage::new(10, 5)
            },
            ModelEvent::Stop {
                reason: StopReason::EndTurn
            },
            ModelEvent::Completed {
                message: Box::new(message)
            },
        ]
    );
    Ok(())
}

#[tokio::test]
async fn the_request_carries_the_model_messages_tools_and_usage_option() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.require_api_key("sk-test");
    server.mount(openai::text_reply("ok"));
    let model = model(&server, Some("sk-test"))?;
    let request = ModelRequest {
        system: Some("You are terse.".into()),
        messages: vec![Message::user("list")],
        tools: vec![tool("LS")],
        temperature: Some(0.5),
        tool_choice: ToolChoice::Tool { name: "LS".into() },
        ..ModelRequest::default()
    };
    events_of(model.stream(request, Default::default())).await;

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(
        requests[0].body,
        json!({
            "model": "gpt-4.1",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "list"}
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.5,
            "tools": [{"type": "function", "function": {
                "name": "LS", "description": "the LS tool",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}
            }}],
            "tool_choice": {"type": "function", "function": {"name": "LS"}}
        })
    );
    Ok(())
}

#[tokio::test]
async fn tool_call_arguments_split_in_many_chunks_are_streamed_and_parsed() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let arguments =
        r#"{"file_path": "src/main.rs", "content": "fn main() {\n    println!(\"hi ✓\");\n}\n"}"#;
    server.mount(openai::tool_calls_reply(
        &[("call_w", "Write", arguments)],
        25,
    ));
    let events = events_of(model(&server, Some("k"))?.stream(
        ModelRequest::new(vec![Message::user("write it")]),
        Default::default(),
    ))
    .await;

    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::ToolCallDelta { partial_json, .. } => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas.len(), 25);
    assert_eq!(deltas.concat(), arguments);
    let call = ToolUseBlock {
        id: "call_w".into(),
        name: "Write".into(),
        input: serde_json::from_str(arguments)?,
    };
    assert!(events.contains(&ModelEvent::ToolCallStart {
        index: 0,
        id: "call_w".into(),
        name: "Write".into()
    }));
    assert!(events.contains(&ModelEvent::ToolCallEnd {
        index: 0,
        call: call.clone()
    }));
    let message = completed(&events);
    assert_eq!(message.content, vec![ContentBlock::ToolUse(call)]);
    assert_eq!(message.stop_reason(), Some(&StopReason::ToolUse));
    Ok(())
}

#[tokio::test]
async fn parallel_tool_calls_keep_their_order_ids_and_inputs() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let mut frames = openai::text_frames("Reading both.", 2);
    // Interleaved argument deltas of two calls, as parallel calls may come.
    let first = openai::tool_call_frames(0, "call_a", "Read", r#"{"path":"a.txt"}"#, 3);
    let second = openai::tool_call_frames(1, "call_b", "Read", r#"{"path":"b.txt"}"#, 3);
    for (a, b) in first.into_iter().zip(second) {
        frames.push(a);
        frames.push(b);
    }
    frames.push(openai::finish("tool_calls"));
    frames.push(openai::done());
    server.mount(Reply::sse(frames));
    let events = events_of(model(&server, Some("k"))?.stream(
        ModelRequest::new(vec![Message::user("read a and b")]),
        Default::default(),
    ))
    .await;

    let message = completed(&events);
    assert_eq!(
        message.content,
        vec![
            ContentBlock::text("Reading both."),
            ContentBlock::ToolUse(ToolUseBlock {
                id: "call_a".into(),
                name: "Read".into(),
                input: json!({"path": "a.txt"})
            }),
            ContentBlock::ToolUse(ToolUseBlock {
                id: "call_b".into(),
                name: "Read".into(),
                input: json!({"path": "b.txt"})
            }),
        ]
    );
    // No usage chunk was sent (like llama.cpp): no usage event, no usage.
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, ModelEvent::Usage { .. }))
    );
    assert_eq!(message.usage, None);
    Ok(())
}

#[tokio::test]
async fn tool_results_are_sent_back_as_tool_messages_the_server_accepts() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("done"));
    let request = ModelRequest::new(vec![
        Message::user("read"),
        Message::assistant(vec![ContentBlock::ToolUse(ToolUseBlock {
            id: "call_a".into(),
            name: "Read".into(),
            input: json!({"path": "a"}),
        })]),
        Message::user(vec![ContentBlock::ToolResult(
            ferrule_protocol::ToolResultBlock::text("call_a", "contents"),
        )]),
    ]);
    events_of(model(&server, Some("k"))?.stream(request, Default::default())).await;
    assert_eq!(
        server.requests()[0].body["messages"][2],
        json!({"role": "tool", "tool_call_id": "call_a", "content": "contents"})
    );
    assert_eq!(server.violations(), Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn a_tool_result_answering_no_call_is_flagged_by_the_fake_server() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("never sent"));
    let request = ModelRequest::new(vec![
        Message::user("read"),
        Message::user(vec![ContentBlock::ToolResult(
            ferrule_protocol::ToolResultBlock::text("call_zz", "contents"),
        )]),
    ]);
    let (_, error) = error_of(model(&server, Some("k"))?.stream(request, Default::default())).await;
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        server.take_violations(),
        vec!["request 1: messages[1]: tool message for `call_zz`, which no preceding assistant message called".to_owned()]
    );
    Ok(())
}

#[tokio::test]
async fn a_non_sse_line_in_the_body_is_an_error_naming_the_line() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::sse(vec![
        openai::delta(json!({"content": "par"})),
        "<html>proxy error</html>\n".to_owned(),
    ]));
    let (events, error) = error_of(model(&server, Some("k"))?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert_eq!(events.len(), 2, "start and the first delta: {events:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "openai: bad response stream from {}: event stream line 3: unexpected field `<html>proxy error</html>` in `<html>proxy error</html>`",
            server.url()
        )
    );
    Ok(())
}

#[tokio::test]
async fn data_that_is_not_json_is_an_error_quoting_it() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::sse(vec!["data: {\"choices\": [\n\n".to_owned()]));
    let (_, error) = error_of(model(&server, Some("k"))?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    let text = error.to_string();
    assert!(text.contains("line 1: data is not JSON"), "{text}");
    assert!(text.contains("`{\"choices\": [`"), "{text}");
    Ok(())
}

#[tokio::test]
async fn unauthorized_names_the_url_and_the_key_variable() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.require_api_key("sk-right");
    let (events, error) = error_of(model(&server, Some("sk-wrong"))?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert_eq!(events, vec![], "a 401 is not retried");
    assert_eq!(
        error.to_string(),
        format!(
            "openai: {} refused the API key (HTTP 401): invalid x-api-key / Incorrect API key provided; \
             check OPENAI_API_KEY (or the base URL if the key is for another server)",
            server.url()
        )
    );
    Ok(())
}

#[tokio::test]
async fn unknown_model_names_the_model_the_url_and_the_server_message() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::error(
        404,
        "model 'gpt-4.1' not found, try pulling it first",
    ));
    let (_, error) = error_of(model(&server, None)?.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert_eq!(
        error.to_string(),
        format!(
            "openai: model `gpt-4.1` or endpoint not found at {} (HTTP 404): model 'gpt-4.1' not found, try pulling it first",
            server.url()
        )
    );
    // A local server needs no key: none was sent.
    assert_eq!(server.requests()[0].header("authorization"), None);
    Ok(())
}

#[tokio::test]
async fn the_default_openai_url_without_a_key_names_the_variable() -> Result<()> {
    let model = OpenAiModel::new(
        "gpt-4.1",
        ferrule_model::OPENAI_DEFAULT_BASE_URL,
        None,
        HttpOptions::default(),
    )?;
    let (_, error) = error_of(model.stream(
        ModelRequest::new(vec![Message::user("hi")]),
        Default::default(),
    ))
    .await;
    assert!(
        matches!(error, ModelError::MissingApiKey { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "openai: no API key: set OPENAI_API_KEY (needed for requests to https://api.openai.com/v1)"
    );
    Ok(())
}
