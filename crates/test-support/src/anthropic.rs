//! Anthropic Messages stream frames and whole replies.
//!
//! A frame is one SSE event with its `event:` line, as the API sends it.

use serde_json::{Value, json};

use crate::model_server::{Reply, split_text};

/// Message id used by the builders.
pub const MESSAGE_ID: &str = "msg_fake";
/// Model name reported by the builders.
pub const MODEL: &str = "fake-claude";

/// One event frame: `event: <type>` and `data: <value>`.
pub fn frame(value: &Value) -> String {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    format!("event: {kind}\ndata: {value}\n\n")
}

/// `message_start` with `input_tokens` of usage.
pub fn message_start(input_tokens: u64) -> String {
    frame(&json!({
        "type": "message_start",
        "message": {
            "id": MESSAGE_ID, "type": "message", "role": "assistant", "model": MODEL,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }))
}

/// `ping`.
pub fn ping() -> String {
    frame(&json!({"type": "ping"}))
}

/// A text block at `index` in `pieces` deltas.
pub fn text_block(index: usize, text: &str, pieces: usize) -> Vec<String> {
    let mut frames = vec![frame(&json!({
        "type": "content_block_start", "index": index,
        "content_block": {"type": "text", "text": ""},
    }))];
    for piece in split_text(text, pieces) {
        frames.push(frame(&json!({
            "type": "content_block_delta", "index": index,
            "delta": {"type": "text_delta", "text": piece},
        })));
    }
    frames.push(block_stop(index));
    frames
}

/// A thinking block at `index`: the reasoning in `pieces` deltas, then the
/// signature.
pub fn thinking_block(index: usize, thinking: &str, signature: &str, pieces: usize) -> Vec<String> {
    let mut frames = vec![frame(&json!({
        "type": "content_block_start", "index": index,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    }))];
    for piece in split_text(thinking, pieces) {
        frames.push(frame(&json!({
            "type": "content_block_delta", "index": index,
            "delta": {"type": "thinking_delta", "thinking": piece},
        })));
    }
    frames.push(frame(&json!({
        "type": "content_block_delta", "index": index,
        "delta": {"type": "signature_delta", "signature": signature},
    })));
    frames.push(block_stop(index));
    frames
}

/// A tool-use block at `index`, its input JSON in `pieces` deltas.
pub fn tool_use_block(
    index: usize,
    id: &str,
    name: &str,
    input: &str,
    pieces: usize,
) -> Vec<String> {
    let mut frames = vec![frame(&json!({
        "type": "content_block_start", "index": index,
        "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}},
    }))];
    for piece in split_text(input, pieces) {
        frames.push(frame(&json!({
            "type": "content_block_delta", "index": index,
            "delta": {"type": "input_json_delta", "partial_json": piece},
        })));
    }
    frames.push(block_stop(index));
    frames
}

/// `content_block_stop` of `index`.
pub fn block_stop(index: usize) -> String {
    frame(&json!({"type": "content_block_stop", "index": index}))
}

/// `message_delta` with the stop reason and `output_tokens`.
pub fn message_delta(stop_reason: &str, output_tokens: u64) -> String {
    frame(&json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output_tokens},
    }))
}

/// `message_stop`.
pub fn message_stop() -> String {
    frame(&json!({"type": "message_stop"}))
}

/// An `error` event, e.g. `("overloaded_error", "Overloaded")`.
pub fn error(kind: &str, message: &str) -> String {
    frame(&json!({"type": "error", "error": {"type": kind, "message": message}}))
}

/// A whole text answer (10 tokens in, 5 out), with a ping.
pub fn text_reply(text: &str) -> Reply {
    let mut frames = vec![message_start(10), ping()];
    frames.extend(text_block(0, text, 3));
    frames.push(message_delta("end_turn", 5));
    frames.push(message_stop());
    Reply::sse(frames)
}

/// A whole answer calling tools `(id, name, input)`, each input split in
/// `pieces` deltas; stop reason `tool_use`.
pub fn tool_use_reply(calls: &[(&str, &str, &str)], pieces: usize) -> Reply {
    let mut frames = vec![message_start(10)];
    for (index, (id, name, input)) in calls.iter().enumerate() {
        frames.extend(tool_use_block(index, id, name, input, pieces));
    }
    frames.push(message_delta("tool_use", 5));
    frames.push(message_stop());
    Reply::sse(frames)
}
