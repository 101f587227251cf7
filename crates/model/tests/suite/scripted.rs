//! The scripted provider and the recorder.

use std::sync::Arc;

use anyhow::Result;
use ferrule_model::{
    CancellationToken, Model, ModelError, ModelEvent, ModelRequest, OpenAiModel, Recorder, Script,
    ScriptError, ScriptedModel,
};
use ferrule_protocol::{ContentBlock, Message, StopReason, ToolResultBlock, ToolUseBlock, Usage};
use ferrule_test_support::{FakeModelServer, Reply, openai};
use futures::StreamExt;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{completed, error_of, events_of, fast_options};

fn request() -> ModelRequest {
    ModelRequest::new(vec![Message::user("go")])
}

const SCRIPT: &str = r#"{
  "model": "demo",
  "turns": [
    {"blocks": [
      {"type": "text", "text": "Writing the file."},
      {"type": "tool_use", "id": "call_1", "name": "Write", "input": {"file_path": "a.txt", "content": "hi"}}
    ]},
    {"blocks": [{"type": "text", "text": "Done."}], "usage": {"input_tokens": 30, "output_tokens": 3}}
  ]
}"#;

#[tokio::test]
async fn turns_are_played_in_order_then_running_out_is_an_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("demo.json");
    std::fs::write(&path, SCRIPT)?;
    let model = ScriptedModel::from_file(&path)?;
    assert_eq!(model.remaining_turns(), 2);

    let first = events_of(model.stream(request(), Default::default())).await;
    assert_eq!(
        first,
        vec![
            ModelEvent::MessageStart {
                id: "msg_scripted_1".into(),
                model: "demo".into()
            },
            ModelEvent::TextDelta {
                index: 0,
                text: "Writing the file.".into()
            },
            ModelEvent::BlockStop { index: 0 },
            ModelEvent::ToolCallStart {
                index: 1,
                id: "call_1".into(),
                name: "Write".into()
            },
            ModelEvent::ToolCallDelta {
                index: 1,
                partial_json: r#"{"file_path":"a.txt","content":"hi"}"#.into()
            },
            ModelEvent::ToolCallEnd {
                index: 1,
                call: ToolUseBlock {
                    id: "call_1".into(),
                    name: "Write".into(),
                    input: json!({"file_path": "a.txt", "content": "hi"})
                }
            },
            ModelEvent::BlockStop { index: 1 },
            ModelEvent::Stop {
                reason: StopReason::ToolUse
            },
            first
                .last()
                .cloned()
                .unwrap_or(ModelEvent::BlockStop { index: 99 }),
        ]
    );
    assert_eq!(completed(&first).stop_reason(), Some(&StopReason::ToolUse));

    let second = events_of(model.stream(request(), Default::default())).await;
    let message = completed(&second);
    assert_eq!(message.content, vec![ContentBlock::text("Done.")]);
    assert_eq!(message.usage, Some(Usage::new(30, 3)));
    assert_eq!(message.stop_reason(), Some(&StopReason::EndTurn));

    let (_, error) = error_of(model.stream(request(), Default::default())).await;
    assert_eq!(
        error.to_string(),
        format!(
            "script {}: all 2 turns were used; request 3 has no scripted response",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn a_broken_script_is_an_error_with_line_column_and_position() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\"turns\": [\n  {\"blocks\": [{\"type\": \"text\", \"text\": \"a\"}]},\n  {\"blocks\": [{\"type\": \"text\", \"txt\": \"b\"}]}\n]}\n",
    )?;
    let error = ScriptedModel::from_file(&path).unwrap_err();
    let ScriptError::Parse { line, at, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!((*line, at.as_str()), (3, "turns[1].blocks[0]"));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("script {}:3:", path.display())),
        "{text}"
    );
    assert!(text.contains("missing field `text`"), "{text}");

    let missing = ScriptedModel::from_file(dir.path().join("nope.json")).unwrap_err();
    assert!(matches!(missing, ScriptError::Read { .. }), "{missing:?}");
    assert!(missing.to_string().contains("nope.json"), "{missing}");

    std::fs::write(&path, r#"{"turns": [{"stop_reason": "end_turn"}]}"#)?;
    assert_eq!(
        ScriptedModel::from_file(&path).unwrap_err().to_string(),
        format!(
            "script {}: turn 1: has neither `events` nor `blocks`",
            path.display()
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_cancelled_scripted_stream_ends_with_cancelled() -> Result<()> {
    let script = Script::parse(SCRIPT, "inline.json".as_ref())?;
    let model = ScriptedModel::new("inline.json", script);
    let cancel = CancellationToken::new();
    let mut stream = model.stream(request(), cancel.clone());
    let first = stream.next().await;
    assert!(
        matches!(first, Some(Ok(ModelEvent::MessageStart { .. }))),
        "{first:?}"
    );
    cancel.cancel();
    let mut rest = Vec::new();
    while let Some(item) = stream.next().await {
        rest.push(item);
    }
    assert!(
        matches!(rest.last(), Some(Err(ModelError::Cancelled))),
        "{rest:?}"
    );
    assert!(
        rest.len() <= 2,
        "at most one buffered event before the cancellation: {rest:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_recorded_session_replays_offline_with_the_same_events() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::error(429, "slow down").retry_after("0"));
    let mut frames = openai::text_frames("Let me look.", 3);
    frames.extend(openai::tool_call_frames(
        0,
        "call_9",
        "Read",
        r#"{"path":"Cargo.toml"}"#,
        4,
    ));
    frames.push(openai::finish("tool_calls"));
    frames.push(openai::usage(50, 12));
    frames.push(openai::done());
    server.mount(Reply::sse(frames));
    server.mount(openai::text_reply("It is a workspace."));

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("session.json");
    let real: Arc<dyn Model> = Arc::new(OpenAiModel::new(
        "gpt-4.1",
        server.base_url(),
        Some("k".into()),
        fast_options(),
    )?);
    let recorder = Recorder::new(real, &path);
    assert_eq!(recorder.name(), "openai/gpt-4.1");

    let first_request = request();
    let first = events_of(recorder.stream(first_request.clone(), Default::default())).await;
    let call = ToolUseBlock {
        id: "call_9".into(),
        name: "Read".into(),
        input: json!({"path": "Cargo.toml"}),
    };
    let second_request = ModelRequest::new(vec![
        Message::user("go"),
        Message::assistant(vec![
            ContentBlock::text("Let me look."),
            ContentBlock::ToolUse(call),
        ]),
        Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
            "call_9",
            "[workspace]",
        ))]),
    ]);
    let second = events_of(recorder.stream(second_request.clone(), Default::default())).await;
    assert!(
        matches!(first[0], ModelEvent::Retry { .. }),
        "the live run retried once"
    );

    let replay = ScriptedModel::from_file(&path)?;
    let replayed_first = events_of(replay.stream(first_request, Default::default())).await;
    let replayed_second = events_of(replay.stream(second_request, Default::default())).await;
    let without_retries = |events: Vec<ModelEvent>| {
        events
            .into_iter()
            .filter(|e| !e.is_transport())
            .collect::<Vec<_>>()
    };
    assert_eq!(replayed_first, without_retries(first));
    assert_eq!(replayed_second, second);
    assert_eq!(replay.remaining_turns(), 0);
    Ok(())
}

#[tokio::test]
async fn a_recording_that_cannot_be_written_fails_the_response_naming_the_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let script = Script::parse(SCRIPT, "inline.json".as_ref())?;
    let inner: Arc<dyn Model> = Arc::new(ScriptedModel::new("inline.json", script));
    let path = dir.path().join("missing-dir").join("rec.json");
    let recorder = Recorder::new(inner, &path);
    let (events, error) = error_of(recorder.stream(request(), Default::default())).await;
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, ModelEvent::Completed { .. })),
        "the response is not reported complete: {events:?}"
    );
    assert!(matches!(error, ModelError::Record { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "cannot record model responses to {}",
            path.display()
        )),
        "{error}"
    );
    Ok(())
}
