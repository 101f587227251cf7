//! Chat Completions stream frames and whole replies.
//!
//! A frame is one SSE event (`data: {...}\n\n`); a reply streams frames in
//! order. The chunks follow OpenAI's `chat.completion.chunk` shape.

use serde_json::{Value, json};

use crate::model_server::{Reply, split_text};

/// Response id used by the builders.
pub const RESPONSE_ID: &str = "chatcmpl-fake";
/// Model name reported by the builders.
pub const MODEL: &str = "fake-gpt";

/// One `data:` frame holding `value`.
pub fn frame(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// The closing `data: [DONE]` frame.
pub fn done() -> String {
    "data: [DONE]\n\n".to_owned()
}

/// A chunk whose first choice carries `delta`.
pub fn delta(delta: Value) -> String {
    frame(&json!({
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": null}],
    }))
}

/// A chunk with an empty delta and `finish_reason`.
pub fn finish(reason: &str) -> String {
    frame(&json!({
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}],
    }))
}

/// The usage chunk sent with `stream_options.include_usage` (no choices).
pub fn usage(prompt_tokens: u64, completion_tokens: u64) -> String {
    frame(&json!({
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }))
}

/// Text in `pieces` content deltas (the first also sets the role).
pub fn text_frames(text: &str, pieces: usize) -> Vec<String> {
    split_text(text, pieces)
        .into_iter()
        .enumerate()
        .map(|(number, piece)| {
            if number == 0 {
                delta(json!({"role": "assistant", "content": piece}))
            } else {
                delta(json!({"content": piece}))
            }
        })
        .collect()
}

/// One tool call at `index`: a first delta with id and name, then the
/// arguments in `pieces` deltas.
pub fn tool_call_frames(
    index: usize,
    id: &str,
    name: &str,
    arguments: &str,
    pieces: usize,
) -> Vec<String> {
    let mut frames = vec![delta(json!({"tool_calls": [{
        "index": index, "id": id, "type": "function",
        "function": {"name": name, "arguments": ""},
    }]}))];
    for piece in split_text(arguments, pieces) {
        frames.push(delta(json!({"tool_calls": [{
            "index": index, "function": {"arguments": piece},
        }]})));
    }
    frames
}

/// A whole text answer: content, `stop`, usage (10 in, 5 out), `[DONE]`.
pub fn text_reply(text: &str) -> Reply {
    let mut frames = text_frames(text, 3);
    frames.push(finish("stop"));
    frames.push(usage(10, 5));
    frames.push(done());
    Reply::sse(frames)
}

/// A whole answer calling tools, one after the other, each `(id, name,
/// arguments)` with its arguments split in `pieces` deltas; `tool_calls`,
/// usage (10 in, 5 out), `[DONE]`.
pub fn tool_calls_reply(calls: &[(&str, &str, &str)], pieces: usize) -> Reply {
    let mut frames = Vec::new();
    for (index, (id, name, arguments)) in calls.iter().enumerate() {
        frames.extend(tool_call_frames(index, id, name, arguments, pieces));
    }
    frames.push(finish("tool_calls"));
    frames.push(usage(10, 5));
    frames.push(done());
    Reply::sse(frames)
}
