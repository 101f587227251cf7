//! ferrule-model: decoding streamed model responses.
//!
//! Two synthetic bodies shaped like real streams: an OpenAI-compatible
//! Chat Completions stream (2000 content deltas, then a tool call whose
//! arguments come in 500 pieces, finish, usage, `[DONE]`) and an Anthropic
//! Messages stream (thinking, 2000 text deltas, a tool use in 500 pieces).
//! Each is decoded by the SSE decoder plus the provider decoder, beside a
//! baseline that does the least any client must: split the body into lines
//! and parse each `data:` payload into a `serde_json::Value`. The figure to
//! read is the ratio. Run with `cargo bench -p ferrule-benches --bench
//! model`; figures are recorded in README.md ("Model").

use divan::Bencher;
use ferrule_model::sse::SseDecoder;
use ferrule_model::{ChatStreamDecoder, MessagesStreamDecoder};
use serde_json::{Value, json};

fn main() {
    divan::main();
}

const KINDS: [&str; 2] = ["openai", "anthropic"];

fn openai_body() -> String {
    let mut body = String::new();
    let chunk = |delta: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4.1",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
        )
    };
    for number in 0..2000 {
        body.push_str(&chunk(json!({"content": format!("word{number} ")})));
    }
    body.push_str(&chunk(
        json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "Write", "arguments": ""}}]}),
    ));
    body.push_str(&chunk(
        json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"content\": \""}}]}),
    ));
    for number in 0..500 {
        body.push_str(&chunk(json!({"tool_calls": [{"index": 0,
            "function": {"arguments": format!("line {number}\\n")}}]})));
    }
    body.push_str(&chunk(
        json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"}"}}]}),
    ));
    body.push_str(&format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    ));
    body.push_str(&format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": 4000}})
    ));
    body.push_str("data: [DONE]\n\n");
    body
}

fn anthropic_body() -> String {
    let mut body = String::new();
    let mut event = |value: Value| {
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        body.push_str(&format!("event: {kind}\ndata: {value}\n\n"));
    };
    event(
        json!({"type": "message_start", "message": {"id": "msg_1", "model": "claude-sonnet-4-5",
        "usage": {"input_tokens": 900, "output_tokens": 1}}}),
    );
    event(json!({"type": "content_block_start", "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""}}));
    for number in 0..200 {
        event(json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": format!("step {number}. ")}}));
    }
    event(json!({"type": "content_block_delta", "index": 0,
        "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}}));
    event(json!({"type": "content_block_stop", "index": 0}));
    event(
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
    );
    for number in 0..2000 {
        event(json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "text_delta", "text": format!("word{number} ")}}));
    }
    event(json!({"type": "content_block_stop", "index": 1}));
    event(json!({"type": "content_block_start", "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "Write", "input": {}}}));
    event(json!({"type": "content_block_delta", "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": "{\"content\": \""}}));
    for number in 0..500 {
        event(json!({"type": "content_block_delta", "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": format!("line {number}\\n")}}));
    }
    event(json!({"type": "content_block_delta", "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": "\"}"}}));
    event(json!({"type": "content_block_stop", "index": 2}));
    event(
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4000}}),
    );
    event(json!({"type": "message_stop"}));
    body
}

fn body(kind: &str) -> String {
    match kind {
        "openai" => openai_body(),
        _ => anthropic_body(),
    }
}

/// Network-sized chunks, as a socket delivers them.
const CHUNK: usize = 1400;

#[divan::bench(args = KINDS)]
fn decode(bencher: Bencher<'_, '_>, kind: &str) {
    let body = body(kind);
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| {
            let mut sse = SseDecoder::new();
            let mut openai = ChatStreamDecoder::new("http://bench/v1/chat/completions", "m");
            let mut anthropic = MessagesStreamDecoder::new("http://bench/v1/messages", "m");
            let mut count = 0;
            for chunk in body.as_bytes().chunks(CHUNK) {
                for event in sse.push(chunk).unwrap_or_default() {
                    let events = if kind == "openai" {
                        openai.on_data(&event.data, event.line)
                    } else {
                        anthropic.on_data(&event.data, event.line)
                    };
                    count += events.map_or(0, |events| events.len());
                }
            }
            if kind == "openai" {
                count += openai.end().map_or(0, |events| events.len());
            }
            divan::black_box(count)
        });
}

#[divan::bench(args = KINDS)]
fn baseline_lines_to_values(bencher: Bencher<'_, '_>, kind: &str) {
    let body = body(kind);
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| {
            let mut count = 0;
            for line in body.lines() {
                if let Some(data) = line.strip_prefix("data: ")
                    && let Ok(value) = serde_json::from_str::<Value>(data)
                {
                    count += usize::from(value.is_object());
                }
            }
            divan::black_box(count)
        });
}
