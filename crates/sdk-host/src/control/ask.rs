//! Requests answered by one model call of their own, outside the
//! conversation: `side_question` (`side_question_v1`) and
//! `generate_session_title`. Neither touches the session's history, and
//! neither offers the model tools.

use std::sync::Arc;

use ferrule_model::{Model, ModelEvent, ModelRequest};
use ferrule_protocol::sdk::{SideQuestionRequest, SideQuestionResponse};
use ferrule_protocol::{ContentBlock, Message, MessageContent, Role};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::with_ready;
use crate::host::Shared;

/// Characters of one tool result kept when the history is shown as text.
const RESULT_CHARS: usize = 2000;

const SIDE_NOTE: &str = "\n\nThe user asks a side question about this session. Answer it briefly from the conversation so far; you cannot use tools now, and the answer does not become part of the conversation.";

const TITLE_PROMPT: &str = "Write a title of at most six words for a coding session described below. Answer with the title alone, no quotes, no final period.\n\n";

/// `side_question`: the session's system prompt and conversation (as text),
/// the earlier side exchanges, then the question.
pub(super) async fn side_question(
    shared: &Shared,
    request: &SideQuestionRequest,
) -> Result<Value, String> {
    let (model, system, history) = with_ready(shared, |ready| {
        (
            Arc::clone(&ready.model),
            ready.system_prompt.clone(),
            ready.history.clone(),
        )
    })?;
    let mut messages = as_text(&history);
    for exchange in request.history.iter().flatten() {
        push(&mut messages, Role::User, exchange.question.clone());
        push(&mut messages, Role::Assistant, exchange.response.clone());
    }
    push(&mut messages, Role::User, request.question.clone());
    let answer = complete(model.as_ref(), Some(system + SIDE_NOTE), messages).await?;
    serde_json::to_value(SideQuestionResponse {
        response: Some(answer),
        synthetic: false,
        refusal_fallback: None,
    })
    .map_err(|error| error.to_string())
}

/// `generate_session_title` (`{description, persist?}` → `{title}`); with
/// `persist` the title is written to the transcript as the session's name.
pub(super) async fn session_title(
    shared: &Shared,
    request: &Map<String, Value>,
) -> Result<Value, String> {
    let Some(description) = request.get("description").and_then(Value::as_str) else {
        return Err("generate_session_title: missing `description` (a string)".to_owned());
    };
    let persist = request.get("persist").and_then(Value::as_bool) == Some(true);
    let (model, store, cwd, session_id) = with_ready(shared, |ready| {
        (
            Arc::clone(&ready.model),
            ready.store.clone(),
            ready.cwd.clone(),
            ready.session_id.clone(),
        )
    })?;
    let prompt = format!("{TITLE_PROMPT}{description}");
    let answer = complete(model.as_ref(), None, vec![Message::user(prompt)]).await?;
    let title = answer
        .lines()
        .map(|line| line.trim().trim_matches('"').trim())
        .find(|line| !line.is_empty())
        .map(str::to_owned);
    if persist
        && let Some(title) = &title
        && let Some(store) = store
    {
        store
            .rename(&cwd, &session_id, title)
            .map_err(|error| format!("generate_session_title: saving the title: {error}"))?;
    }
    Ok(json!({ "title": title }))
}

/// One model call without tools; the text of its answer.
pub(crate) async fn complete(
    model: &dyn Model,
    system: Option<String>,
    messages: Vec<Message>,
) -> Result<String, String> {
    let mut request = ModelRequest::new(messages);
    request.system = system;
    let mut stream = model.stream(request, CancellationToken::new());
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(ModelEvent::TextDelta { text: delta, .. }) => text.push_str(&delta),
            Ok(ModelEvent::Completed { message }) => {
                let whole: Vec<&str> = message
                    .content
                    .iter()
                    .filter_map(ContentBlock::as_text)
                    .collect();
                if !whole.is_empty() {
                    text = whole.join("\n");
                }
            }
            Ok(_) => {}
            Err(error) => return Err(format!("the model request failed: {error}")),
        }
    }
    Ok(text)
}

/// The conversation as plain text messages (tool calls and results
/// described in words), so no provider asks for tool definitions.
fn as_text(history: &[Message]) -> Vec<Message> {
    let mut out = Vec::new();
    for message in history {
        let mut parts = Vec::new();
        for block in message.content.clone().into_blocks() {
            match block {
                ContentBlock::Text(text) => parts.push(text.text),
                ContentBlock::ToolUse(call) => {
                    parts.push(format!("[called tool {} with {}]", call.name, call.input));
                }
                ContentBlock::ToolResult(result) => {
                    let text: String = serde_json::to_string(&result.content)
                        .unwrap_or_default()
                        .chars()
                        .take(RESULT_CHARS)
                        .collect();
                    parts.push(format!("[tool result: {text}]"));
                }
                _ => {}
            }
        }
        if !parts.is_empty() {
            push(&mut out, message.role, parts.join("\n"));
        }
    }
    out
}

/// Appends text as `role`, joining it to the last message when that has
/// the same role (providers want the roles to alternate).
fn push(messages: &mut Vec<Message>, role: Role, text: String) {
    if let Some(last) = messages.last_mut()
        && last.role == role
    {
        let joined = format!("{}\n\n{text}", last.content.joined_text());
        last.content = MessageContent::Text(joined);
        return;
    }
    if messages.is_empty() && role == Role::Assistant {
        messages.push(Message::user("(conversation start)"));
    }
    let mut message = Message::user(text);
    message.role = role;
    messages.push(message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::{ToolResultBlock, ToolUseBlock};

    #[test]
    fn history_becomes_alternating_text() {
        let history = vec![
            Message::user("list files"),
            Message::assistant(vec![ContentBlock::ToolUse(ToolUseBlock {
                id: "c1".into(),
                name: "LS".into(),
                input: json!({"path": "."}),
            })]),
            Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
                "c1", "a.txt",
            ))]),
            Message::user("thanks"),
        ];
        let text = as_text(&history);
        assert_eq!(text.len(), 3);
        assert_eq!(text[1].role, Role::Assistant);
        assert!(text[1].content.joined_text().contains("called tool LS"));
        let last = text[2].content.joined_text();
        assert!(last.contains("a.txt") && last.ends_with("thanks"), "{last}");
    }
}
