//! The Chat Completions request body built from a [`ModelRequest`].

use ferrule_protocol::{
    ContentBlock, ImageSource, Message, MessageContent, Role, ToolResultContent,
    ToolResultContentBlock,
};
use serde_json::{Map, Value, json};

use crate::request::{ModelRequest, Thinking, ToolChoice};

/// The JSON body for `POST {base}/chat/completions`, streaming with usage.
pub(crate) fn request_body(model: &str, request: &ModelRequest) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = request.system.as_deref().filter(|text| !text.is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for message in &request.messages {
        push_message(&mut messages, message);
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    // Without this, OpenAI sends no usage in streaming mode
    // (`reference/sdk-protocol.md` §3.5: usage must be real).
    body.insert("stream_options".into(), json!({"include_usage": true}));
    if let Some(max_tokens) = request.max_tokens {
        body.insert("max_tokens".into(), json!(max_tokens));
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    match request.thinking {
        Thinking::Disabled => {}
        Thinking::Enabled { budget_tokens } => {
            let effort = match budget_tokens {
                0..=4095 => "low",
                4096..=16383 => "medium",
                _ => "high",
            };
            body.insert("reasoning_effort".into(), json!(effort));
        }
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    }
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let choice = match &request.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Any => json!("required"),
            ToolChoice::Tool { name } => json!({"type": "function", "function": {"name": name}}),
        };
        body.insert("tool_choice".into(), choice);
    }
    Value::Object(body)
}

fn push_message(out: &mut Vec<Value>, message: &Message) {
    let blocks = match &message.content {
        MessageContent::Text(text) => {
            out.push(json!({"role": role_name(message.role), "content": text}));
            return;
        }
        MessageContent::Blocks(blocks) => blocks,
    };
    match message.role {
        Role::User => push_user_blocks(out, blocks),
        Role::Assistant => out.push(assistant_message(blocks)),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// Tool results become `tool` messages (first, in order, as the API wants
/// them right after the assistant message); the rest one `user` message.
fn push_user_blocks(out: &mut Vec<Value>, blocks: &[ContentBlock]) {
    let mut parts = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::ToolResult(result) => {
                let mut text = result
                    .content
                    .as_ref()
                    .map(ToolResultContent::joined_text)
                    .unwrap_or_default();
                if result.is_error() && !text.starts_with("Error") {
                    text = format!("Error: {text}");
                }
                out.push(json!({
                    "role": "tool",
                    "tool_call_id": result.tool_use_id,
                    "content": text,
                }));
                if let Some(ToolResultContent::Blocks(inner)) = &result.content {
                    // Chat Completions tool messages take text only; images
                    // of a result follow as user content.
                    for inner in inner {
                        if let ToolResultContentBlock::Image(image) = inner {
                            parts.push(image_part(&image.source));
                        }
                    }
                }
            }
            ContentBlock::Text(text) => parts.push(json!({"type": "text", "text": text.text})),
            ContentBlock::Image(image) => parts.push(image_part(&image.source)),
            ContentBlock::Thinking(_)
            | ContentBlock::RedactedThinking(_)
            | ContentBlock::ToolUse(_) => {}
            // Blocks added to the protocol later are not sent until mapped.
            _ => {}
        }
    }
    if parts.is_empty() {
        return;
    }
    let all_text = parts.iter().all(|part| part["type"] == "text");
    let content = if all_text {
        let texts: Vec<&str> = parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect();
        json!(texts.join("\n"))
    } else {
        Value::Array(parts)
    };
    out.push(json!({"role": "user", "content": content}));
}

fn image_part(source: &ImageSource) -> Value {
    let url = match source {
        ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        ImageSource::Url { url } => url.clone(),
        _ => String::new(),
    };
    json!({"type": "image_url", "image_url": {"url": url}})
}

fn assistant_message(blocks: &[ContentBlock]) -> Value {
    let mut text = Vec::new();
    let mut calls = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text(block) => text.push(block.text.as_str()),
            ContentBlock::ToolUse(call) => calls.push(json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.input.to_string()},
            })),
            ContentBlock::Thinking(_)
            | ContentBlock::RedactedThinking(_)
            | ContentBlock::Image(_)
            | ContentBlock::ToolResult(_) => {}
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    let content = if text.is_empty() {
        Value::Null
    } else {
        json!(text.join(""))
    };
    message.insert("content".into(), content);
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::{ToolResultBlock, ToolUseBlock};
    use ferrule_tool::ToolSpec;
    use pretty_assertions::assert_eq;

    #[test]
    fn conversation_with_tool_round_trip_maps_to_chat_messages() {
        let request = ModelRequest {
            system: Some("be brief".into()),
            messages: vec![
                Message::user("list files"),
                Message::assistant(vec![
                    ContentBlock::text("Looking."),
                    ContentBlock::ToolUse(ToolUseBlock {
                        id: "call_1".into(),
                        name: "LS".into(),
                        input: json!({"path": "."}),
                    }),
                ]),
                Message::user(vec![
                    ContentBlock::ToolResult(ToolResultBlock::error("call_1", "denied")),
                    ContentBlock::text("try again"),
                ]),
            ],
            tools: vec![ToolSpec {
                name: "LS".into(),
                description: "list".into(),
                input_schema: json!({"type": "object"}),
            }],
            max_tokens: Some(100),
            tool_choice: ToolChoice::Any,
            ..ModelRequest::default()
        };
        assert_eq!(
            request_body("gpt-4.1", &request),
            json!({
                "model": "gpt-4.1",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "list files"},
                    {"role": "assistant", "content": "Looking.", "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "LS", "arguments": "{\"path\":\".\"}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "Error: denied"},
                    {"role": "user", "content": "try again"}
                ],
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_tokens": 100,
                "tools": [{"type": "function", "function": {"name": "LS", "description": "list", "parameters": {"type": "object"}}}],
                "tool_choice": "required"
            })
        );
    }
}
