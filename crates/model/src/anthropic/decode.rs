//! Messages API stream events → [`ModelEvent`]s.
//!
//! The stream is `message_start`, then per block `content_block_start`,
//! `content_block_delta`* (`text_delta`, `input_json_delta`,
//! `thinking_delta`, `signature_delta`), `content_block_stop`, then
//! `message_delta` (stop reason, output usage) and `message_stop`; `ping`
//! may come anywhere and `error` ends it. The event type is read from the
//! JSON `type` field (the SSE `event:` line repeats it).

use std::collections::{BTreeMap, BTreeSet};

use ferrule_protocol::{StopReason, ToolUseBlock, Usage};
use serde_json::Value;

use crate::arguments::{parse_tool_arguments, shorten};
use crate::assemble::ResponseAssembler;
use crate::error::ModelError;
use crate::event::ModelEvent;
use crate::sse::SseEvent;
use crate::transport::{Decoder, Flow};

/// Decoder state of one streamed Messages response.
#[derive(Debug)]
pub struct MessagesStreamDecoder {
    url: String,
    started: bool,
    /// Open tool-use blocks by index: id, name, argument text so far.
    tools: BTreeMap<usize, (String, String, String)>,
    /// Blocks of kinds we do not model (server tool use and its results):
    /// their deltas and stop are skipped.
    skipped: BTreeSet<usize>,
    usage: Usage,
    has_usage: bool,
    stop: Option<StopReason>,
    assembler: ResponseAssembler,
    done: bool,
}

impl MessagesStreamDecoder {
    /// A decoder for a response of `model` from `url`.
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            started: false,
            tools: BTreeMap::new(),
            skipped: BTreeSet::new(),
            usage: Usage::default(),
            has_usage: false,
            stop: None,
            assembler: ResponseAssembler::new(model),
            done: false,
        }
    }

    /// Reads one `data:` payload and returns the events it completes.
    pub fn on_data(&mut self, data: &str, line: usize) -> Result<Vec<ModelEvent>, ModelError> {
        let mut out = Vec::new();
        self.on_data_into(data, line, &mut out)?;
        Ok(out)
    }

    /// Whether `message_stop` was read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn on_data_into(
        &mut self,
        data: &str,
        line: usize,
        out: &mut Vec<ModelEvent>,
    ) -> Result<Flow, ModelError> {
        if self.done {
            return Ok(Flow::Done);
        }
        let event: Value = serde_json::from_str(data).map_err(|error| {
            self.bad(format!(
                "line {line}: data is not JSON ({error}): `{}`",
                shorten(data)
            ))
        })?;
        let kind = event.get("type").and_then(Value::as_str).ok_or_else(|| {
            self.bad(format!(
                "line {line}: event without a string `type`: `{}`",
                shorten(data)
            ))
        })?;
        match kind {
            "ping" => {}
            "error" => {
                let error = event.get("error");
                let field = |name: &str| {
                    error
                        .and_then(|error| error.get(name))
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                        .to_owned()
                };
                return Err(ModelError::Provider {
                    provider: "anthropic",
                    url: self.url.clone(),
                    kind: field("type"),
                    message: field("message"),
                });
            }
            "message_start" => {
                let message = event.get("message").unwrap_or(&Value::Null);
                let text = |name: &str| {
                    message
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                if let Some(usage) = message.get("usage") {
                    self.merge_usage(usage);
                }
                self.started = true;
                self.emit(
                    out,
                    ModelEvent::MessageStart {
                        id: text("id"),
                        model: text("model"),
                    },
                );
            }
            "content_block_start" => {
                self.require_start(line)?;
                let index = self.index(&event, line)?;
                let block = event.get("content_block").unwrap_or(&Value::Null);
                let text = |name: &str| {
                    block
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        let text = text("text");
                        if !text.is_empty() {
                            self.emit(out, ModelEvent::TextDelta { index, text });
                        }
                    }
                    Some("thinking") => {
                        let thinking = text("thinking");
                        if !thinking.is_empty() {
                            self.emit(out, ModelEvent::ThinkingDelta { index, thinking });
                        }
                    }
                    Some("redacted_thinking") => {
                        let data = text("data");
                        self.emit(out, ModelEvent::RedactedThinking { index, data });
                    }
                    Some("tool_use") => {
                        let (id, name) = (text("id"), text("name"));
                        self.tools
                            .insert(index, (id.clone(), name.clone(), String::new()));
                        self.emit(out, ModelEvent::ToolCallStart { index, id, name });
                    }
                    Some(kind) => {
                        tracing::debug!(
                            kind,
                            index,
                            "skipping a content block of a kind not modelled"
                        );
                        self.skipped.insert(index);
                    }
                    None => {
                        return Err(self.bad(format!(
                            "line {line}: content block {index} without a `type`"
                        )));
                    }
                }
            }
            "content_block_delta" => {
                self.require_start(line)?;
                let index = self.index(&event, line)?;
                if self.skipped.contains(&index) {
                    return Ok(Flow::More);
                }
                let delta = event.get("delta").unwrap_or(&Value::Null);
                let text = |name: &str| {
                    delta
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let mapped = match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => ModelEvent::TextDelta {
                        index,
                        text: text("text"),
                    },
                    Some("thinking_delta") => ModelEvent::ThinkingDelta {
                        index,
                        thinking: text("thinking"),
                    },
                    Some("signature_delta") => ModelEvent::SignatureDelta {
                        index,
                        signature: text("signature"),
                    },
                    Some("input_json_delta") => {
                        let partial_json = text("partial_json");
                        let Some((_, _, arguments)) = self.tools.get_mut(&index) else {
                            return Err(self.bad(format!(
                                "line {line}: `input_json_delta` for block {index}, which is not a tool_use block"
                            )));
                        };
                        arguments.push_str(&partial_json);
                        ModelEvent::ToolCallDelta {
                            index,
                            partial_json,
                        }
                    }
                    // Citations and future delta kinds carry nothing we keep.
                    _ => return Ok(Flow::More),
                };
                self.emit(out, mapped);
            }
            "content_block_stop" => {
                self.require_start(line)?;
                let index = self.index(&event, line)?;
                if self.skipped.remove(&index) {
                    return Ok(Flow::More);
                }
                if let Some((id, name, arguments)) = self.tools.remove(&index) {
                    let mapped = match parse_tool_arguments(&arguments) {
                        Ok(input) => ModelEvent::ToolCallEnd {
                            index,
                            call: ToolUseBlock { id, name, input },
                        },
                        Err(error) => ModelEvent::ToolCallInvalid {
                            index,
                            id,
                            name,
                            arguments,
                            error,
                        },
                    };
                    self.emit(out, mapped);
                }
                self.emit(out, ModelEvent::BlockStop { index });
            }
            "message_delta" => {
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop = Some(StopReason::from(reason.to_owned()));
                }
                if let Some(usage) = event.get("usage") {
                    self.merge_usage(usage);
                }
            }
            "message_stop" => {
                self.require_start(line)?;
                self.complete(out);
                return Ok(Flow::Done);
            }
            // New event kinds are skipped, as the API's versioning policy asks.
            _ => {}
        }
        Ok(Flow::More)
    }

    fn complete(&mut self, out: &mut Vec<ModelEvent>) {
        let open: Vec<usize> = self.tools.keys().copied().collect();
        for index in open {
            if let Some((id, name, arguments)) = self.tools.remove(&index) {
                let error = "the stream ended before the tool call's input was complete".to_owned();
                self.emit(
                    out,
                    ModelEvent::ToolCallInvalid {
                        index,
                        id,
                        name,
                        arguments,
                        error,
                    },
                );
            }
        }
        if self.has_usage {
            let usage = std::mem::take(&mut self.usage);
            self.emit(out, ModelEvent::Usage { usage });
        }
        let reason = self.stop.take().unwrap_or(StopReason::EndTurn);
        self.emit(out, ModelEvent::Stop { reason });
        let assembler = std::mem::take(&mut self.assembler);
        out.push(ModelEvent::Completed {
            message: Box::new(assembler.finish()),
        });
        self.done = true;
    }

    /// Counters of `message_start` and `message_delta`; the later value of
    /// a counter replaces the earlier (the API sends cumulative counts).
    fn merge_usage(&mut self, usage: &Value) {
        let Ok(parsed) = serde_json::from_value::<Usage>(usage.clone()) else {
            return;
        };
        self.has_usage = true;
        let present = |name: &str| usage.get(name).is_some_and(Value::is_u64);
        if present("input_tokens") {
            self.usage.input_tokens = parsed.input_tokens;
        }
        if present("output_tokens") {
            self.usage.output_tokens = parsed.output_tokens;
        }
        if parsed.cache_creation_input_tokens.is_some() {
            self.usage.cache_creation_input_tokens = parsed.cache_creation_input_tokens;
        }
        if parsed.cache_read_input_tokens.is_some() {
            self.usage.cache_read_input_tokens = parsed.cache_read_input_tokens;
        }
        if parsed.service_tier.is_some() {
            self.usage.service_tier = parsed.service_tier;
        }
    }

    fn index(&self, event: &Value, line: usize) -> Result<usize, ModelError> {
        event
            .get("index")
            .and_then(Value::as_u64)
            .and_then(|index| usize::try_from(index).ok())
            .ok_or_else(|| {
                self.bad(format!(
                    "line {line}: block event without a numeric `index`"
                ))
            })
    }

    fn require_start(&self, line: usize) -> Result<(), ModelError> {
        if self.started {
            Ok(())
        } else {
            Err(self.bad(format!("line {line}: event before `message_start`")))
        }
    }

    fn emit(&mut self, out: &mut Vec<ModelEvent>, event: ModelEvent) {
        self.assembler.apply(&event);
        out.push(event);
    }

    fn bad(&self, message: String) -> ModelError {
        ModelError::Stream {
            provider: "anthropic",
            url: self.url.clone(),
            message,
        }
    }
}

impl Decoder for MessagesStreamDecoder {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<Flow, ModelError> {
        self.on_data_into(&event.data, event.line, out)
    }

    fn on_end(&mut self, _out: &mut Vec<ModelEvent>) -> Result<(), ModelError> {
        if self.done {
            return Ok(());
        }
        Err(self.bad("the stream ended before `message_stop`".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::ContentBlock;
    use pretty_assertions::assert_eq;

    #[test]
    fn blocks_of_unmodelled_kinds_are_skipped_with_their_deltas() {
        let mut decoder = MessagesStreamDecoder::new("http://x/v1/messages", "m");
        let lines = [
            r#"{"type":"message_start","message":{"id":"msg","model":"m","usage":{"input_tokens":3}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srv","name":"web_search","input":{}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"x\"}"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":"found"}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}"#,
            r#"{"type":"message_stop"}"#,
        ];
        let mut events = Vec::new();
        for (number, line) in lines.iter().enumerate() {
            events.extend(decoder.on_data(line, number + 1).unwrap());
        }
        assert!(decoder.is_done());
        let Some(ModelEvent::Completed { message }) = events.last() else {
            panic!("{events:?}");
        };
        assert_eq!(message.content, vec![ContentBlock::text("found")]);
        assert_eq!(message.usage, Some(Usage::new(3, 2)));
    }
}
