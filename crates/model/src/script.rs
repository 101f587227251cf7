//! Model scripts: the responses of a conversation, written down as JSON.
//!
//! A script is what the `scripted` provider replays and what the
//! [`crate::Recorder`] writes. Each turn answers one model request, in
//! order, and is either the exact list of [`ModelEvent`]s (what a
//! recording holds) or, for hand-written scripts, the content blocks of the
//! answer:
//!
//! ```json
//! {
//!   "turns": [
//!     {"blocks": [{"type": "tool_use", "id": "call_1", "name": "Write",
//!                  "input": {"file_path": "hello.txt", "content": "hi\n"}}]},
//!     {"blocks": [{"type": "text", "text": "Created hello.txt."}],
//!      "usage": {"input_tokens": 120, "output_tokens": 9}}
//!   ]
//! }
//! ```
//!
//! A blocks turn is expanded into the events a real provider would stream
//! (start, one delta per block, block stops, usage, stop, completed). An
//! events turn that does not end with `completed` gets its `stop` (when
//! missing) and `completed` events added, built from its deltas.

use std::path::{Path, PathBuf};

use ferrule_protocol::{ContentBlock, StopReason, Usage};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::assemble::ResponseAssembler;
use crate::event::ModelEvent;

/// A whole script.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// The model the responses are attributed to (`MessageStart` of blocks
    /// turns); recordings store the recorded model's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// One entry per model request, in order.
    pub turns: Vec<ScriptTurn>,
}

/// The response to one model request: either `events` or `blocks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTurn {
    /// The exact events to stream, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ModelEvent>>,
    /// The answer's text, thinking and tool-use blocks; the events are
    /// derived from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<ContentBlock>>,
    /// With `blocks`: why the answer ends; default `tool_use` when a block
    /// calls a tool, else `end_turn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// With `blocks`: usage to report, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl ScriptTurn {
    /// A turn streaming exactly `events`.
    pub fn from_events(events: Vec<ModelEvent>) -> Self {
        Self {
            events: Some(events),
            ..Self::default()
        }
    }

    /// A turn answering with `blocks`.
    pub fn from_blocks(blocks: Vec<ContentBlock>) -> Self {
        Self {
            blocks: Some(blocks),
            ..Self::default()
        }
    }
}

/// A script that cannot be read or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The file cannot be read.
    #[error("cannot read script {}: {message}", path.display())]
    Read {
        /// The script file.
        path: PathBuf,
        /// What the OS said.
        message: String,
    },
    /// The file is not a valid script.
    #[error("script {}:{line}:{column}: at `{at}`: {message}", path.display())]
    Parse {
        /// The script file.
        path: PathBuf,
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
        /// Where in the document, e.g. `turns[1].events[0]`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A turn holds something a model cannot answer with.
    #[error("script {}: turn {turn}: {message}", path.display())]
    Invalid {
        /// The script file.
        path: PathBuf,
        /// Turn number, from 1.
        turn: usize,
        /// What is wrong (and which block).
        message: String,
    },
}

impl Script {
    /// Reads and checks the script at `path`.
    pub fn load(path: &Path) -> Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|error| ScriptError::Read {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks script text; `path` is used in errors only.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScriptError> {
        let parse_error = |at: String, error: serde_json::Error| ScriptError::Parse {
            path: path.to_owned(),
            line: error.line(),
            column: error.column(),
            at,
            // serde_json appends "at line L column C"; the fields hold those.
            message: error
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let script: Self =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let at = error.path().to_string();
                parse_error(at, error.into_inner())
            })?;
        deserializer
            .end()
            .map_err(|error| parse_error(".".to_owned(), error))?;
        for (number, turn) in script.turns.iter().enumerate() {
            turn.check(path, number + 1)?;
        }
        Ok(script)
    }

    /// The events turn `number` (from 0) streams, with `model` as the
    /// fallback model name.
    pub fn events(&self, number: usize, model: &str) -> Option<Vec<ModelEvent>> {
        let model = self.model.as_deref().unwrap_or(model);
        self.turns
            .get(number)
            .map(|turn| turn.events(number, model))
    }
}

impl ScriptTurn {
    fn check(&self, path: &Path, turn: usize) -> Result<(), ScriptError> {
        let invalid = |message: String| ScriptError::Invalid {
            path: path.to_owned(),
            turn,
            message,
        };
        let blocks = match (&self.events, &self.blocks) {
            (Some(_), None) if self.stop_reason.is_none() && self.usage.is_none() => return Ok(()),
            (Some(_), None) => {
                return Err(invalid(
                    "`stop_reason` and `usage` go with `blocks`; in an `events` turn use `stop` and `usage` events"
                        .to_owned(),
                ));
            }
            (None, Some(blocks)) => blocks,
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "has both `events` and `blocks`; give one".to_owned(),
                ));
            }
            (None, None) => return Err(invalid("has neither `events` nor `blocks`".to_owned())),
        };
        for (number, block) in blocks.iter().enumerate() {
            let refused = match block {
                ContentBlock::Text(_)
                | ContentBlock::Thinking(_)
                | ContentBlock::RedactedThinking(_)
                | ContentBlock::ToolUse(_) => None,
                ContentBlock::Image(_) => Some("image"),
                ContentBlock::ToolResult(_) => Some("tool_result"),
                _ => Some("this kind of"),
            };
            if let Some(kind) = refused {
                return Err(invalid(format!(
                    "block {}: a model does not answer with {kind} blocks (use text, thinking, redacted_thinking or tool_use)",
                    number + 1
                )));
            }
        }
        Ok(())
    }

    fn events(&self, number: usize, model: &str) -> Vec<ModelEvent> {
        if let Some(events) = &self.events {
            return complete_events(events.clone(), model);
        }
        let mut events = vec![ModelEvent::MessageStart {
            id: format!("msg_scripted_{}", number + 1),
            model: model.to_owned(),
        }];
        for (index, block) in self.blocks.iter().flatten().enumerate() {
            block_events(index, block, &mut events);
        }
        if let Some(usage) = &self.usage {
            events.push(ModelEvent::Usage {
                usage: usage.clone(),
            });
        }
        if let Some(reason) = &self.stop_reason {
            events.push(ModelEvent::Stop {
                reason: reason.clone(),
            });
        }
        complete_events(events, model)
    }
}

fn block_events(index: usize, block: &ContentBlock, events: &mut Vec<ModelEvent>) {
    match block {
        ContentBlock::Text(text) => events.push(ModelEvent::TextDelta {
            index,
            text: text.text.clone(),
        }),
        ContentBlock::Thinking(thinking) => {
            events.push(ModelEvent::ThinkingDelta {
                index,
                thinking: thinking.thinking.clone(),
            });
            if !thinking.signature.is_empty() {
                events.push(ModelEvent::SignatureDelta {
                    index,
                    signature: thinking.signature.clone(),
                });
            }
        }
        ContentBlock::RedactedThinking(redacted) => events.push(ModelEvent::RedactedThinking {
            index,
            data: redacted.data.clone(),
        }),
        ContentBlock::ToolUse(call) => {
            events.push(ModelEvent::ToolCallStart {
                index,
                id: call.id.clone(),
                name: call.name.clone(),
            });
            events.push(ModelEvent::ToolCallDelta {
                index,
                partial_json: call.input.to_string(),
            });
            events.push(ModelEvent::ToolCallEnd {
                index,
                call: call.clone(),
            });
        }
        // Refused by `check` before a script is used.
        _ => return,
    }
    events.push(ModelEvent::BlockStop { index });
}

/// Adds `stop` and `completed` to events that lack them.
fn complete_events(mut events: Vec<ModelEvent>, model: &str) -> Vec<ModelEvent> {
    if matches!(events.last(), Some(ModelEvent::Completed { .. })) {
        return events;
    }
    let mut assembler = ResponseAssembler::new(model);
    for event in &events {
        assembler.apply(event);
    }
    if !events
        .iter()
        .any(|event| matches!(event, ModelEvent::Stop { .. }))
    {
        let reason = if assembler.has_tool_calls() {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        };
        let stop = ModelEvent::Stop { reason };
        assembler.apply(&stop);
        events.push(stop);
    }
    events.push(ModelEvent::Completed {
        message: Box::new(assembler.finish()),
    });
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn bad_event_type_is_reported_with_line_column_and_path() {
        let text = "{\"turns\": [\n  {\"events\": [{\"type\": \"text_delta\", \"index\": 0, \"text\": \"a\"}]},\n  {\"events\": [{\"type\": \"shout\"}]}\n]}";
        let error = Script::parse(text, Path::new("s.json")).unwrap_err();
        let ScriptError::Parse {
            line, at, message, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((*line, at.as_str()), (3, "turns[1].events[0].type"));
        assert!(message.contains("unknown variant `shout`"), "{message}");
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        let error = Script::parse("{\"turns\": []} x", Path::new("s.json")).unwrap_err();
        assert!(
            error.to_string().starts_with("script s.json:1:15:"),
            "{error}"
        );
    }

    #[test]
    fn tool_result_blocks_are_refused_with_their_position() {
        let text = r#"{"turns": [{"blocks": [{"type": "text", "text": "a"}, {"type": "tool_result", "tool_use_id": "x"}]}]}"#;
        assert_eq!(
            Script::parse(text, Path::new("s.json")).unwrap_err(),
            ScriptError::Invalid {
                path: "s.json".into(),
                turn: 1,
                message: "block 2: a model does not answer with tool_result blocks (use text, thinking, redacted_thinking or tool_use)".into(),
            }
        );
    }
}
