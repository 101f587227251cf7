//! Builds the completed assistant message from the events of a response.
//!
//! Providers emit deltas and feed each one here, so the message in
//! [`ModelEvent::Completed`] holds exactly what the deltas said.

use std::collections::BTreeMap;

use ferrule_protocol::{
    AssistantMessage, ContentBlock, RedactedThinkingBlock, StopReason, TextBlock, ThinkingBlock,
    ToolUseBlock, Usage,
};
use serde_json::{Map, Value};

use crate::event::ModelEvent;

/// Collects the events of one response into an [`AssistantMessage`].
#[derive(Debug, Default)]
pub struct ResponseAssembler {
    id: Option<String>,
    model: String,
    blocks: BTreeMap<usize, PartialBlock>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
}

#[derive(Debug)]
enum PartialBlock {
    Text(String),
    Thinking {
        thinking: String,
        signature: String,
    },
    Redacted(String),
    Tool {
        id: String,
        name: String,
        input: Value,
    },
}

impl ResponseAssembler {
    /// An empty response of `model` (the `MessageStart` event may rename it).
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Takes one event into account.
    pub fn apply(&mut self, event: &ModelEvent) {
        match event {
            ModelEvent::MessageStart { id, model } => {
                self.id = Some(id.clone());
                if !model.is_empty() {
                    self.model.clone_from(model);
                }
            }
            ModelEvent::TextDelta { index, text } => {
                if let PartialBlock::Text(buffer) = self
                    .blocks
                    .entry(*index)
                    .or_insert_with(|| PartialBlock::Text(String::new()))
                {
                    buffer.push_str(text);
                }
            }
            ModelEvent::ThinkingDelta { index, thinking } => {
                if let PartialBlock::Thinking {
                    thinking: buffer, ..
                } = self.blocks.entry(*index).or_insert_with(empty_thinking)
                {
                    buffer.push_str(thinking);
                }
            }
            ModelEvent::SignatureDelta { index, signature } => {
                if let PartialBlock::Thinking {
                    signature: buffer, ..
                } = self.blocks.entry(*index).or_insert_with(empty_thinking)
                {
                    buffer.push_str(signature);
                }
            }
            ModelEvent::RedactedThinking { index, data } => {
                self.blocks
                    .insert(*index, PartialBlock::Redacted(data.clone()));
            }
            ModelEvent::ToolCallStart { index, id, name } => {
                self.blocks.insert(
                    *index,
                    PartialBlock::Tool {
                        id: id.clone(),
                        name: name.clone(),
                        input: Value::Object(Map::new()),
                    },
                );
            }
            ModelEvent::ToolCallEnd { index, call } => {
                self.blocks.insert(
                    *index,
                    PartialBlock::Tool {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        input: call.input.clone(),
                    },
                );
            }
            ModelEvent::ToolCallInvalid {
                index, id, name, ..
            } => {
                self.blocks.insert(
                    *index,
                    PartialBlock::Tool {
                        id: id.clone(),
                        name: name.clone(),
                        input: Value::Object(Map::new()),
                    },
                );
            }
            ModelEvent::Usage { usage } => self.usage = Some(usage.clone()),
            ModelEvent::Stop { reason } => self.stop = Some(reason.clone()),
            ModelEvent::Retry { .. }
            | ModelEvent::ToolCallDelta { .. }
            | ModelEvent::BlockStop { .. }
            | ModelEvent::Completed { .. } => {}
        }
    }

    /// Whether any tool call was seen.
    pub fn has_tool_calls(&self) -> bool {
        self.blocks
            .values()
            .any(|block| matches!(block, PartialBlock::Tool { .. }))
    }

    /// The completed message.
    pub fn finish(self) -> AssistantMessage {
        let content = self
            .blocks
            .into_values()
            .map(|block| match block {
                PartialBlock::Text(text) => ContentBlock::Text(TextBlock { text }),
                PartialBlock::Thinking {
                    thinking,
                    signature,
                } => ContentBlock::Thinking(ThinkingBlock {
                    thinking,
                    signature,
                }),
                PartialBlock::Redacted(data) => {
                    ContentBlock::RedactedThinking(RedactedThinkingBlock { data })
                }
                PartialBlock::Tool { id, name, input } => {
                    ContentBlock::ToolUse(ToolUseBlock { id, name, input })
                }
            })
            .collect();
        let mut message = AssistantMessage::new(self.model, content);
        message.id = self.id;
        message.stop_reason = Some(self.stop);
        message.stop_sequence = Some(None);
        message.usage = self.usage;
        message
    }
}

fn empty_thinking() -> PartialBlock {
    PartialBlock::Thinking {
        thinking: String::new(),
        signature: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn deltas_concatenate_into_blocks_in_index_order() {
        let mut assembler = ResponseAssembler::new("m");
        let events = [
            ModelEvent::MessageStart {
                id: "msg_1".into(),
                model: "m-2".into(),
            },
            ModelEvent::ThinkingDelta {
                index: 0,
                thinking: "hm".into(),
            },
            ModelEvent::SignatureDelta {
                index: 0,
                signature: "sig".into(),
            },
            ModelEvent::TextDelta {
                index: 1,
                text: "a".into(),
            },
            ModelEvent::TextDelta {
                index: 1,
                text: "b".into(),
            },
            ModelEvent::ToolCallStart {
                index: 2,
                id: "c1".into(),
                name: "Read".into(),
            },
            ModelEvent::ToolCallEnd {
                index: 2,
                call: ToolUseBlock {
                    id: "c1".into(),
                    name: "Read".into(),
                    input: json!({"path": "x"}),
                },
            },
            ModelEvent::Stop {
                reason: StopReason::ToolUse,
            },
        ];
        for event in &events {
            assembler.apply(event);
        }
        assert!(assembler.has_tool_calls());
        let mut expected = AssistantMessage::new(
            "m-2",
            vec![
                ContentBlock::Thinking(ThinkingBlock {
                    thinking: "hm".into(),
                    signature: "sig".into(),
                }),
                ContentBlock::text("ab"),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "c1".into(),
                    name: "Read".into(),
                    input: json!({"path": "x"}),
                }),
            ],
        );
        expected.id = Some("msg_1".into());
        expected.stop_reason = Some(Some(StopReason::ToolUse));
        expected.stop_sequence = Some(None);
        assert_eq!(assembler.finish(), expected);
    }
}
