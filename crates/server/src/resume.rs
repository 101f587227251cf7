//! The persisted steps of an unfinished turn (`cloud-api.md` §15.6): a turn
//! resumed after a restart or a reclaimed lease continues from the last
//! step its events recorded instead of running again from the user's
//! message, so no tool call whose result was stored runs twice.
//!
//! A model response is stored at once with its `span.model_request_end`
//! (its `agent.message`, `agent.tool_use`, `agent.mcp_tool_use` and
//! `agent.custom_tool_use` events travel in the same batch), so the events
//! after the turn's last `user.message` give back the conversation of the
//! turn: one assistant message per closed span, then the results stored
//! for its calls. A span without its end is a response that was never
//! stored; its request is issued again. Events of child threads
//! (`session_thread_id`) are not the primary turn's and are left out.

use ferrule_protocol::{
    ContentBlock, Message, MessageContent, ToolResultBlock, ToolResultContent, ToolUseBlock,
};
use serde_json::Value;

/// What the stored events say about an unfinished turn.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Steps {
    /// The turn's conversation after the user's message: assistant
    /// messages and the user messages carrying their stored results.
    pub(crate) messages: Vec<Message>,
    /// Whether the last stored response made no tool calls, so the model
    /// already answered and only the turn's end is missing.
    pub(crate) answered: bool,
}

impl Steps {
    /// Whether any step was stored (otherwise the turn starts over).
    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// The steps of the turn whose events are the tail of `events` (oldest
/// first) after its last `user.message`.
pub(crate) fn steps(events: &[Value]) -> Steps {
    // Child threads (multiagent) keep their own conversations.
    let events: Vec<&Value> = events
        .iter()
        .filter(|e| e["session_thread_id"].is_null())
        .collect();
    let start = events
        .iter()
        .rposition(|e| e["type"] == "user.message")
        .map_or(0, |i| i + 1);
    let mut messages: Vec<Message> = Vec::new();
    let mut response: Vec<ContentBlock> = Vec::new();
    let mut results: Vec<ContentBlock> = Vec::new();
    let mut answered = false;
    for event in events[start..].iter().copied() {
        let id = event["id"].as_str().unwrap_or_default();
        match event["type"].as_str().unwrap_or_default() {
            "span.model_request_start" => {
                flush_results(&mut messages, &mut results);
                response.clear();
                answered = false;
            }
            "agent.message" => {
                for block in event["content"].as_array().into_iter().flatten() {
                    if let Some(text) = block["text"].as_str() {
                        response.push(ContentBlock::text(text));
                    }
                }
            }
            "agent.tool_use" | "agent.custom_tool_use" => {
                response.push(tool_use(id, event["name"].as_str(), &event["input"]));
            }
            "agent.mcp_tool_use" => {
                let name = format!(
                    "mcp__{}__{}",
                    event["mcp_server_name"].as_str().unwrap_or_default(),
                    event["name"].as_str().unwrap_or_default()
                );
                response.push(tool_use(id, Some(&name), &event["input"]));
            }
            "span.model_request_end" => {
                answered = !response
                    .iter()
                    .any(|b| matches!(b, ContentBlock::ToolUse(_)));
                if !response.is_empty() {
                    messages.push(Message::assistant(MessageContent::Blocks(std::mem::take(
                        &mut response,
                    ))));
                }
            }
            "agent.tool_result" | "user.tool_result" => {
                results.push(tool_result(event, "tool_use_id"));
            }
            "agent.mcp_tool_result" => results.push(tool_result(event, "mcp_tool_use_id")),
            "user.custom_tool_result" => results.push(tool_result(event, "custom_tool_use_id")),
            _ => {}
        }
    }
    flush_results(&mut messages, &mut results);
    Steps { messages, answered }
}

fn flush_results(messages: &mut Vec<Message>, results: &mut Vec<ContentBlock>) {
    if !results.is_empty() {
        messages.push(Message::user(MessageContent::Blocks(std::mem::take(
            results,
        ))));
    }
}

fn tool_use(id: &str, name: Option<&str>, input: &Value) -> ContentBlock {
    ContentBlock::ToolUse(ToolUseBlock {
        id: id.to_owned(),
        name: name.unwrap_or_default().to_owned(),
        input: input.clone(),
    })
}

/// A stored result as the model saw it: the call is named by the ID of
/// the event that announced it (the ID the rebuilt call carries).
fn tool_result(event: &Value, key: &str) -> ContentBlock {
    let text: Vec<&str> = event["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["text"].as_str())
        .collect();
    ContentBlock::ToolResult(ToolResultBlock {
        tool_use_id: event[key].as_str().unwrap_or_default().to_owned(),
        content: Some(ToolResultContent::Text(text.join("\n"))),
        is_error: Some(event["is_error"].as_bool().unwrap_or(false)),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ev(id: &str, body: Value) -> Value {
        let mut body = body;
        body["id"] = json!(id);
        body
    }

    #[test]
    fn closed_spans_and_stored_results_are_the_steps() {
        let events = vec![
            ev("e0", json!({"type": "user.message", "content": []})),
            ev("e1", json!({"type": "session.status_running"})),
            ev("e2", json!({"type": "span.model_request_start"})),
            ev(
                "e3",
                json!({"type": "agent.tool_use", "name": "Bash", "input": {"command": "ls"}}),
            ),
            ev("e4", json!({"type": "span.model_request_end"})),
            ev(
                "e5",
                json!({"type": "agent.tool_result", "tool_use_id": "e3",
                             "content": [{"type": "text", "text": "a.txt"}], "is_error": false}),
            ),
            ev(
                "c1",
                json!({"type": "agent.tool_use", "name": "Read", "input": {},
                       "session_thread_id": "sthr_child"}),
            ),
            ev("e6", json!({"type": "span.model_request_start"})),
            ev(
                "e7",
                json!({"type": "agent.message", "content": [{"type": "text", "text": "half"}]}),
            ),
        ];
        let steps = steps(&events);
        assert_eq!(
            steps.messages,
            vec![
                Message::assistant(MessageContent::Blocks(vec![ContentBlock::ToolUse(
                    ToolUseBlock {
                        id: "e3".into(),
                        name: "Bash".into(),
                        input: json!({"command": "ls"}),
                    }
                )])),
                Message::user(MessageContent::Blocks(vec![ContentBlock::ToolResult(
                    ToolResultBlock::text("e3", "a.txt")
                )])),
            ]
        );
        assert!(!steps.answered);
    }

    #[test]
    fn a_stored_final_answer_is_answered_and_earlier_turns_are_ignored() {
        let events = vec![
            ev("a", json!({"type": "user.message", "content": []})),
            ev(
                "b",
                json!({"type": "agent.message", "content": [{"type": "text", "text": "old"}]}),
            ),
            ev("c", json!({"type": "user.message", "content": []})),
            ev("d", json!({"type": "span.model_request_start"})),
            ev(
                "e",
                json!({"type": "agent.message", "content": [{"type": "text", "text": "done"}]}),
            ),
            ev("f", json!({"type": "span.model_request_end"})),
        ];
        let steps = steps(&events);
        assert_eq!(
            steps.messages,
            vec![Message::assistant(MessageContent::Blocks(vec![
                ContentBlock::text("done")
            ]))]
        );
        assert!(steps.answered);
        assert!(super::steps(&events[..4]).is_empty());
    }
}
