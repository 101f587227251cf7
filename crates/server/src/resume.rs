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
    /// When the turn was waiting on the client (`requires_action`): it
    /// keeps waiting instead of asking the model again.
    #[serde(default)]
    pub(crate) parked: Option<Parked>,
}

/// A turn that was waiting on confirmations or custom tool results when
/// its runner went away. The stored response is replayed as the first
/// model answer of the resumed run (no model request), so its calls go
/// through the tool pipeline again and wait where they waited.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Parked {
    /// The turn's conversation before the replayed response; calls of that
    /// response that already have a result are split off into it.
    pub(crate) before: Vec<Message>,
    /// The replayed response: its text (when no call was split off) and
    /// the calls still to run, named by their announcing event IDs.
    pub(crate) response: Vec<ContentBlock>,
    /// Event IDs whose pending action is stored already: they are not
    /// announced again.
    pub(crate) waiting: Vec<String>,
}

/// What a stored call without a result gets when its confirmation was
/// taken by the former runner (it may have started; it is not run twice).
const TAKEN: &str = "The call was interrupted when the turn's runner stopped.";

/// The plan to keep waiting, when the last response of `steps` has a call
/// whose action is still pending (`pending`: event IDs of the session's
/// primary-thread pending actions). `events` are the session's events.
pub(crate) fn parked(steps: &Steps, events: &[Value], pending: &[String]) -> Option<Parked> {
    let last = steps
        .messages
        .iter()
        .rposition(|m| m.role == ferrule_protocol::Role::Assistant)?;
    let blocks = steps.messages[last].content.clone().into_blocks();
    let calls: Vec<&ToolUseBlock> = blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolUse(call) => Some(call),
            _ => None,
        })
        .collect();
    if !calls.iter().any(|c| pending.contains(&c.id)) {
        return None;
    }
    let results: Vec<ToolResultBlock> = steps.messages[last + 1..]
        .iter()
        .flat_map(|m| m.content.clone().into_blocks())
        .filter_map(|b| match b {
            ContentBlock::ToolResult(result) => Some(result),
            _ => None,
        })
        .collect();
    let confirmed = confirmations(events);
    let mut done_calls = Vec::new();
    let mut done_results = Vec::new();
    let mut replay = Vec::new();
    for call in calls {
        if let Some(result) = results.iter().find(|r| r.tool_use_id == call.id) {
            done_calls.push(ContentBlock::ToolUse(call.clone()));
            done_results.push(ContentBlock::ToolResult(result.clone()));
        } else if !pending.contains(&call.id) && confirmed.contains(&call.id) {
            done_calls.push(ContentBlock::ToolUse(call.clone()));
            done_results.push(ContentBlock::ToolResult(ToolResultBlock::error(
                call.id.clone(),
                TAKEN,
            )));
        } else {
            replay.push(ContentBlock::ToolUse(call.clone()));
        }
    }
    // Everything has an answer: the model goes on from the stored results.
    if replay.is_empty() {
        return None;
    }
    let waiting = replay
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolUse(call) if pending.contains(&call.id) => Some(call.id.clone()),
            _ => None,
        })
        .collect();
    let texts: Vec<ContentBlock> = blocks
        .into_iter()
        .filter(|b| matches!(b, ContentBlock::Text(_)))
        .collect();
    let mut before = steps.messages[..last].to_vec();
    let response = if done_calls.is_empty() {
        texts.into_iter().chain(replay).collect()
    } else {
        before.push(Message::assistant(MessageContent::Blocks(
            texts.into_iter().chain(done_calls).collect(),
        )));
        before.push(Message::user(MessageContent::Blocks(done_results)));
        replay
    };
    Some(Parked {
        before,
        response,
        waiting,
    })
}

/// The call IDs the client confirmed (or denied) in the primary thread's
/// current turn.
fn confirmations(events: &[Value]) -> Vec<String> {
    let events: Vec<&Value> = events
        .iter()
        .filter(|e| e["session_thread_id"].is_null())
        .collect();
    let start = events
        .iter()
        .rposition(|e| e["type"] == "user.message")
        .map_or(0, |i| i + 1);
    events[start..]
        .iter()
        .filter(|e| e["type"] == "user.tool_confirmation")
        .filter_map(|e| e["tool_use_id"].as_str().map(str::to_owned))
        .collect()
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
    Steps {
        messages,
        answered,
        parked: None,
    }
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

    #[test]
    fn a_waiting_call_is_replayed_and_a_call_with_a_result_is_split_off() {
        let events = vec![
            ev("u", json!({"type": "user.message", "content": []})),
            ev("s", json!({"type": "span.model_request_start"})),
            ev(
                "m",
                json!({"type": "agent.message", "content": [{"type": "text", "text": "t"}]}),
            ),
            ev(
                "a",
                json!({"type": "agent.tool_use", "name": "Read", "input": {}}),
            ),
            ev(
                "b",
                json!({"type": "agent.tool_use", "name": "Bash", "input": {}}),
            ),
            ev("e", json!({"type": "span.model_request_end"})),
            ev(
                "r",
                json!({"type": "agent.tool_result", "tool_use_id": "a",
                       "content": [{"type": "text", "text": "x"}], "is_error": false}),
            ),
        ];
        let steps = steps(&events);
        assert_eq!(parked(&steps, &events, &[]), None);
        assert_eq!(parked(&steps, &events, &["zzz".to_owned()]), None);
        let plan = parked(&steps, &events, &["b".to_owned()]).unwrap();
        assert_eq!(plan.waiting, vec!["b".to_owned()]);
        assert_eq!(
            plan.response,
            vec![ContentBlock::ToolUse(ToolUseBlock {
                id: "b".into(),
                name: "Bash".into(),
                input: json!({}),
            })]
        );
        assert_eq!(plan.before.len(), 2);
        assert_eq!(
            plan.before[1],
            Message::user(MessageContent::Blocks(vec![ContentBlock::ToolResult(
                ToolResultBlock {
                    tool_use_id: "a".into(),
                    content: Some(ToolResultContent::Text("x".into())),
                    is_error: Some(false),
                }
            )]))
        );
        // A confirmation the former runner took: an interrupted result, not a rerun.
        let mut taken = events;
        taken.push(ev(
            "c",
            json!({"type": "user.tool_confirmation", "tool_use_id": "b"}),
        ));
        let steps = super::steps(&taken);
        assert_eq!(parked(&steps, &taken, &["a".to_owned()]), None);
    }
}
