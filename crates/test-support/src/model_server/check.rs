//! Protocol checks on request bodies: what the real APIs would reject.
//!
//! These catch client bugs that a lenient fake would hide: a tool result
//! that answers no tool call, a tool call left unanswered, arguments that are
//! not JSON, a missing required field.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Flavor, RecordedRequest};

/// Every problem of `request`; empty when it is well-formed.
pub(super) fn check_request(flavor: Flavor, request: &RecordedRequest) -> Vec<String> {
    match flavor {
        Flavor::OpenAi => check_openai(&request.body),
        Flavor::Anthropic => check_anthropic(request),
    }
}

fn check_openai(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if !body.get("model").is_some_and(Value::is_string) {
        problems.push("`model` must be a string".to_owned());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        problems.push("`messages` must be a list".to_owned());
        return problems;
    };
    if messages.is_empty() {
        problems.push("`messages` is empty".to_owned());
    }
    // Calls of the last assistant message still waiting for `tool` messages.
    let mut open: Vec<String> = Vec::new();
    let mut answered: BTreeSet<String> = BTreeSet::new();
    for (position, message) in messages.iter().enumerate() {
        let at = format!("messages[{position}]");
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "tool" && !open.is_empty() {
            problems.push(format!(
                "{at}: tool calls {open:?} of the previous assistant message have no `tool` message"
            ));
            open.clear();
        }
        match role {
            "system" | "developer" | "user" => {
                if message.get("content").is_none() {
                    problems.push(format!("{at}: `content` is missing"));
                }
            }
            "assistant" => {
                let calls = message.get("tool_calls").and_then(Value::as_array);
                let has_content = message
                    .get("content")
                    .is_some_and(|content| !content.is_null());
                if calls.is_none() && !has_content {
                    problems.push(format!(
                        "{at}: assistant message with neither content nor tool_calls"
                    ));
                }
                for (index, call) in calls.into_iter().flatten().enumerate() {
                    let call_at = format!("{at}.tool_calls[{index}]");
                    let Some(id) = call.get("id").and_then(Value::as_str) else {
                        problems.push(format!("{call_at}: `id` is missing"));
                        continue;
                    };
                    let arguments = call.pointer("/function/arguments").and_then(Value::as_str);
                    match arguments.map(serde_json::from_str::<Value>) {
                        Some(Ok(Value::Object(_))) => {}
                        Some(_) => problems.push(format!(
                            "{call_at}: `function.arguments` is not a JSON object text"
                        )),
                        None => problems
                            .push(format!("{call_at}: `function.arguments` must be a string")),
                    }
                    if call
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .is_none()
                    {
                        problems.push(format!("{call_at}: `function.name` is missing"));
                    }
                    open.push(id.to_owned());
                }
            }
            "tool" => {
                let id = message
                    .get("tool_call_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if let Some(found) = open.iter().position(|open_id| open_id == id) {
                    open.remove(found);
                    answered.insert(id.to_owned());
                } else if answered.contains(id) {
                    problems.push(format!("{at}: tool call `{id}` is answered twice"));
                } else {
                    problems.push(format!(
                        "{at}: tool message for `{id}`, which no preceding assistant message called"
                    ));
                }
            }
            other => problems.push(format!("{at}: unknown role `{other}`")),
        }
    }
    if !open.is_empty() {
        problems.push(format!(
            "the conversation ends with tool calls {open:?} that have no `tool` message"
        ));
    }
    problems
}

fn check_anthropic(request: &RecordedRequest) -> Vec<String> {
    let body = &request.body;
    let mut problems = Vec::new();
    if request.header("x-api-key").is_none() {
        problems.push("header `x-api-key` is missing".to_owned());
    }
    if request.header("anthropic-version").is_none() {
        problems.push("header `anthropic-version` is missing".to_owned());
    }
    if !body.get("model").is_some_and(Value::is_string) {
        problems.push("`model` must be a string".to_owned());
    }
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64);
    if max_tokens.is_none() {
        problems.push("`max_tokens` is required".to_owned());
    }
    if let Some(budget) = body
        .pointer("/thinking/budget_tokens")
        .and_then(Value::as_u64)
        && max_tokens.is_some_and(|max| max <= budget)
    {
        problems.push("`max_tokens` must be greater than `thinking.budget_tokens`".to_owned());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        problems.push("`messages` must be a list".to_owned());
        return problems;
    };
    if messages
        .first()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        != Some("user")
    {
        problems.push("the first message must have role `user`".to_owned());
    }
    let mut previous_calls: Vec<String> = Vec::new();
    let mut previous_role = "";
    for (position, message) in messages.iter().enumerate() {
        let at = format!("messages[{position}]");
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "user" && role != "assistant" {
            problems.push(format!(
                "{at}: role must be `user` or `assistant`, not `{role}`"
            ));
        }
        let blocks: Vec<&Value> = match message.get("content") {
            Some(Value::String(_)) => Vec::new(),
            Some(Value::Array(blocks)) => blocks.iter().collect(),
            _ => {
                problems.push(format!("{at}: `content` must be a string or a list"));
                Vec::new()
            }
        };
        let results: Vec<&str> = blocks
            .iter()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("tool_result"))
            .map(|block| {
                block
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            })
            .collect();
        if role == "user" {
            for id in &results {
                if !previous_calls.iter().any(|call| call == id) {
                    problems.push(format!(
                        "{at}: tool_result for `{id}`, which the previous assistant message did not call"
                    ));
                }
            }
            for call in &previous_calls {
                if !results.contains(&call.as_str()) {
                    problems.push(format!(
                        "{at}: tool_use `{call}` of the previous message has no tool_result"
                    ));
                }
            }
        } else if !results.is_empty() {
            problems.push(format!("{at}: tool_result blocks belong in user messages"));
        }
        if role == previous_role && role == "assistant" {
            problems.push(format!("{at}: two assistant messages in a row"));
        }
        previous_calls = if role == "assistant" {
            blocks
                .iter()
                .filter(|block| block.get("type").and_then(Value::as_str) == Some("tool_use"))
                .map(|block| {
                    block
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        } else {
            Vec::new()
        };
        for block in &blocks {
            if block.get("type").and_then(Value::as_str) == Some("tool_use")
                && !block.get("input").is_some_and(Value::is_object)
            {
                problems.push(format!("{at}: tool_use `input` must be an object"));
            }
        }
        previous_role = role;
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn anthropic_request(body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/v1/messages".into(),
            headers: BTreeMap::from([
                ("x-api-key".to_owned(), "k".to_owned()),
                ("anthropic-version".to_owned(), "2023-06-01".to_owned()),
            ]),
            body,
        }
    }

    #[test]
    fn anthropic_tool_results_must_answer_the_previous_message() {
        let body = json!({
            "model": "m", "max_tokens": 10,
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "LS", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "b", "content": "x"}]}
            ]
        });
        assert_eq!(
            check_request(Flavor::Anthropic, &anthropic_request(body)),
            vec![
                "messages[2]: tool_result for `b`, which the previous assistant message did not call".to_owned(),
                "messages[2]: tool_use `a` of the previous message has no tool_result".to_owned(),
            ]
        );
    }

    #[test]
    fn anthropic_requires_headers_and_max_tokens() {
        let mut request = anthropic_request(
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        );
        request.headers.clear();
        assert_eq!(
            check_request(Flavor::Anthropic, &request),
            vec![
                "header `x-api-key` is missing".to_owned(),
                "header `anthropic-version` is missing".to_owned(),
                "`max_tokens` is required".to_owned(),
            ]
        );
    }

    #[test]
    fn openai_unanswered_calls_and_bad_arguments_are_flagged() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "LS", "arguments": "{"}}
                ]},
                {"role": "user", "content": "and?"}
            ]
        });
        assert_eq!(
            check_openai(&body),
            vec![
                "messages[1].tool_calls[0]: `function.arguments` is not a JSON object text".to_owned(),
                "messages[2]: tool calls [\"a\"] of the previous assistant message have no `tool` message".to_owned(),
            ]
        );
    }
}
