//! `session/load`: the stored conversation sent back to the client as
//! `session/update` notifications before the load is answered.

use std::collections::HashMap;
use std::path::Path;

use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, SessionUpdate, TextContent, ToolCall, ToolCallStatus,
};
use ferrule_protocol::{ContentBlock as Block, Message, Role};

use crate::tool_view;
use crate::updates::{Notifier, result_update};

/// Sends every message of `history`, oldest first.
pub(crate) fn replay(history: &[Message], cwd: &Path, notifier: &Notifier) {
    let mut names: HashMap<String, String> = HashMap::new();
    for message in history {
        for block in message.content.clone().into_blocks() {
            let chunk =
                |text: String| ContentChunk::new(ContentBlock::Text(TextContent::new(text)));
            match (message.role, block) {
                (Role::User, Block::Text(text)) => {
                    notifier.send(SessionUpdate::UserMessageChunk(chunk(text.text)));
                }
                (Role::Assistant, Block::Text(text)) => {
                    notifier.send(SessionUpdate::AgentMessageChunk(chunk(text.text)));
                }
                (Role::Assistant, Block::Thinking(thinking)) => {
                    notifier.send(SessionUpdate::AgentThoughtChunk(chunk(thinking.thinking)));
                }
                (_, Block::ToolUse(call)) => {
                    let mut update = ToolCall::new(call.id.clone(), call.name.clone());
                    update.update(
                        tool_view::call_fields(&call.name, &call.input, cwd)
                            .status(ToolCallStatus::InProgress),
                    );
                    names.insert(call.id, call.name);
                    notifier.send(SessionUpdate::ToolCall(update));
                }
                (_, Block::ToolResult(result)) => {
                    let name = names.get(&result.tool_use_id).map(String::as_str);
                    notifier.send(SessionUpdate::ToolCallUpdate(result_update(
                        &result, name, None,
                    )));
                }
                _ => {}
            }
        }
    }
}
