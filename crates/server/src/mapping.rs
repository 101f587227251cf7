//! Agent events → Cloud API session events (`cloud-api.md` §7.3–7.5).
//!
//! A pure state machine: feed it every [`AgentEvent`] of a turn in order and
//! it returns the session events to store, with their IDs already assigned
//! (an `agent.tool_result` names the ID of its `agent.tool_use`).

use std::collections::{BTreeSet, HashMap};

use ferrule_protocol::{AgentError, AgentEvent, ContentBlock, ToolResultContent, Usage};
use serde_json::{Value, json};

use crate::ids;
use crate::toolset::ToolPlan;

/// How a tool call of the model is handled by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    /// A built-in tool, with its `evaluated_permission`.
    Builtin(&'static str),
    /// A custom tool the client runs.
    Custom,
    /// A tool of an MCP server, with its `evaluated_permission`.
    Mcp(&'static str),
}

/// A tool call the mapper has announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// ID of the `agent.tool_use` / `agent.custom_tool_use` event.
    pub event_id: String,
    /// How it is handled.
    pub kind: CallKind,
}

/// Turns agent events into session events.
#[derive(Debug)]
pub struct EventMapper {
    plan: ToolPlan,
    incremental: bool,
    span_start: Option<String>,
    message_id: Option<String>,
    open_blocks: BTreeSet<usize>,
    usage: Option<Usage>,
    calls: HashMap<String, Announced>,
}

fn usage_json(usage: &Usage) -> Value {
    let mut out = json!({"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens});
    if let Some(n) = usage.cache_creation_input_tokens {
        out["cache_creation_input_tokens"] = json!(n);
    }
    if let Some(n) = usage.cache_read_input_tokens {
        out["cache_read_input_tokens"] = json!(n);
    }
    out
}

fn with_id(mut event: Value) -> Value {
    event["id"] = json!(ids::new_id("evt_"));
    event
}

/// The `session.error` event for an agent error.
pub fn error_event(error: &AgentError, retry_status: &str) -> Value {
    let kind = serde_json::to_value(error.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned());
    with_id(json!({
        "type": "session.error",
        "error": {
            "type": format!("{kind}_error"),
            "message": error.message,
            "retry_status": {"type": retry_status},
        },
    }))
}

impl EventMapper {
    /// A mapper for an agent with this tool plan.
    pub fn new(plan: ToolPlan, incremental: bool) -> Self {
        Self {
            plan,
            incremental,
            span_start: None,
            message_id: None,
            open_blocks: BTreeSet::new(),
            usage: None,
            calls: HashMap::new(),
        }
    }

    /// The announcement of a model tool call, by the model's call ID.
    pub fn call(&self, call_id: &str) -> Option<&Announced> {
        self.calls.get(call_id)
    }

    /// Takes over the calls of a response stored before the turn's runner
    /// went away (§15.6): each is named by the ID of the event that
    /// announced it, so nothing is announced again.
    pub fn adopt(&mut self, message: &ferrule_protocol::AssistantMessage) {
        for block in &message.content {
            if let ContentBlock::ToolUse(call) = block {
                let kind = match self.plan.mcp_tool(&call.name) {
                    Some(tool) => CallKind::Mcp(tool.policy.as_str()),
                    None => match self.plan.evaluate(&call.name) {
                        None => CallKind::Custom,
                        Some(policy) => CallKind::Builtin(policy.as_str()),
                    },
                };
                let event_id = call.id.clone();
                self.calls
                    .insert(call.id.clone(), Announced { event_id, kind });
            }
        }
    }

    /// Closes a model request left open by a failure
    /// (`span.model_request_end` with `is_error`).
    pub fn fail_open_request(&mut self) -> Vec<Value> {
        match self.span_start.take() {
            Some(start) => vec![with_id(json!({
                "type": "span.model_request_end",
                "model_request_start_id": start,
                "model_usage": {"input_tokens": 0, "output_tokens": 0},
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "is_error": true,
            }))],
            None => vec![],
        }
    }

    /// The session events for one agent event (subagent events are skipped).
    pub fn map(&mut self, event: &AgentEvent, parent_tool_use_id: Option<&str>) -> Vec<Value> {
        if parent_tool_use_id.is_some() {
            return vec![];
        }
        let mut out = Vec::new();
        match event {
            AgentEvent::MessageStarted { model, .. } => {
                let start = with_id(json!({"type": "span.model_request_start"}));
                self.span_start = start["id"].as_str().map(str::to_owned);
                self.usage = None;
                out.push(start);
                if self.incremental {
                    let message_id = ids::new_id("msg_");
                    out.push(with_id(json!({
                        "type": "agent.message_start",
                        "message_id": message_id,
                        "message": {"id": message_id, "type": "message", "role": "assistant",
                                    "model": model, "content": [], "stop_reason": null,
                                    "stop_sequence": null,
                                    "usage": {"input_tokens": 0, "output_tokens": 0}},
                    })));
                    self.message_id = Some(message_id);
                }
            }
            AgentEvent::TextDelta { index, text } => {
                self.delta(
                    &mut out,
                    *index,
                    json!({"type": "text", "text": ""}),
                    json!({"type": "text_delta", "text": text}),
                );
            }
            AgentEvent::ThinkingDelta { index, thinking } => {
                self.delta(
                    &mut out,
                    *index,
                    json!({"type": "thinking", "thinking": ""}),
                    json!({"type": "thinking_delta", "thinking": thinking}),
                );
            }
            AgentEvent::SignatureDelta { index, signature } => {
                self.delta(
                    &mut out,
                    *index,
                    json!({"type": "thinking", "thinking": ""}),
                    json!({"type": "signature_delta", "signature": signature}),
                );
            }
            AgentEvent::ToolCallStarted { index, id, name } => {
                if let Some(message_id) = self.message_id.clone() {
                    self.open_blocks.insert(*index);
                    out.push(with_id(json!({
                        "type": "agent.content_block_start", "message_id": message_id, "index": index,
                        "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}},
                    })));
                }
            }
            AgentEvent::ToolCallInputDelta {
                index,
                partial_json,
            } => {
                self.delta(
                    &mut out,
                    *index,
                    json!({"type": "tool_use", "input": {}}),
                    json!({"type": "input_json_delta", "partial_json": partial_json}),
                );
            }
            AgentEvent::BlockFinished { index } => {
                if let Some(message_id) = self.message_id.clone()
                    && self.open_blocks.remove(index)
                {
                    out.push(with_id(json!({"type": "agent.content_block_stop", "message_id": message_id, "index": index})));
                }
            }
            AgentEvent::Usage { usage } => self.usage = Some(usage.clone()),
            AgentEvent::MessageComplete { message } => {
                let usage = message
                    .usage
                    .clone()
                    .or_else(|| self.usage.clone())
                    .unwrap_or_default();
                if let Some(message_id) = self.message_id.take() {
                    for index in std::mem::take(&mut self.open_blocks) {
                        out.push(with_id(json!({"type": "agent.content_block_stop", "message_id": message_id, "index": index})));
                    }
                    let stop = message.stop_reason.clone().flatten();
                    out.push(with_id(json!({
                        "type": "agent.message_delta", "message_id": message_id,
                        "delta": {"stop_reason": stop, "stop_sequence": null, "container": null},
                        "usage": usage_json(&usage),
                    })));
                    out.push(with_id(
                        json!({"type": "agent.message_stop", "message_id": message_id}),
                    ));
                }
                let blocks = &message.content;
                if blocks.iter().any(|b| {
                    matches!(
                        b,
                        ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_)
                    )
                }) {
                    out.push(with_id(json!({"type": "agent.thinking"})));
                }
                let texts: Vec<Value> = blocks
                    .iter()
                    .filter_map(|b| match b {
                        ContentBlock::Text(t) if !t.text.is_empty() => {
                            Some(json!({"type": "text", "text": t.text}))
                        }
                        _ => None,
                    })
                    .collect();
                if !texts.is_empty() {
                    out.push(with_id(json!({"type": "agent.message", "content": texts})));
                }
                for block in blocks {
                    if let ContentBlock::ToolUse(call) = block {
                        if let Some(tool) = self.plan.mcp_tool(&call.name) {
                            let policy = tool.policy.as_str();
                            let event = with_id(json!({
                                "type": "agent.mcp_tool_use", "name": tool.tool, "input": call.input,
                                "mcp_server_name": tool.server, "evaluated_permission": policy,
                            }));
                            let event_id = event["id"].as_str().unwrap_or_default().to_owned();
                            let kind = CallKind::Mcp(policy);
                            self.calls
                                .insert(call.id.clone(), Announced { event_id, kind });
                            out.push(event);
                            continue;
                        }
                        let event = match self.plan.evaluate(&call.name) {
                            None => with_id(
                                json!({"type": "agent.custom_tool_use", "name": call.name, "input": call.input}),
                            ),
                            Some(policy) => with_id(json!({
                                "type": "agent.tool_use", "name": call.name, "input": call.input,
                                "evaluated_permission": policy.as_str(),
                            })),
                        };
                        let kind = match self.plan.evaluate(&call.name) {
                            None => CallKind::Custom,
                            Some(policy) => CallKind::Builtin(policy.as_str()),
                        };
                        let event_id = event["id"].as_str().unwrap_or_default().to_owned();
                        self.calls
                            .insert(call.id.clone(), Announced { event_id, kind });
                        out.push(event);
                    }
                }
                let start = self.span_start.take();
                out.push(with_id(json!({
                    "type": "span.model_request_end",
                    "model_request_start_id": start,
                    "model_usage": usage_json(&usage),
                    "usage": usage_json(&usage),
                })));
            }
            AgentEvent::ToolResult { result, .. } => {
                if let Some(announced) = self.calls.get(&result.tool_use_id)
                    && announced.kind != CallKind::Custom
                {
                    let content = match &result.content {
                        None => json!([]),
                        Some(ToolResultContent::Text(text)) => {
                            json!([{"type": "text", "text": text}])
                        }
                        Some(ToolResultContent::Blocks(blocks)) => {
                            serde_json::to_value(blocks).unwrap_or_else(|_| json!([]))
                        }
                    };
                    if matches!(announced.kind, CallKind::Mcp(_)) {
                        out.push(with_id(json!({
                            "type": "agent.mcp_tool_result",
                            "mcp_tool_use_id": announced.event_id,
                            "content": content,
                            "is_error": result.is_error.unwrap_or(false),
                        })));
                        return out;
                    }
                    out.push(with_id(json!({
                        "type": "agent.tool_result",
                        "tool_use_id": announced.event_id,
                        "content": content,
                        "is_error": result.is_error.unwrap_or(false),
                    })));
                }
            }
            AgentEvent::Retry { error, .. } => out.push(error_event(error, "retrying")),
            AgentEvent::Error { error } => {
                out.extend(self.fail_open_request());
                out.push(error_event(error, "exhausted"));
            }
            _ => {}
        }
        out
    }

    fn delta(&mut self, out: &mut Vec<Value>, index: usize, start: Value, delta: Value) {
        let Some(message_id) = self.message_id.clone() else {
            return;
        };
        if self.open_blocks.insert(index) {
            out.push(with_id(json!({"type": "agent.content_block_start", "message_id": message_id, "index": index, "content_block": start})));
        }
        out.push(with_id(json!({"type": "agent.content_block_delta", "message_id": message_id, "index": index, "delta": delta})));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolset;
    use ferrule_protocol::{AssistantMessage, ToolResultBlock, ToolUseBlock};

    fn message(content: Vec<ContentBlock>) -> AgentEvent {
        let value = json!({"model": "m", "content": content, "usage": {"input_tokens": 3, "output_tokens": 5}});
        AgentEvent::MessageComplete {
            message: serde_json::from_value::<AssistantMessage>(value).unwrap(),
        }
    }

    #[test]
    fn a_tool_round_maps_to_the_documented_flow() {
        let plan = toolset::plan(
            &json!([{"type": "agent_toolset_20260401"}, {"type": "custom", "name": "lookup", "description": "d", "input_schema": {"type": "object"}}]),
        );
        let mut mapper = EventMapper::new(plan, false);
        let mut all = Vec::new();
        all.extend(mapper.map(
            &AgentEvent::MessageStarted {
                message_id: "x".into(),
                model: "m".into(),
            },
            None,
        ));
        let call = ToolUseBlock {
            id: "call_1".into(),
            name: "Bash".into(),
            input: json!({"command": "ls"}),
        };
        let custom = ToolUseBlock {
            id: "call_2".into(),
            name: "lookup".into(),
            input: json!({}),
        };
        all.extend(mapper.map(
            &message(vec![
                ContentBlock::text("Running it."),
                ContentBlock::ToolUse(call),
                ContentBlock::ToolUse(custom),
            ]),
            None,
        ));
        let result = AgentEvent::ToolResult {
            result: ToolResultBlock::text("call_1", "file.txt"),
            structured: None,
            duration_ms: None,
        };
        all.extend(mapper.map(&result, None));
        let custom_result = AgentEvent::ToolResult {
            result: ToolResultBlock::text("call_2", "42"),
            structured: None,
            duration_ms: None,
        };
        all.extend(mapper.map(&custom_result, None));
        let types: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "span.model_request_start",
                "agent.message",
                "agent.tool_use",
                "agent.custom_tool_use",
                "span.model_request_end",
                "agent.tool_result"
            ]
        );
        assert_eq!(all[2]["evaluated_permission"], "allow");
        assert_eq!(all[5]["tool_use_id"], all[2]["id"]);
        assert_eq!(
            all[5]["content"],
            json!([{"type": "text", "text": "file.txt"}])
        );
        assert_eq!(all[4]["model_request_start_id"], all[0]["id"]);
        assert_eq!(all[4]["usage"]["output_tokens"], 5);
    }

    #[test]
    fn incremental_deltas_wrap_each_block() {
        let mut mapper = EventMapper::new(ToolPlan::default(), true);
        let mut all = Vec::new();
        all.extend(mapper.map(
            &AgentEvent::MessageStarted {
                message_id: "x".into(),
                model: "m".into(),
            },
            None,
        ));
        all.extend(mapper.map(
            &AgentEvent::TextDelta {
                index: 0,
                text: "He".into(),
            },
            None,
        ));
        all.extend(mapper.map(
            &AgentEvent::TextDelta {
                index: 0,
                text: "llo".into(),
            },
            None,
        ));
        all.extend(mapper.map(&AgentEvent::BlockFinished { index: 0 }, None));
        all.extend(mapper.map(&message(vec![ContentBlock::text("Hello")]), None));
        let types: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "span.model_request_start",
                "agent.message_start",
                "agent.content_block_start",
                "agent.content_block_delta",
                "agent.content_block_delta",
                "agent.content_block_stop",
                "agent.message_delta",
                "agent.message_stop",
                "agent.message",
                "span.model_request_end"
            ]
        );
        let joined: String = all
            .iter()
            .filter_map(|e| e["delta"]["text"].as_str())
            .collect();
        assert_eq!(joined, "Hello");
    }

    #[test]
    fn subagent_events_are_skipped() {
        let mut mapper = EventMapper::new(ToolPlan::default(), false);
        assert!(
            mapper
                .map(
                    &AgentEvent::MessageStarted {
                        message_id: "x".into(),
                        model: "m".into()
                    },
                    Some("call_9")
                )
                .is_empty()
        );
    }
}
