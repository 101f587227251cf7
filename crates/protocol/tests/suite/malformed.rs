//! Bad input gives a serde error that says what is wrong and where; it
//! never panics and never silently becomes something else.

use ferrule_protocol::sdk::StreamMessage;
use ferrule_protocol::{ContentBlock, Message};

fn error_of(line: &str) -> String {
    match StreamMessage::from_line(line) {
        Ok(message) => panic!("{line} parsed as {message:?}"),
        Err(err) => err.to_string(),
    }
}

fn assert_mentions(line: &str, needles: &[&str]) {
    let message = error_of(line);
    for needle in needles {
        assert!(
            message.contains(needle),
            "error for {line} is {message:?}, lacks {needle:?}"
        );
    }
}

#[test]
fn result_without_session_id_names_the_field_and_the_kind() {
    assert_mentions(
        r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":1,"duration_api_ms":1,"num_turns":1}"#,
        &["`result`", "missing field `session_id`"],
    );
}

#[test]
fn result_with_string_num_turns_names_the_wrong_type() {
    assert_mentions(
        r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":1,"duration_api_ms":1,"num_turns":"2","session_id":"s"}"#,
        &["invalid type: string \"2\"", "u64"],
    );
}

#[test]
fn assistant_without_model_names_the_field() {
    assert_mentions(
        r#"{"type":"assistant","message":{"content":[]},"parent_tool_use_id":null}"#,
        &["`assistant`", "missing field `model`"],
    );
}

#[test]
fn thinking_block_without_signature_names_the_field() {
    assert_mentions(
        r#"{"type":"assistant","message":{"model":"m","content":[{"type":"thinking","thinking":"x"}]}}"#,
        &["missing field `signature`"],
    );
}

#[test]
fn tool_use_block_without_input_names_the_field() {
    assert_mentions(
        r#"{"type":"assistant","message":{"model":"m","content":[{"type":"tool_use","id":"c","name":"Read"}]}}"#,
        &["missing field `input`"],
    );
}

#[test]
fn tool_result_without_tool_use_id_names_the_field() {
    let err = serde_json::from_str::<ContentBlock>(r#"{"type":"tool_result","content":"x"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `tool_use_id`"), "{err}");
}

#[test]
fn user_line_without_message_names_the_field() {
    assert_mentions(
        r#"{"type":"user","session_id":""}"#,
        &["`user`", "missing field `message`"],
    );
}

#[test]
fn message_with_unknown_role_names_the_value() {
    let err = serde_json::from_str::<Message>(r#"{"role":"robot","content":"x"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `robot`"), "{err}");
}

#[test]
fn system_line_without_subtype_is_an_error() {
    assert_mentions(
        r#"{"type":"system","session_id":"s"}"#,
        &["system message", "missing field `subtype`"],
    );
}

#[test]
fn system_init_without_session_id_names_the_subtype() {
    assert_mentions(
        r#"{"type":"system","subtype":"init","cwd":"/"}"#,
        &["system message `init`", "missing field `session_id`"],
    );
}

#[test]
fn task_notification_with_unknown_field_types_is_an_error() {
    assert_mentions(
        r#"{"type":"system","subtype":"task_notification","task_id":7,"status":"completed","output_file":"f","summary":"s","uuid":"u","session_id":"s"}"#,
        &["`task_notification`", "invalid type: integer `7`"],
    );
}

#[test]
fn line_without_type_is_an_error() {
    assert_mentions(
        r#"{"subtype":"init"}"#,
        &["stream message", "missing field `type`"],
    );
}

#[test]
fn non_string_type_is_an_error() {
    assert_mentions(r#"{"type":5}"#, &["`type` must be a string", "5"]);
}

#[test]
fn control_request_without_kind_names_both_keys() {
    assert_mentions(
        r#"{"type":"control_request","request_id":"r","request":{"tool_name":"Bash"}}"#,
        &["missing field `subtype` or `type`"],
    );
}

#[test]
fn control_request_without_request_id_names_the_field() {
    assert_mentions(
        r#"{"type":"control_request","request":{"subtype":"interrupt"}}"#,
        &["missing field `request_id`"],
    );
}

#[test]
fn can_use_tool_without_tool_name_names_the_field() {
    assert_mentions(
        r#"{"type":"control_request","request_id":"r","request":{"subtype":"can_use_tool","input":{}}}"#,
        &[
            "control request `can_use_tool`",
            "missing field `tool_name`",
        ],
    );
}

#[test]
fn control_response_with_unknown_subtype_names_it() {
    assert_mentions(
        r#"{"type":"control_response","response":{"subtype":"maybe","request_id":"r"}}"#,
        &["unknown variant `maybe`"],
    );
}

#[test]
fn non_object_lines_are_errors() {
    for line in ["[]", "\"user\"", "42", "null"] {
        assert_mentions(line, &["invalid type"]);
    }
}

#[test]
fn broken_json_reports_line_and_column() {
    assert_mentions(r#"{"type":"user","message":"#, &["EOF", "line 1 column"]);
}

#[test]
fn unknown_content_block_type_names_it() {
    assert_mentions(
        r#"{"type":"user","message":{"role":"user","content":[{"type":"hologram"}]}}"#,
        &["`user`"],
    );
}

#[test]
fn stream_event_delta_without_index_names_the_event_and_field() {
    assert_mentions(
        r#"{"type":"stream_event","uuid":"u","session_id":"s","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}}"#,
        &[
            "stream event `content_block_delta`",
            "missing field `index`",
        ],
    );
}
