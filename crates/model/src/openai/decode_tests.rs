use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

fn run(chunks: &[Value]) -> Vec<ModelEvent> {
    let mut decoder = ChatStreamDecoder::new("http://x/v1/chat/completions", "m");
    let mut events = Vec::new();
    for (line, chunk) in chunks.iter().enumerate() {
        events.extend(decoder.on_data(&chunk.to_string(), line + 1).unwrap());
    }
    events.extend(decoder.end().unwrap());
    events
}

fn calls(events: &[ModelEvent]) -> Vec<(usize, String, String, Value)> {
    events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::ToolCallEnd { index, call } => Some((
                *index,
                call.id.clone(),
                call.name.clone(),
                call.input.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn stop(events: &[ModelEvent]) -> Option<StopReason> {
    events.iter().find_map(|event| match event {
        ModelEvent::Stop { reason } => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn ollama_whole_calls_without_index_and_stop_finish_are_tool_use() {
    let events = run(&[
        json!({"id": "c", "model": "llama3", "choices": [{"delta": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_a", "function": {"name": "Read", "arguments": "{\"path\":\"a\"}"}},
            {"id": "call_b", "function": {"name": "Read", "arguments": {"path": "b"}}}
        ]}}]}),
        json!({"id": "c", "choices": [{"delta": {}, "finish_reason": "stop"}]}),
    ]);
    assert_eq!(
        calls(&events),
        vec![
            (0, "call_a".into(), "Read".into(), json!({"path": "a"})),
            (1, "call_b".into(), "Read".into(), json!({"path": "b"})),
        ]
    );
    assert_eq!(stop(&events), Some(StopReason::ToolUse));
}

#[test]
fn missing_ids_are_made_up_and_repeated_ids_continue_the_call() {
    let events = run(&[
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "Grep", "arguments": "{\"pat"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "tern\":\"x\"}"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "v1", "type": "function", "function": {"name": "LS", "arguments": ""}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "v1", "function": {"arguments": "{}"}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
    ]);
    assert_eq!(
        calls(&events),
        vec![
            (0, "call_1".into(), "Grep".into(), json!({"pattern": "x"})),
            (1, "v1".into(), "LS".into(), json!({})),
        ]
    );
}

#[test]
fn every_call_numbered_zero_with_new_ids_are_separate_calls() {
    let events = run(&[
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "LS", "arguments": "{}"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "LS", "arguments": "{\"path\":\"/\"}"}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
    ]);
    assert_eq!(
        calls(&events),
        vec![
            (0, "a".into(), "LS".into(), json!({})),
            (1, "b".into(), "LS".into(), json!({"path": "/"})),
        ]
    );
}

#[test]
fn invalid_arguments_become_an_invalid_call_event() {
    let events = run(&[
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "LS", "arguments": "{\"path\": "}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
    ]);
    let invalid: Vec<&ModelEvent> = events
        .iter()
        .filter(|event| matches!(event, ModelEvent::ToolCallInvalid { .. }))
        .collect();
    assert_eq!(invalid.len(), 1, "{events:?}");
    let ModelEvent::ToolCallInvalid {
        arguments, error, ..
    } = invalid[0]
    else {
        unreachable!()
    };
    assert_eq!(arguments, "{\"path\": ");
    assert!(
        error.starts_with("tool arguments are not valid JSON"),
        "{error}"
    );
}

#[test]
fn reasoning_content_is_thinking_before_the_text_block() {
    let events = run(&[
        json!({"choices": [{"delta": {"reasoning_content": "hmm"}}]}),
        json!({"choices": [{"delta": {"content": "hi"}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
    ]);
    assert_eq!(
        events[..5].to_vec(),
        vec![
            ModelEvent::MessageStart {
                id: String::new(),
                model: "m".into()
            },
            ModelEvent::ThinkingDelta {
                index: 0,
                thinking: "hmm".into()
            },
            ModelEvent::BlockStop { index: 0 },
            ModelEvent::TextDelta {
                index: 1,
                text: "hi".into()
            },
            ModelEvent::BlockStop { index: 1 },
        ]
    );
    assert_eq!(
        events[5],
        ModelEvent::Usage {
            usage: Usage::new(3, 2)
        }
    );
}

#[test]
fn a_stream_cut_before_finish_is_an_error() {
    let mut decoder = ChatStreamDecoder::new("http://x", "m");
    decoder
        .on_data(r#"{"choices":[{"delta":{"content":"par"}}]}"#, 1)
        .unwrap();
    let error = decoder.end().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("ended before the response finished"),
        "{error}"
    );
}

#[test]
fn non_json_data_names_the_line_and_text() {
    let mut decoder = ChatStreamDecoder::new("http://x", "m");
    let error = decoder.on_data("{oops", 7).unwrap_err();
    assert!(
        error.to_string().contains("line 7: data is not JSON"),
        "{error}"
    );
    assert!(error.to_string().contains("`{oops`"), "{error}");
}

#[test]
fn finish_reasons_map_to_stop_reasons() {
    let reasons: Vec<Option<StopReason>> = ["length", "content_filter", "stop", "weird"]
        .into_iter()
        .map(|reason| {
            stop(&run(&[
                json!({"choices": [{"delta": {"content": "x"}}]}),
                json!({"choices": [{"delta": {}, "finish_reason": reason}]}),
            ]))
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some(StopReason::MaxTokens),
            Some(StopReason::Refusal),
            Some(StopReason::EndTurn),
            Some(StopReason::Other("weird".into())),
        ]
    );
}
