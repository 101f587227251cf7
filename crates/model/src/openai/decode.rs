//! Chat Completions stream chunks → [`ModelEvent`]s.
//!
//! Each SSE `data:` line is a `chat.completion.chunk` object; the stream ends
//! with `data: [DONE]`. Only `choices[0]` is read (we never ask for `n > 1`).
//!
//! Local servers differ from OpenAI in small ways, all accepted here:
//! - no `usage` at all, or usage only in the last chunk (llama.cpp, Ollama);
//! - tool calls without `id` (then one is made up: `call_<n>`), or the same
//!   `id` repeated in every argument chunk (vLLM), or a whole call in one
//!   chunk without `index` (Ollama);
//! - `finish_reason: "stop"` after tool calls (Ollama), read as `tool_use`;
//! - reasoning text in `delta.reasoning_content` (vLLM, DeepSeek, llama.cpp)
//!   or `delta.reasoning` (Ollama, OpenRouter), surfaced as thinking;
//! - no `[DONE]` after the finish chunk.

use ferrule_protocol::{StopReason, ToolUseBlock, Usage};
use serde_json::Value;

use crate::arguments::{parse_tool_arguments as parse_arguments, shorten};
use crate::assemble::ResponseAssembler;
use crate::error::ModelError;
use crate::event::ModelEvent;
use crate::sse::SseEvent;
use crate::transport::{Decoder, Flow};

/// Decoder state of one streamed response.
#[derive(Debug)]
pub struct ChatStreamDecoder {
    url: String,
    model: String,
    started: bool,
    next_block: usize,
    /// The open text or thinking block: (block index, is thinking).
    open_text: Option<(usize, bool)>,
    calls: Vec<ToolCallState>,
    finish: Option<String>,
    usage: Option<Usage>,
    assembler: ResponseAssembler,
    done: bool,
}

#[derive(Debug)]
struct ToolCallState {
    /// `index` the server gave the call, when it gave one.
    wire_index: Option<u64>,
    block: usize,
    id: String,
    name: String,
    arguments: String,
    /// Whether `ToolCallStart` was emitted (it waits for the name).
    started: bool,
}

impl ChatStreamDecoder {
    /// A decoder for a response of `model` from `url` (both used in errors
    /// and as defaults when chunks leave them out).
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        let model = model.into();
        Self {
            url: url.into(),
            assembler: ResponseAssembler::new(model.clone()),
            model,
            started: false,
            next_block: 0,
            open_text: None,
            calls: Vec::new(),
            finish: None,
            usage: None,
            done: false,
        }
    }

    /// Reads one `data:` payload (`line` is its line in the body, for
    /// errors) and returns the events it completes.
    pub fn on_data(&mut self, data: &str, line: usize) -> Result<Vec<ModelEvent>, ModelError> {
        let mut out = Vec::new();
        self.on_data_into(data, line, &mut out)?;
        Ok(out)
    }

    /// Whether the response is complete ([`ModelEvent::Completed`] was
    /// returned); later data is ignored.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The body ended: completes the response if a finish reason was seen,
    /// else reports the cut-off stream.
    pub fn end(&mut self) -> Result<Vec<ModelEvent>, ModelError> {
        let mut out = Vec::new();
        Decoder::on_end(self, &mut out)?;
        Ok(out)
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
        let data = data.trim();
        if data == "[DONE]" {
            self.complete(out, line)?;
            return Ok(Flow::Done);
        }
        if data.is_empty() {
            return Ok(Flow::More);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|error| {
            self.bad(format!(
                "line {line}: data is not JSON ({error}): `{}`",
                shorten(data)
            ))
        })?;
        if let Some(error) = chunk.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_owned);
            let kind = error
                .get("type")
                .or_else(|| error.get("code"))
                .and_then(Value::as_str)
                .unwrap_or("error")
                .to_owned();
            return Err(ModelError::Provider {
                provider: "openai",
                url: self.url.clone(),
                kind,
                message,
            });
        }
        if !chunk.is_object() {
            return Err(self.bad(format!(
                "line {line}: chunk is not a JSON object: `{}`",
                shorten(data)
            )));
        }
        self.start(&chunk, out);
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(map_usage(usage));
        }
        let choice = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.first());
        let Some(choice) = choice else {
            return Ok(Flow::More);
        };
        if let Some(delta) = choice.get("delta").filter(|delta| delta.is_object()) {
            self.on_delta(delta, line, out)?;
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish = Some(reason.to_owned());
        }
        Ok(Flow::More)
    }

    fn start(&mut self, chunk: &Value, out: &mut Vec<ModelEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        let id = chunk
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let model = chunk
            .get("model")
            .and_then(Value::as_str)
            .filter(|model| !model.is_empty())
            .unwrap_or(&self.model)
            .to_owned();
        self.emit(out, ModelEvent::MessageStart { id, model });
    }

    fn on_delta(
        &mut self,
        delta: &Value,
        line: usize,
        out: &mut Vec<ModelEvent>,
    ) -> Result<(), ModelError> {
        for key in ["reasoning_content", "reasoning"] {
            if let Some(text) = delta.get(key).and_then(Value::as_str) {
                if !text.is_empty() {
                    let index = self.text_block(true, out);
                    self.emit(
                        out,
                        ModelEvent::ThinkingDelta {
                            index,
                            thinking: text.to_owned(),
                        },
                    );
                }
                break;
            }
        }
        if let Some(text) = delta.get("content").and_then(Value::as_str)
            && !text.is_empty()
        {
            let index = self.text_block(false, out);
            self.emit(
                out,
                ModelEvent::TextDelta {
                    index,
                    text: text.to_owned(),
                },
            );
        }
        match delta.get("tool_calls") {
            None | Some(Value::Null) => {}
            Some(Value::Array(calls)) => {
                for call in calls {
                    self.on_tool_call(call, line, out)?;
                }
            }
            Some(other) => {
                return Err(self.bad(format!(
                    "line {line}: `tool_calls` is not a list: `{}`",
                    shorten(&other.to_string())
                )));
            }
        }
        Ok(())
    }

    /// The index of the open text (or thinking) block, opening one if needed.
    fn text_block(&mut self, thinking: bool, out: &mut Vec<ModelEvent>) -> usize {
        if let Some((index, open_thinking)) = self.open_text {
            if open_thinking == thinking {
                return index;
            }
            self.emit(out, ModelEvent::BlockStop { index });
        }
        let index = self.next_block;
        self.next_block += 1;
        self.open_text = Some((index, thinking));
        index
    }

    fn on_tool_call(
        &mut self,
        call: &Value,
        line: usize,
        out: &mut Vec<ModelEvent>,
    ) -> Result<(), ModelError> {
        if !call.is_object() {
            return Err(self.bad(format!(
                "line {line}: tool call is not an object: `{}`",
                shorten(&call.to_string())
            )));
        }
        let wire_index = call.get("index").and_then(Value::as_u64);
        let id = call
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        let function = call.get("function");
        let name = function
            .and_then(|function| function.get("name"))
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty());
        let arguments = match function.and_then(|function| function.get("arguments")) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            // Some servers send the arguments as an object, not a string.
            Some(other) => other.to_string(),
        };

        let position = self.find_call(wire_index, id, name);
        let position = match position {
            Some(position) => position,
            None => {
                if let Some((index, _)) = self.open_text.take() {
                    self.emit(out, ModelEvent::BlockStop { index });
                }
                let block = self.next_block;
                self.next_block += 1;
                let number = self.calls.len() + 1;
                self.calls.push(ToolCallState {
                    wire_index,
                    block,
                    id: id.map_or_else(|| format!("call_{number}"), str::to_owned),
                    name: String::new(),
                    arguments: String::new(),
                    started: false,
                });
                self.calls.len() - 1
            }
        };
        let state = &mut self.calls[position];
        if state.name.is_empty()
            && let Some(name) = name
        {
            state.name = name.to_owned();
        }
        let mut events = Vec::new();
        if !state.started && !state.name.is_empty() {
            state.started = true;
            events.push(ModelEvent::ToolCallStart {
                index: state.block,
                id: state.id.clone(),
                name: state.name.clone(),
            });
            if !state.arguments.is_empty() {
                events.push(ModelEvent::ToolCallDelta {
                    index: state.block,
                    partial_json: state.arguments.clone(),
                });
            }
        }
        if !arguments.is_empty() {
            state.arguments.push_str(&arguments);
            if state.started {
                events.push(ModelEvent::ToolCallDelta {
                    index: state.block,
                    partial_json: arguments,
                });
            }
        }
        for event in events {
            self.emit(out, event);
        }
        Ok(())
    }

    /// Which known call a tool-call chunk continues, if any.
    fn find_call(
        &self,
        wire_index: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Option<usize> {
        if let Some(wire_index) = wire_index {
            let position = self
                .calls
                .iter()
                .rposition(|call| call.wire_index == Some(wire_index))?;
            let call = &self.calls[position];
            // The same index with another id and a name is a new call
            // (servers that number every call 0).
            let is_new = matches!((id, name), (Some(id), Some(_)) if id != call.id);
            return (!is_new).then_some(position);
        }
        match id {
            Some(id) => self.calls.iter().position(|call| call.id == id),
            // No index and no id: a continuation of the last call, unless
            // it names a tool, which starts a new one.
            None if name.is_none() => self.calls.len().checked_sub(1),
            None => None,
        }
    }

    fn complete(&mut self, out: &mut Vec<ModelEvent>, line: usize) -> Result<(), ModelError> {
        if self.done {
            return Ok(());
        }
        let Some(finish) = self.finish.take() else {
            return Err(self.bad(format!(
                "the stream ended (line {line}) before any choice had a `finish_reason`"
            )));
        };
        if !self.started {
            self.started = true;
            let model = self.model.clone();
            self.emit(
                out,
                ModelEvent::MessageStart {
                    id: String::new(),
                    model,
                },
            );
        }
        if let Some((index, _)) = self.open_text.take() {
            self.emit(out, ModelEvent::BlockStop { index });
        }
        let calls = std::mem::take(&mut self.calls);
        for call in calls {
            self.finish_call(call, out);
        }
        if let Some(usage) = self.usage.take() {
            self.emit(out, ModelEvent::Usage { usage });
        }
        let has_calls = self.assembler.has_tool_calls();
        let reason = match finish.as_str() {
            "tool_calls" | "function_call" => StopReason::ToolUse,
            "stop" | "eos" | "end_turn" if has_calls => StopReason::ToolUse,
            "stop" | "eos" | "end_turn" => StopReason::EndTurn,
            "length" => StopReason::MaxTokens,
            "content_filter" => StopReason::Refusal,
            other => StopReason::Other(other.to_owned()),
        };
        self.emit(out, ModelEvent::Stop { reason });
        let assembler = std::mem::take(&mut self.assembler);
        out.push(ModelEvent::Completed {
            message: Box::new(assembler.finish()),
        });
        self.done = true;
        Ok(())
    }

    fn finish_call(&mut self, call: ToolCallState, out: &mut Vec<ModelEvent>) {
        let ToolCallState {
            block,
            id,
            mut name,
            arguments,
            started,
            ..
        } = call;
        if !started {
            // A call whose name never came: still report it, so the agent
            // can answer it with an error instead of losing the id.
            if name.is_empty() {
                name = "unknown".to_owned();
            }
            self.emit(
                out,
                ModelEvent::ToolCallStart {
                    index: block,
                    id: id.clone(),
                    name: name.clone(),
                },
            );
            if !arguments.is_empty() {
                self.emit(
                    out,
                    ModelEvent::ToolCallDelta {
                        index: block,
                        partial_json: arguments.clone(),
                    },
                );
            }
        }
        let event = match parse_arguments(&arguments) {
            Ok(input) => ModelEvent::ToolCallEnd {
                index: block,
                call: ToolUseBlock { id, name, input },
            },
            Err(error) => ModelEvent::ToolCallInvalid {
                index: block,
                id,
                name,
                arguments,
                error,
            },
        };
        self.emit(out, event);
        self.emit(out, ModelEvent::BlockStop { index: block });
    }

    fn emit(&mut self, out: &mut Vec<ModelEvent>, event: ModelEvent) {
        self.assembler.apply(&event);
        out.push(event);
    }

    fn bad(&self, message: String) -> ModelError {
        ModelError::Stream {
            provider: "openai",
            url: self.url.clone(),
            message,
        }
    }
}

impl Decoder for ChatStreamDecoder {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<Flow, ModelError> {
        self.on_data_into(&event.data, event.line, out)
    }

    fn on_end(&mut self, out: &mut Vec<ModelEvent>) -> Result<(), ModelError> {
        // No `[DONE]`: fine once a finish reason was seen (some local
        // servers stop there); otherwise the response was cut off.
        self.complete(out, 0).map_err(|_| {
            self.bad(
                "the stream ended before the response finished (no `finish_reason`, no `[DONE]`)"
                    .to_owned(),
            )
        })
    }
}

fn map_usage(usage: &Value) -> Usage {
    let count = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64);
    let mut mapped = Usage::new(
        count("/prompt_tokens").unwrap_or(0),
        count("/completion_tokens").unwrap_or(0),
    );
    mapped.cache_read_input_tokens = count("/prompt_tokens_details/cached_tokens");
    mapped
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
