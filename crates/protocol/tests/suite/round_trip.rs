//! Every JSON example of `sdk-protocol.md` parses into its typed value and
//! serializes back to the same JSON (compared as `serde_json::Value`, so key
//! order and spacing do not matter).
//!
//! The fixtures are written so that the comparison is exact. The
//! normalizations the types do apply, and which the fixtures therefore
//! avoid, are: TypeScript-required fields of `result` and `system/init`
//! (`usage`, `modelUsage`, `permission_denials`, `total_cost_usd`, the
//! init lists) are written even when absent on input; `parent_tool_use_id`
//! of `assistant`/`user`/`stream_event` is written as `null` when absent;
//! `role`/`type` of an assistant message body are always written; a
//! TypeScript control request that names its kind only in `type` is written
//! back with `subtype`; `yolo` is written as `bypassPermissions`; a success
//! control response without `response` gets `{}`.

use pretty_assertions::assert_eq;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use ferrule_protocol::sdk::{
    AuthPayload, ControlRequest, McpConfig, PermissionResult, StreamMessage, SystemMessage,
};

use super::fixtures::examples;

/// Examples that are meant to land in an `Other` variant (unknown kinds).
const EXPECTED_UNKNOWN: &[&str] = &[
    "s02_reserved_end.json:1",
    "s02_reserved_error.json:1",
    "s03_7_system_subtypes.jsonl:29",
    "s06_s07_control_requests.jsonl:50",
];

/// The documented normalization the fixtures cannot avoid: a control
/// request that names its kind only in `type` (TypeScript) is written with
/// `subtype` instead.
fn expected_output(mut value: Value) -> Value {
    if let Some(request) = value.get_mut("request").and_then(Value::as_object_mut)
        && !request.contains_key("subtype")
        && let Some(kind) = request.remove("type")
    {
        request.insert("subtype".to_owned(), kind);
    }
    value
}

fn assert_round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    dir: &str,
) -> Vec<(String, T)> {
    let mut typed = Vec::new();
    for mut example in examples(dir) {
        example.value = expected_output(example.value);
        let parsed: T = serde_json::from_str(&example.line)
            .unwrap_or_else(|err| panic!("{}: does not parse: {err}", example.origin));
        let written = serde_json::to_value(&parsed).unwrap();
        assert_eq!(
            written, example.value,
            "{}: JSON changed in a round trip",
            example.origin
        );
        let again: T = serde_json::from_value(written).unwrap();
        assert_eq!(
            again, parsed,
            "{}: typed value changed in a round trip",
            example.origin
        );
        typed.push((example.origin, parsed));
    }
    typed
}

fn unknown_part(message: &StreamMessage) -> Option<String> {
    match message {
        StreamMessage::Other(unknown) => Some(format!("type {}", unknown.kind)),
        StreamMessage::System(SystemMessage::Other(unknown)) => {
            Some(format!("system subtype {}", unknown.kind))
        }
        StreamMessage::ControlRequest(envelope) => match &envelope.request {
            ControlRequest::Other(unknown) => Some(format!("control request {}", unknown.kind)),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn every_stream_example_round_trips_unchanged() {
    let typed = assert_round_trip::<StreamMessage>("stream");
    assert!(typed.len() >= 120, "only {} stream examples", typed.len());
    for (origin, message) in &typed {
        let unknown = unknown_part(message);
        let expected = EXPECTED_UNKNOWN.contains(&origin.as_str());
        assert_eq!(
            unknown.is_some(),
            expected,
            "{origin}: parsed as {unknown:?}, expected a known kind: {}",
            !expected
        );
    }
}

#[test]
fn every_auth_payload_example_round_trips_unchanged() {
    assert_round_trip::<AuthPayload>("auth");
}

#[test]
fn every_permission_answer_example_round_trips_unchanged() {
    assert_round_trip::<PermissionResult>("permission_result");
}

#[test]
fn mcp_config_example_round_trips_unchanged() {
    assert_round_trip::<McpConfig>("mcp_config");
}

#[test]
fn messages_are_written_as_compact_single_lines() {
    for example in examples("stream") {
        let message = StreamMessage::from_line(&example.line).unwrap();
        let line = message.to_line().unwrap();
        assert!(
            !line.contains('\n'),
            "{}: line break in output",
            example.origin
        );
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, expected_output(example.value), "{}", example.origin);
    }
}

#[test]
fn unknown_kinds_are_written_back_byte_for_byte() {
    let unknown: Vec<_> = examples("stream")
        .into_iter()
        .filter(|example| EXPECTED_UNKNOWN.contains(&example.origin.as_str()))
        .collect();
    assert_eq!(unknown.len(), EXPECTED_UNKNOWN.len());
    for example in unknown {
        let written = StreamMessage::from_line(&example.line)
            .unwrap()
            .to_line()
            .unwrap();
        assert_eq!(written, example.line, "{}", example.origin);
    }
}
