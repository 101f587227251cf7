//! The cheap reduction tried before a full compaction: large tool results
//! of older turns are replaced by a one-line stub that says what the output
//! was and how to get it again. The call itself stays, so the model still
//! sees what it did.
//!
//! Never touched: the most recent [`ReducePolicy::keep_recent_turns`]
//! model round trips, pinned messages, results of calls that read a pinned
//! file, results smaller than [`ReducePolicy::min_result_tokens`], and
//! results that already are stubs.

use std::collections::HashMap;
use std::path::Path;

use ferrule_protocol::{ContentBlock, Message, MessageContent, Role, ToolResultContent};
use serde_json::Value;

use crate::count::{TokenCounter, count_result};
use crate::pinned::Pinned;

/// Marks a result that is already a stub.
const STUB_MARK: &str = "elided to save context";

/// What a reduction may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReducePolicy {
    /// Model round trips (an assistant message and the tool results that
    /// answer it), counted from the end, that stay as they are.
    pub keep_recent_turns: usize,
    /// Results smaller than this many tokens are not worth a stub.
    pub min_result_tokens: usize,
}

impl Default for ReducePolicy {
    fn default() -> Self {
        Self {
            keep_recent_turns: 6,
            min_result_tokens: 200,
        }
    }
}

/// What a reduction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reduction {
    /// Tool results replaced by stubs.
    pub stubbed: usize,
    /// Tokens the stubs saved.
    pub tokens_saved: usize,
}

/// Replaces old tool results by stubs, oldest first, until `tokens_to_free`
/// tokens are saved or nothing eligible is left.
pub fn stub_old_results(
    history: &mut [Message],
    counter: &TokenCounter,
    pinned: &Pinned,
    cwd: &Path,
    policy: &ReducePolicy,
    tokens_to_free: usize,
) -> Reduction {
    let protected_from = recent_start(history, policy.keep_recent_turns);
    let calls: HashMap<String, (String, Value)> = history
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .filter_map(|m| match &m.content {
            MessageContent::Blocks(blocks) => Some(blocks),
            MessageContent::Text(_) => None,
        })
        .flatten()
        .filter_map(|block| match block {
            ContentBlock::ToolUse(call) => {
                Some((call.id.clone(), (call.name.clone(), call.input.clone())))
            }
            _ => None,
        })
        .collect();
    let encoding = counter.encoding().encoding;
    let mut done = Reduction::default();
    for message in &mut history[..protected_from] {
        if done.tokens_saved >= tokens_to_free {
            break;
        }
        if message.role != Role::User || pinned.contains_message(message) {
            continue;
        }
        let MessageContent::Blocks(blocks) = &mut message.content else {
            continue;
        };
        for block in blocks {
            if done.tokens_saved >= tokens_to_free {
                break;
            }
            let ContentBlock::ToolResult(result) = block else {
                continue;
            };
            let Some(content) = &result.content else {
                continue;
            };
            let tokens = count_result(encoding, content);
            if tokens < policy.min_result_tokens || content.joined_text().contains(STUB_MARK) {
                continue;
            }
            let call = calls.get(&result.tool_use_id);
            if let Some((_, input)) = call
                && reads_pinned_file(input, pinned, cwd)
            {
                continue;
            }
            let stub = stub_text(call, tokens);
            let stub_tokens = encoding.count(&stub);
            result.content = Some(ToolResultContent::Text(stub));
            done.stubbed += 1;
            done.tokens_saved += tokens.saturating_sub(stub_tokens);
        }
    }
    done
}

/// Index of the first message of the last `turns` round trips: the
/// `turns`-th assistant message from the end (0 when there are fewer).
pub(crate) fn recent_start(history: &[Message], turns: usize) -> usize {
    if turns == 0 {
        return history.len();
    }
    history
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, m)| m.role == Role::Assistant)
        .nth(turns - 1)
        .map_or(0, |(i, _)| i)
}

fn reads_pinned_file(input: &Value, pinned: &Pinned, cwd: &Path) -> bool {
    ["file_path", "path", "notebook_path"]
        .iter()
        .filter_map(|key| input.get(key).and_then(Value::as_str))
        .any(|path| pinned.contains_file(Path::new(path), cwd))
}

/// The stub for a result of `tokens` tokens answering `call`.
fn stub_text(call: Option<&(String, Value)>, tokens: usize) -> String {
    match call {
        Some((name, input)) => {
            let what = describe_call(name, input);
            format!(
                "[output of {what} ({tokens} tokens) {STUB_MARK}; call {name} again if you need it]"
            )
        }
        None => format!(
            "[tool output ({tokens} tokens) {STUB_MARK}; run the tool again if you need it]"
        ),
    }
}

/// `Read src/a.rs`, `Bash: cargo test`, `Grep "fn main"` ...: the tool and
/// its most telling argument.
pub(crate) fn describe_call(name: &str, input: &Value) -> String {
    let field = |key: &str| input.get(key).and_then(Value::as_str);
    if let Some(path) = field("file_path").or(field("notebook_path")) {
        return format!("{name} {path}");
    }
    if let Some(command) = field("command") {
        return format!("{name}: {}", shorten(command, 100));
    }
    for key in ["pattern", "query", "url", "path", "description"] {
        if let Some(value) = field(key) {
            return format!("{name} {}", shorten(value, 100));
        }
    }
    let json = serde_json::to_string(input).unwrap_or_default();
    if json == "{}" || json.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {}", shorten(&json, 120))
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= max_chars {
        return one_line;
    }
    let cut: String = one_line.chars().take(max_chars).collect();
    format!("{cut}…")
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

    fn result(id: &str, text: &str) -> Message {
        Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
            id, text,
        ))])
    }

    fn result_text(message: &Message) -> String {
        match &message.content {
            MessageContent::Blocks(blocks) => match &blocks[0] {
                ContentBlock::ToolResult(r) => r.content.as_ref().unwrap().joined_text(),
                other => panic!("{other:?}"),
            },
            MessageContent::Text(t) => t.clone(),
        }
    }

    fn session(big: &str) -> Vec<Message> {
        vec![
            Message::user("look at the code"),
            call("c1", "Read", json!({"file_path": "src/a.rs"})),
            result("c1", big),
            call("c2", "Bash", json!({"command": "cargo test"})),
            result("c2", big),
            call("c3", "Read", json!({"file_path": "docs/pinned.md"})),
            result("c3", big),
            call("c4", "Read", json!({"file_path": "src/b.rs"})),
            result("c4", big),
            Message::assistant("done"),
        ]
    }

    #[test]
    fn old_results_become_stubs_and_recent_and_pinned_ones_stay() {
        let big = "let x = 1;\n".repeat(200);
        let mut history = session(&big);
        let counter = TokenCounter::for_model("gpt-4.1");
        let pinned = Pinned::with_files(Path::new("/p"), &["docs/pinned.md".to_owned()]);
        let policy = ReducePolicy {
            keep_recent_turns: 2,
            min_result_tokens: 50,
        };
        let done = stub_old_results(
            &mut history,
            &counter,
            &pinned,
            Path::new("/p"),
            &policy,
            usize::MAX,
        );
        assert_eq!(done.stubbed, 2);
        assert!(done.tokens_saved > 1000, "{done:?}");
        assert_eq!(
            result_text(&history[2]),
            format!(
                "[output of Read src/a.rs ({} tokens) elided to save context; call Read again if you need it]",
                counter.count_text(&big)
            )
        );
        assert!(result_text(&history[4]).starts_with("[output of Bash: cargo test ("));
        assert_eq!(result_text(&history[6]), big, "a pinned file's read stays");
        assert_eq!(result_text(&history[8]), big, "recent round trips stay");
        // A second pass finds nothing new to stub.
        let again = stub_old_results(
            &mut history,
            &counter,
            &pinned,
            Path::new("/p"),
            &policy,
            usize::MAX,
        );
        assert_eq!(again, Reduction::default());
    }

    #[test]
    fn stops_once_enough_is_saved_and_skips_pinned_messages_and_small_results() {
        let big = "word ".repeat(400);
        let mut history = session(&big);
        let counter = TokenCounter::for_model("gpt-4.1");
        let mut pinned = Pinned::new();
        pinned.pin_message("u-c1", history[2].clone());
        let policy = ReducePolicy {
            keep_recent_turns: 1,
            min_result_tokens: 50,
        };
        let done = stub_old_results(
            &mut history,
            &counter,
            &pinned,
            Path::new("/p"),
            &policy,
            10,
        );
        assert_eq!(done.stubbed, 1);
        assert_eq!(result_text(&history[2]), big, "pinned message");
        assert!(result_text(&history[4]).contains(STUB_MARK));
        assert_eq!(result_text(&history[6]), big, "enough was saved already");

        let mut small = session("ok");
        let done = stub_old_results(
            &mut small,
            &counter,
            &Pinned::new(),
            Path::new("/p"),
            &policy,
            usize::MAX,
        );
        assert_eq!(done, Reduction::default());
    }

    #[test]
    fn calls_are_described_by_their_main_argument() {
        assert_eq!(
            describe_call("Grep", &json!({"pattern": "fn main", "path": "src"})),
            "Grep fn main"
        );
        assert_eq!(describe_call("TodoRead", &json!({})), "TodoRead");
        assert_eq!(describe_call("X", &json!({"n": 1})), r#"X {"n":1}"#);
        assert_eq!(
            describe_call("Bash", &json!({"command": "a\nb"})),
            "Bash: a b"
        );
    }
}
