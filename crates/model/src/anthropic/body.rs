//! The Messages API request body built from a [`ModelRequest`].
//!
//! Our content blocks already have the Anthropic shapes
//! (`ferrule-protocol`), so messages are sent nearly as they are; only
//! thinking blocks without a signature are left out (the API rejects them,
//! and they come from providers that do not sign).

use ferrule_protocol::{ContentBlock, Message, MessageContent};
use serde_json::{Map, Value, json};

use crate::request::{DEFAULT_MAX_TOKENS, ModelRequest, Thinking, ToolChoice};

/// The JSON body for `POST {base}/v1/messages`, streaming.
pub(crate) fn request_body(model: &str, request: &ModelRequest) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    let mut max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if let Thinking::Enabled { budget_tokens } = request.thinking {
        // The API requires max_tokens > budget_tokens.
        max_tokens = max_tokens.max(budget_tokens.saturating_add(1024));
        body.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget_tokens}),
        );
    }
    body.insert("max_tokens".into(), json!(max_tokens));
    if let Some(system) = request.system.as_deref().filter(|text| !text.is_empty()) {
        body.insert("system".into(), json!(system));
    }
    let messages: Vec<Value> = request.messages.iter().map(message_json).collect();
    body.insert("messages".into(), Value::Array(messages));
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.input_schema,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let choice = match &request.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Any => json!({"type": "any"}),
            ToolChoice::Tool { name } => json!({"type": "tool", "name": name}),
        };
        body.insert("tool_choice".into(), choice);
    }
    body.insert("stream".into(), json!(true));
    Value::Object(body)
}

fn message_json(message: &Message) -> Value {
    let content = match &message.content {
        MessageContent::Text(text) => json!(text),
        MessageContent::Blocks(blocks) => {
            let kept: Vec<&ContentBlock> = blocks
                .iter()
                .filter(|block| match block {
                    ContentBlock::Thinking(thinking) => !thinking.signature.is_empty(),
                    _ => true,
                })
                .collect();
            json!(kept)
        }
    };
    json!({"role": message.role, "content": content})
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::{ThinkingBlock, ToolResultBlock};
    use pretty_assertions::assert_eq;

    #[test]
    fn thinking_raises_max_tokens_and_unsigned_thinking_is_dropped() {
        let request = ModelRequest {
            system: Some("sys".into()),
            messages: vec![
                Message::user("hi"),
                Message::assistant(vec![
                    ContentBlock::Thinking(ThinkingBlock {
                        thinking: "local".into(),
                        signature: String::new(),
                    }),
                    ContentBlock::text("hello"),
                ]),
                Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
                    "t1", "ok",
                ))]),
            ],
            max_tokens: Some(1000),
            thinking: Thinking::Enabled {
                budget_tokens: 2048,
            },
            ..ModelRequest::default()
        };
        assert_eq!(
            request_body("claude-sonnet-4-5", &request),
            json!({
                "model": "claude-sonnet-4-5",
                "thinking": {"type": "enabled", "budget_tokens": 2048},
                "max_tokens": 3072,
                "system": "sys",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok", "is_error": false}]}
                ],
                "stream": true
            })
        );
    }
}
