//! The examples parse into the typed values they describe, and control
//! response payloads parse into the typed response of their request kind.

use pretty_assertions::assert_eq;
use serde_json::{Map, Value, json};

use ferrule_protocol::sdk::{
    ControlRequest, ControlResponse, InitializeResponse, McpMessageResponse, ModelInfo,
    PermissionAllow, PermissionDeny, PermissionMode, PermissionResult, StreamMessage,
};
use ferrule_protocol::{ContentBlock, Message, MessageContent, StopReason, ToolResultBlock, Usage};

use super::fixtures::examples;

fn transcript() -> Vec<StreamMessage> {
    examples("stream")
        .into_iter()
        .filter(|example| example.origin.starts_with("s15_transcript.jsonl"))
        .map(|example| StreamMessage::from_line(&example.line).unwrap())
        .collect()
}

fn success_payload(message: &StreamMessage) -> &ferrule_protocol::sdk::ControlSuccess {
    match message {
        StreamMessage::ControlResponse(envelope) => match &envelope.response {
            ControlResponse::Success(success) => success,
            ControlResponse::Error(error) => panic!("error response {error:?}"),
        },
        other => panic!("not a control response: {other:?}"),
    }
}

#[test]
fn worked_transcript_has_the_documented_message_sequence() {
    let lines = transcript();
    let kinds: Vec<&str> = lines.iter().map(StreamMessage::kind).collect();
    assert_eq!(
        kinds,
        [
            "control_request",
            "system",
            "control_response",
            "user",
            "assistant",
            "control_request",
            "control_response",
            "user",
            "assistant",
            "result"
        ]
    );
}

#[test]
fn initialize_response_parses_into_its_typed_payload() {
    let lines = transcript();
    let parsed: InitializeResponse = success_payload(&lines[2]).parse().unwrap();
    assert_eq!(
        parsed,
        InitializeResponse {
            output_style: "default".into(),
            available_output_styles: vec!["default".into()],
            models: vec![ModelInfo {
                value: "openai/gpt-4.1".into(),
                display_name: "gpt-4.1".into(),
                description: String::new(),
                is_default: None,
                is_enabled: None,
                extra: Map::new(),
            }],
            ..InitializeResponse::default()
        }
    );
    assert_eq!(
        Value::Object(success_payload(&lines[2]).response.clone()),
        serde_json::to_value(&parsed).unwrap()
    );
}

#[test]
fn python_initialize_keeps_its_duplicate_type_key() {
    let StreamMessage::ControlRequest(envelope) = &transcript()[0] else {
        panic!("first line is the initialize request");
    };
    let ControlRequest::Initialize(init) = &envelope.request else {
        panic!("an initialize request: {:?}", envelope.request);
    };
    assert_eq!(init.model_policy_provider, Some(false));
    assert_eq!(init.initialize_timeout_ms, Some(120_000));
    assert_eq!(init.supports_catalog_ready_initialize, Some(true));
    assert_eq!(init.extra.get("type"), Some(&json!("initialize")));
}

#[test]
fn can_use_tool_answer_parses_as_allow_with_tool_use_id() {
    let lines = transcript();
    let answer: PermissionResult = success_payload(&lines[6]).parse().unwrap();
    assert_eq!(
        answer,
        PermissionResult::Allow(PermissionAllow {
            updated_input: Some(json!({"file_path": "/home/me/proj/hello.txt", "content": "hi\n"})),
            tool_use_id: Some("call_7".into()),
            updated_permissions: None,
            decision_classification: None,
            permission_scope: None,
            extra: Map::new(),
        })
    );
}

#[test]
fn deny_answer_of_the_worked_transcript_parses_as_deny() {
    let example = examples("stream")
        .into_iter()
        .find(|example| example.origin.starts_with("s15_deny_response.json"))
        .unwrap();
    let message = StreamMessage::from_line(&example.line).unwrap();
    let answer: PermissionResult = success_payload(&message).parse().unwrap();
    assert_eq!(
        answer,
        PermissionResult::Deny(PermissionDeny {
            message: "not now".into(),
            tool_use_id: Some("call_7".into()),
            interrupt: None,
            decision_classification: None,
            extra: Map::new(),
        })
    );
}

#[test]
fn tool_result_line_is_a_user_message_with_a_tool_result_block() {
    let StreamMessage::User(user) = &transcript()[7] else {
        panic!("a user line");
    };
    assert_eq!(
        user.message,
        Message::user(MessageContent::Blocks(vec![ContentBlock::ToolResult(
            ToolResultBlock::text(
                "call_7",
                "File created successfully at: /home/me/proj/hello.txt"
            )
        )]))
    );
    assert_eq!(user.parent_tool_use_id, None);
}

#[test]
fn assistant_line_carries_tool_use_stop_reason_and_usage() {
    let StreamMessage::Assistant(assistant) = &transcript()[4] else {
        panic!("an assistant line");
    };
    assert_eq!(assistant.message.model, "gpt-4.1");
    assert_eq!(assistant.message.stop_reason(), Some(&StopReason::ToolUse));
    assert_eq!(assistant.message.usage, Some(Usage::new(812, 31)));
}

#[test]
fn result_line_carries_totals() {
    let StreamMessage::Result(result) = &transcript()[9] else {
        panic!("a result line");
    };
    assert_eq!(result.num_turns, 2);
    assert_eq!(result.usage.total_tokens(), 1719);
    assert_eq!(result.model_usage["gpt-4.1"].input_tokens, 1682);
    assert!(!result.is_error);
}

#[test]
fn each_control_request_example_parses_as_its_kind() {
    let count = examples("stream")
        .into_iter()
        .filter(|example| example.origin.starts_with("s06_s07_control_requests.jsonl"))
        .map(
            |example| match StreamMessage::from_line(&example.line).unwrap() {
                StreamMessage::ControlRequest(envelope) => {
                    let inner = &example.value["request"];
                    let sent = inner
                        .get("subtype")
                        .or_else(|| inner.get("type"))
                        .and_then(Value::as_str)
                        .unwrap();
                    assert_eq!(envelope.request.kind(), sent, "{}", example.origin);
                }
                other => panic!("{}: {other:?}", example.origin),
            },
        )
        .count();
    assert_eq!(count, 51);
}

#[test]
fn mcp_message_answer_parses_into_its_typed_payload() {
    let example = examples("stream")
        .into_iter()
        .find(|example| example.origin.starts_with("s11_mcp_message_response.json"))
        .unwrap();
    let message = StreamMessage::from_line(&example.line).unwrap();
    let answer: McpMessageResponse = success_payload(&message).parse().unwrap();
    assert_eq!(answer.mcp_response, json!({"jsonrpc": "2.0", "result": {}}));
}

#[test]
fn loose_permission_modes_accept_camel_and_snake_case() {
    let parsed: Vec<Option<PermissionMode>> =
        ["acceptEdits", "accept_edits", "YOLO", "dont-ask", "turbo"]
            .into_iter()
            .map(PermissionMode::from_loose)
            .collect();
    assert_eq!(
        parsed,
        [
            Some(PermissionMode::AcceptEdits),
            Some(PermissionMode::AcceptEdits),
            Some(PermissionMode::BypassPermissions),
            Some(PermissionMode::DontAsk),
            None
        ]
    );
}

#[test]
fn unknown_control_request_kind_is_kept_for_an_error_answer() {
    let line =
        r#"{"type":"control_request","request_id":"r9","request":{"subtype":"frobnicate","x":1}}"#;
    let StreamMessage::ControlRequest(envelope) = StreamMessage::from_line(line).unwrap() else {
        panic!("a control request");
    };
    assert_eq!(
        envelope.request.unsupported_message(),
        "Unsupported control request subtype: frobnicate"
    );
    assert_eq!(
        StreamMessage::ControlRequest(envelope).to_line().unwrap(),
        line
    );
}

#[test]
fn partial_message_events_parse_into_typed_stream_events() {
    use ferrule_protocol::sdk::{ContentDelta, StreamEvent};
    let events: Vec<StreamEvent> = examples("stream")
        .into_iter()
        .filter(|example| example.origin.starts_with("s03_6_stream_events.jsonl"))
        .map(
            |example| match StreamMessage::from_line(&example.line).unwrap() {
                StreamMessage::StreamEvent(line) => line.event,
                other => panic!("{}: {other:?}", example.origin),
            },
        )
        .collect();
    let kinds: Vec<&str> = events.iter().map(StreamEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_start",
            "content_block_delta",
            "message_delta",
            "message_stop"
        ]
    );
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::ContentBlockDelta(delta) => Some(delta.delta.kind()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["text_delta", "input_json_delta", "thinking_delta"]);
    let StreamEvent::ContentBlockDelta(first) = &events[2] else {
        panic!("a delta");
    };
    assert_eq!(
        first.delta,
        ContentDelta::TextDelta(ferrule_protocol::sdk::TextDelta { text: "Hel".into() })
    );
}
