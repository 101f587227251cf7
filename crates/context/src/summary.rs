//! The summarization request: the prompt, the conversation rendered as
//! text for it, and the attachments a compaction re-adds (pinned items,
//! the todo list, recently touched files).

use std::path::PathBuf;

use ferrule_protocol::{ContentBlock, Message, MessageContent, Role, ToolResultContent};
use serde_json::Value;

use crate::reduce::describe_call;

/// The summarizer's system prompt.
pub const SUMMARY_SYSTEM_PROMPT: &str = "\
You write the hand-over notes of a software engineering session between a user and a coding \
assistant. The conversation is about to be dropped from the assistant's memory; another \
instance of the assistant will continue the work from your notes and the last few messages \
alone. Anything you leave out is lost.

Be exact: copy file paths, function and type names, commands, error messages, numbers and the \
user's own requirements word for word. Do not guess and do not add advice. Write only the \
notes, in this order, with these headings:

## Task
What the user asked for and every constraint or preference they stated, quoting them where \
the wording matters. Include requests that changed along the way.

## Decisions
Choices made and why, including approaches tried and rejected.

## Files
Every file read, created, edited or deleted, each with one line on what was done to it or \
learned from it.

## Errors and fixes
Each problem met (failed commands, test failures, tool errors, user corrections) and how it \
was fixed, or that it is still open.

## Open work
Todo items not done yet, in order, and the very next step.

## Current state
Where the work stands at the end of the conversation.";

/// Longest tool result text put into the summary request, in characters.
const MAX_RESULT_CHARS: usize = 2_000;
/// Longest tool call input put into the summary request, in characters.
const MAX_CALL_CHARS: usize = 600;

/// The user message of the summary request.
pub(crate) fn summary_request_text(
    transcript: &str,
    instructions: Option<&str>,
    kept_recent: usize,
) -> String {
    let mut text = format!(
        "Here is the conversation so far:\n\n<conversation>\n{transcript}\n</conversation>\n\n"
    );
    if kept_recent > 0 {
        text.push_str(&format!(
            "The {kept_recent} messages after it are kept verbatim next to your notes, so you may be brief about them.\n\n"
        ));
    }
    if let Some(extra) = instructions.map(str::trim).filter(|s| !s.is_empty()) {
        text.push_str(&format!(
            "The user gave these instructions for the summary; follow them:\n{extra}\n\n"
        ));
    }
    text.push_str("Write the hand-over notes now.");
    text
}

/// The messages rendered as a plain-text transcript, at most `max_chars`
/// characters: when longer, the start (the task) and the end are kept and
/// the middle is replaced by a note.
pub(crate) fn render_transcript(messages: &[Message], max_chars: usize) -> String {
    let mut calls = std::collections::HashMap::new();
    let mut parts: Vec<String> = Vec::with_capacity(messages.len());
    for message in messages {
        parts.push(render_message(message, &mut calls));
    }
    let text = parts.join("\n\n");
    let total = text.chars().count();
    if total <= max_chars {
        return text;
    }
    let head_chars = max_chars / 5;
    let tail_chars = max_chars - head_chars;
    let head: String = text.chars().take(head_chars).collect();
    let tail: String = text.chars().skip(total - tail_chars).collect();
    format!(
        "{head}\n\n[… {} characters of the middle of the conversation omitted …]\n\n{tail}",
        total - head_chars - tail_chars
    )
}

fn render_message(
    message: &Message,
    calls: &mut std::collections::HashMap<String, String>,
) -> String {
    let speaker = match message.role {
        Role::User => "User",
        Role::Assistant => "Assistant",
    };
    let blocks = match &message.content {
        MessageContent::Text(text) => return format!("{speaker}: {text}"),
        MessageContent::Blocks(blocks) => blocks,
    };
    let mut lines = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text(text) => lines.push(format!("{speaker}: {}", text.text)),
            ContentBlock::ToolUse(call) => {
                calls.insert(call.id.clone(), describe_call(&call.name, &call.input));
                let input = cut(
                    &serde_json::to_string(&call.input).unwrap_or_default(),
                    MAX_CALL_CHARS,
                );
                lines.push(format!("{speaker} called {} {input}", call.name));
            }
            ContentBlock::ToolResult(result) => {
                let what = calls
                    .get(&result.tool_use_id)
                    .cloned()
                    .unwrap_or_else(|| "a tool".to_owned());
                let label = if result.is_error() {
                    "Error from"
                } else {
                    "Result of"
                };
                let text = result
                    .content
                    .as_ref()
                    .map(ToolResultContent::joined_text)
                    .unwrap_or_default();
                lines.push(format!("{label} {what}:\n{}", cut(&text, MAX_RESULT_CHARS)));
            }
            ContentBlock::Image(_) => lines.push(format!("{speaker}: [image]")),
            // Reasoning is the model's own scratch work; the answers carry
            // what it concluded.
            _ => {}
        }
    }
    lines.join("\n")
}

fn cut(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max_chars).collect();
    format!("{kept}[… {} more characters]", count - max_chars)
}

/// A message reproduced as text, blocks in order (text exactly, calls and
/// results as labelled JSON/text), for the pinned section of a summary.
pub(crate) fn verbatim_text(message: &Message) -> String {
    let blocks = match &message.content {
        MessageContent::Text(text) => return text.clone(),
        MessageContent::Blocks(blocks) => blocks,
    };
    blocks
        .iter()
        .map(|block| match block {
            ContentBlock::Text(text) => text.text.clone(),
            ContentBlock::ToolUse(call) => format!(
                "[tool call {} {}]",
                call.name,
                serde_json::to_string(&call.input).unwrap_or_default()
            ),
            ContentBlock::ToolResult(result) => format!(
                "[tool result]\n{}",
                result
                    .content
                    .as_ref()
                    .map(ToolResultContent::joined_text)
                    .unwrap_or_default()
            ),
            ContentBlock::Image(_) => "[image]".to_owned(),
            _ => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Tools whose `file_path` names a file the session touched.
const FILE_TOOLS: [&str; 5] = ["Read", "Write", "Edit", "MultiEdit", "NotebookEdit"];
/// Recent files listed after a compaction.
const MAX_RECENT_FILES: usize = 10;

/// The files most recently read or changed by file tools, newest first.
pub fn recent_files(history: &[Message]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for call in tool_calls(history).rev() {
        if !FILE_TOOLS.contains(&call.0) {
            continue;
        }
        let path = call
            .1
            .get("file_path")
            .or(call.1.get("notebook_path"))
            .and_then(Value::as_str);
        if let Some(path) = path {
            let path = PathBuf::from(path);
            if !files.contains(&path) {
                files.push(path);
            }
            if files.len() == MAX_RECENT_FILES {
                break;
            }
        }
    }
    files
}

/// The todo list of the last `TodoWrite` call, one `- [status] content`
/// line per item, or `None` when there was none.
pub fn last_todo_list(history: &[Message]) -> Option<String> {
    let (_, input) = tool_calls(history)
        .rev()
        .find(|(name, _)| *name == "TodoWrite")?;
    let todos = input.get("todos")?.as_array()?;
    let lines: Vec<String> = todos
        .iter()
        .filter_map(|todo| {
            let content = todo.get("content")?.as_str()?;
            let status = todo
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("pending");
            Some(format!("- [{status}] {content}"))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn tool_calls(history: &[Message]) -> impl DoubleEndedIterator<Item = (&str, &Value)> {
    history
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .filter_map(|m| match &m.content {
            MessageContent::Blocks(blocks) => Some(blocks),
            MessageContent::Text(_) => None,
        })
        .flatten()
        .filter_map(|block| match block {
            ContentBlock::ToolUse(call) => Some((call.name.as_str(), &call.input)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::{ToolResultBlock, ToolUseBlock};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn call(id: &str, name: &str, input: Value) -> Message {
        Message::assistant(vec![ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: name.into(),
            input,
        })])
    }

    #[test]
    fn transcript_labels_calls_and_results_and_cuts_the_middle() {
        let history = vec![
            Message::user("fix the bug"),
            call("c1", "Read", json!({"file_path": "src/a.rs"})),
            Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::error(
                "c1",
                "no such file",
            ))]),
        ];
        let text = render_transcript(&history, 10_000);
        assert_eq!(
            text,
            "User: fix the bug\n\nAssistant called Read {\"file_path\":\"src/a.rs\"}\n\nError from Read src/a.rs:\nno such file"
        );
        let long = render_transcript(&[Message::user("a".repeat(1000))], 100);
        assert!(
            long.starts_with("User: aaa") && long.contains("omitted"),
            "{long}"
        );
    }

    #[test]
    fn request_text_carries_the_conversation_and_the_instructions() {
        let text = summary_request_text("User: hi", Some("  keep the flag name "), 3);
        assert!(
            text.contains("<conversation>\nUser: hi\n</conversation>"),
            "{text}"
        );
        assert!(
            text.contains("follow them:\nkeep the flag name\n"),
            "{text}"
        );
        assert!(text.contains("The 3 messages after it"), "{text}");
        let plain = summary_request_text("User: hi", Some(" "), 0);
        assert!(
            !plain.contains("instructions") && !plain.contains("messages after"),
            "{plain}"
        );
    }

    #[test]
    fn recent_files_and_todos_come_from_the_last_calls() {
        let history = vec![
            call("1", "Read", json!({"file_path": "a.rs"})),
            call(
                "2",
                "TodoWrite",
                json!({"todos": [{"content": "old", "status": "pending"}]}),
            ),
            call("3", "Edit", json!({"file_path": "b.rs"})),
            call("4", "Read", json!({"file_path": "a.rs"})),
            call("5", "Bash", json!({"command": "ls"})),
            call(
                "6",
                "TodoWrite",
                json!({"todos": [
                    {"content": "write tests", "status": "completed"},
                    {"content": "run bench", "status": "in_progress"}
                ]}),
            ),
        ];
        assert_eq!(
            recent_files(&history),
            vec![PathBuf::from("a.rs"), PathBuf::from("b.rs")]
        );
        assert_eq!(
            last_todo_list(&history).as_deref(),
            Some("- [completed] write tests\n- [in_progress] run bench")
        );
        assert_eq!(last_todo_list(&history[..1]), None);
    }
}
