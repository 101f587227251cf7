//! The history as the model gets it.

use ferrule_protocol::{ContentBlock, Message, MessageContent, Role, ToolResultBlock};

use crate::pipeline::INTERRUPTED;

/// The history as a model should get it: neighbouring user messages merged
/// (a reloaded transcript holds one entry per tool result, and providers
/// want the results of one answer together), and every tool_use answered
/// (a call without a result, as a crash can leave, gets an interrupted one).
pub(crate) fn merged_for_model(messages: &[Message]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for message in messages {
        match out.last_mut() {
            Some(last) if last.role == Role::User && message.role == Role::User => {
                let mut blocks = take_blocks(last);
                blocks.extend(message.content.clone().into_blocks());
                last.content = MessageContent::Blocks(blocks);
            }
            _ => out.push(message.clone()),
        }
    }
    let mut index = 0;
    while index < out.len() {
        let missing = unanswered(&out, index);
        if !missing.is_empty() {
            let results: Vec<ContentBlock> = missing
                .into_iter()
                .map(|id| ContentBlock::ToolResult(ToolResultBlock::error(id, INTERRUPTED)))
                .collect();
            match out.get_mut(index + 1) {
                Some(next) if next.role == Role::User => {
                    let mut blocks = results;
                    blocks.extend(take_blocks(next));
                    next.content = MessageContent::Blocks(blocks);
                }
                _ => out.insert(index + 1, Message::user(MessageContent::Blocks(results))),
            }
        }
        index += 1;
    }
    out
}

/// The ids of the calls of assistant message `index` that the next message
/// does not answer.
fn unanswered(messages: &[Message], index: usize) -> Vec<String> {
    let message = &messages[index];
    if message.role != Role::Assistant {
        return Vec::new();
    }
    let answered: Vec<&str> = match messages.get(index + 1) {
        Some(next) if next.role == Role::User => blocks(next)
            .iter()
            .filter_map(|block| match block {
                ContentBlock::ToolResult(result) => Some(result.tool_use_id.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    blocks(message)
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolUse(call) if !answered.contains(&call.id.as_str()) => {
                Some(call.id.clone())
            }
            _ => None,
        })
        .collect()
}

fn blocks(message: &Message) -> &[ContentBlock] {
    match &message.content {
        MessageContent::Blocks(blocks) => blocks,
        MessageContent::Text(_) => &[],
    }
}

fn take_blocks(message: &mut Message) -> Vec<ContentBlock> {
    std::mem::replace(&mut message.content, MessageContent::Blocks(Vec::new())).into_blocks()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::ToolUseBlock;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn call(id: &str) -> ContentBlock {
        ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: "Read".into(),
            input: json!({}),
        })
    }

    fn result(id: &str, text: &str) -> ContentBlock {
        ContentBlock::ToolResult(ToolResultBlock::text(id, text))
    }

    #[test]
    fn one_entry_per_result_becomes_one_message() {
        let history = vec![
            Message::user("go"),
            Message::assistant(vec![call("a"), call("b")]),
            Message::user(vec![result("a", "1")]),
            Message::user(vec![result("b", "2")]),
        ];
        assert_eq!(
            merged_for_model(&history),
            vec![
                Message::user("go"),
                Message::assistant(vec![call("a"), call("b")]),
                Message::user(vec![result("a", "1"), result("b", "2")]),
            ]
        );
    }

    #[test]
    fn calls_without_results_get_interrupted_ones() {
        let history = vec![
            Message::user("go"),
            Message::assistant(vec![call("a"), call("b")]),
            Message::user(vec![result("b", "2")]),
            Message::assistant(vec![call("c")]),
        ];
        let interrupted =
            |id: &str| ContentBlock::ToolResult(ToolResultBlock::error(id, INTERRUPTED));
        assert_eq!(
            merged_for_model(&history),
            vec![
                Message::user("go"),
                Message::assistant(vec![call("a"), call("b")]),
                Message::user(vec![interrupted("a"), result("b", "2")]),
                Message::assistant(vec![call("c")]),
                Message::user(vec![interrupted("c")]),
            ]
        );
    }
}
