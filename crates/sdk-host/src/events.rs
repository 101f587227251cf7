//! Agent events to stream-json lines (`sdk-protocol.md` §3.2–§3.7).
//!
//! [`EventLines`] is pure: it turns each [`AgentEvent`] into the lines an
//! SDK reads, keeping the little state partial messages need (which blocks
//! of the running response have started, its usage). `TurnFinished` gives
//! no line here: the host writes the turn's `result` itself, once, from the
//! run's return value.

use std::collections::{BTreeSet, HashMap};

use ferrule_protocol::sdk::{
    ApiRetryMessage, AssistantError, AssistantStreamMessage, CompactBoundaryMessage,
    CompactMetadata, ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent,
    ContentDelta, DeltaUsage, EmptyEvent, HookResponseMessage, HookStartedMessage, InputJsonDelta,
    MessageDelta, MessageDeltaEvent, MessageStartEvent, PermissionDeniedMessage, SignatureDelta,
    StreamEvent, StreamEventMessage, StreamMessage, SystemMessage, TextDelta, ThinkingDelta,
    UserStreamMessage,
};
use ferrule_protocol::{
    AgentError, AgentErrorKind, AgentEvent, AssistantMessage, ContentBlock, Message,
    MessageContent, Role, ThinkingBlock, ToolUseBlock, Usage,
};
use serde_json::{Map, Value};

/// Where an event came from: the ids every line carries.
#[derive(Debug, Clone, Copy)]
pub struct EventIds<'a> {
    /// The session id.
    pub session_id: &'a str,
    /// Fresh id of the event (the transcript entry's uuid for messages).
    pub uuid: &'a str,
    /// Id of the `Agent` tool call a subagent runs under; `None` on the main thread.
    pub parent_tool_use_id: Option<&'a str>,
}

/// Turns agent events into stream-json lines.
#[derive(Debug, Default)]
pub struct EventLines {
    /// Emit `stream_event` lines (`--include-partial-messages`).
    partial: bool,
    /// Emit `hook_started` / `hook_response` lines (`--include-hook-events`).
    hook_events: bool,
    /// Per thread (main or a subagent's parent tool call): the running response.
    responses: HashMap<Option<String>, Response>,
}

#[derive(Debug, Default)]
struct Response {
    started: BTreeSet<usize>,
    usage: Option<Usage>,
}

impl EventLines {
    /// A converter; `partial` adds `stream_event` lines.
    pub fn new(partial: bool) -> Self {
        Self {
            partial,
            hook_events: false,
            responses: HashMap::new(),
        }
    }

    /// The same converter, emitting `system` `hook_started` and
    /// `hook_response` lines when `on` (`--include-hook-events`).
    #[must_use]
    pub fn with_hook_events(mut self, on: bool) -> Self {
        self.hook_events = on;
        self
    }

    /// The lines for one event, in order (often none).
    pub fn lines(&mut self, event: &AgentEvent, ids: EventIds<'_>) -> Vec<StreamMessage> {
        let thread = ids.parent_tool_use_id.map(str::to_owned);
        match event {
            AgentEvent::MessageStarted { message_id, model } => {
                self.responses.insert(thread, Response::default());
                let mut skeleton = AssistantMessage::new(model.clone(), Vec::new());
                skeleton.id = Some(message_id.clone());
                self.partial_line(
                    ids,
                    StreamEvent::MessageStart(MessageStartEvent {
                        message: skeleton,
                        extra: Map::new(),
                    }),
                )
            }
            AgentEvent::TextDelta { index, text } => {
                let mut lines = self.block_start(ids, *index, || ContentBlock::text(String::new()));
                lines.extend(self.delta(
                    ids,
                    *index,
                    ContentDelta::TextDelta(TextDelta { text: text.clone() }),
                ));
                lines
            }
            AgentEvent::ThinkingDelta { index, thinking } => {
                let mut lines = self.block_start(ids, *index, empty_thinking);
                lines.extend(self.delta(
                    ids,
                    *index,
                    ContentDelta::ThinkingDelta(ThinkingDelta {
                        thinking: thinking.clone(),
                    }),
                ));
                lines
            }
            AgentEvent::SignatureDelta { index, signature } => {
                let mut lines = self.block_start(ids, *index, empty_thinking);
                lines.extend(self.delta(
                    ids,
                    *index,
                    ContentDelta::SignatureDelta(SignatureDelta {
                        signature: signature.clone(),
                    }),
                ));
                lines
            }
            AgentEvent::ToolCallStarted { index, id, name } => {
                self.block_start(ids, *index, || {
                    ContentBlock::ToolUse(ToolUseBlock {
                        id: id.clone(),
                        name: name.clone(),
                        input: Value::Object(Map::new()),
                    })
                })
            }
            AgentEvent::ToolCallInputDelta {
                index,
                partial_json,
            } => self.delta(
                ids,
                *index,
                ContentDelta::InputJsonDelta(InputJsonDelta {
                    partial_json: partial_json.clone(),
                }),
            ),
            AgentEvent::ToolCallFinished { .. } => Vec::new(),
            AgentEvent::BlockFinished { index } => self.partial_line(
                ids,
                StreamEvent::ContentBlockStop(ContentBlockStopEvent {
                    index: *index,
                    extra: Map::new(),
                }),
            ),
            AgentEvent::Usage { usage } => {
                self.responses.entry(thread).or_default().usage = Some(usage.clone());
                Vec::new()
            }
            AgentEvent::MessageComplete { message } => {
                let response = self.responses.remove(&thread).unwrap_or_default();
                let mut lines = Vec::new();
                if self.partial {
                    let usage = message.usage.clone().or(response.usage);
                    lines.extend(self.partial_line(
                        ids,
                        StreamEvent::MessageDelta(MessageDeltaEvent {
                            delta: MessageDelta {
                                stop_reason: Some(message.stop_reason().cloned()),
                                stop_sequence: Some(None),
                            },
                            usage: usage.map(|u| delta_usage(&u)),
                            extra: Map::new(),
                        }),
                    ));
                    lines.extend(
                        self.partial_line(ids, StreamEvent::MessageStop(EmptyEvent::default())),
                    );
                }
                let mut line =
                    AssistantStreamMessage::new(message.clone(), ids.session_id, ids.uuid);
                line.parent_tool_use_id = thread;
                lines.push(StreamMessage::Assistant(line));
                lines
            }
            AgentEvent::PermissionDenied { denial } => {
                vec![StreamMessage::System(SystemMessage::PermissionDenied(
                    PermissionDeniedMessage {
                        tool_name: denial.tool_name.clone(),
                        tool_use_id: denial.tool_use_id.clone(),
                        message: denial.message.clone().unwrap_or_else(|| {
                            format!("Permission to use {} was denied", denial.tool_name)
                        }),
                        agent_id: None,
                        decision_reason_type: denial.decision_reason_type.clone(),
                        decision_reason: denial.decision_reason.clone(),
                        uuid: ids.uuid.to_owned(),
                        session_id: ids.session_id.to_owned(),
                        extra: Map::new(),
                    },
                ))]
            }
            AgentEvent::ToolResult {
                result, structured, ..
            } => {
                let mut line = UserStreamMessage::new(Message {
                    role: Role::User,
                    content: MessageContent::Blocks(vec![ContentBlock::ToolResult(result.clone())]),
                });
                line.parent_tool_use_id = thread;
                line.session_id = Some(ids.session_id.to_owned());
                line.uuid = Some(ids.uuid.to_owned());
                line.tool_use_result = structured.clone();
                vec![StreamMessage::User(line)]
            }
            AgentEvent::Retry {
                attempt,
                max_retries,
                delay_ms,
                error,
            } => vec![StreamMessage::System(SystemMessage::ApiRetry(
                ApiRetryMessage {
                    attempt: *attempt,
                    max_retries: *max_retries,
                    retry_delay_ms: *delay_ms,
                    error_status: error.status,
                    error: assistant_error(error.kind),
                    uuid: Some(ids.uuid.to_owned()),
                    session_id: Some(ids.session_id.to_owned()),
                    extra: Map::new(),
                },
            ))],
            AgentEvent::Error { error } => self.error_lines(error, ids),
            AgentEvent::Compacted {
                trigger,
                pre_tokens,
                ..
            } => vec![StreamMessage::System(SystemMessage::CompactBoundary(
                CompactBoundaryMessage {
                    compact_metadata: CompactMetadata {
                        trigger: trigger.clone(),
                        pre_tokens: *pre_tokens,
                        preserved_segment: None,
                    },
                    uuid: Some(ids.uuid.to_owned()),
                    session_id: Some(ids.session_id.to_owned()),
                    extra: Map::new(),
                },
            ))],
            AgentEvent::HookStarted {
                hook_id,
                hook_name,
                hook_event,
                ..
            } if self.hook_events => vec![StreamMessage::System(SystemMessage::HookStarted(
                HookStartedMessage {
                    hook_id: hook_id.clone(),
                    hook_name: hook_name.clone(),
                    hook_event: hook_event.clone(),
                    uuid: Some(ids.uuid.to_owned()),
                    session_id: Some(ids.session_id.to_owned()),
                    extra: Map::new(),
                },
            ))],
            AgentEvent::HookResponse {
                hook_id,
                hook_name,
                hook_event,
                stdout,
                stderr,
                exit_code,
                outcome,
                ..
            } if self.hook_events => vec![StreamMessage::System(SystemMessage::HookResponse(
                HookResponseMessage {
                    hook_id: hook_id.clone(),
                    hook_name: hook_name.clone(),
                    hook_event: hook_event.clone(),
                    output: format!("{stdout}{stderr}"),
                    stdout: stdout.clone(),
                    stderr: stderr.clone(),
                    exit_code: *exit_code,
                    outcome: outcome.clone(),
                    uuid: Some(ids.uuid.to_owned()),
                    session_id: Some(ids.session_id.to_owned()),
                    extra: Map::new(),
                },
            ))],
            AgentEvent::TurnStarted { .. }
            | AgentEvent::CompactionStarted { .. }
            | AgentEvent::TurnFinished { .. } => Vec::new(),
            _ => Vec::new(),
        }
    }

    /// A provider failure becomes an `assistant` line with `error` set
    /// (§1.3: `authentication_failed` makes the SDK fire `on_auth_expired`);
    /// other failures are reported by the turn's error `result` alone.
    fn error_lines(&mut self, error: &AgentError, ids: EventIds<'_>) -> Vec<StreamMessage> {
        let kind = match error.kind {
            AgentErrorKind::Authentication
            | AgentErrorKind::Billing
            | AgentErrorKind::RateLimit
            | AgentErrorKind::InvalidRequest
            | AgentErrorKind::Server
            | AgentErrorKind::MaxOutputTokens => assistant_error(error.kind),
            AgentErrorKind::Tool
            | AgentErrorKind::Hook
            | AgentErrorKind::Interrupted
            | AgentErrorKind::Other => return Vec::new(),
            _ => return Vec::new(),
        };
        let message = AssistantMessage::new(
            "<synthetic>",
            vec![ContentBlock::text(error.message.clone())],
        );
        let mut line = AssistantStreamMessage::new(message, ids.session_id, ids.uuid);
        line.parent_tool_use_id = ids.parent_tool_use_id.map(str::to_owned);
        line.error = Some(kind);
        line.is_api_error_message = Some(true);
        vec![StreamMessage::Assistant(line)]
    }

    fn block_start(
        &mut self,
        ids: EventIds<'_>,
        index: usize,
        block: impl FnOnce() -> ContentBlock,
    ) -> Vec<StreamMessage> {
        let thread = ids.parent_tool_use_id.map(str::to_owned);
        if !self
            .responses
            .entry(thread)
            .or_default()
            .started
            .insert(index)
        {
            return Vec::new();
        }
        self.partial_line(
            ids,
            StreamEvent::ContentBlockStart(ContentBlockStartEvent {
                index,
                content_block: block(),
                extra: Map::new(),
            }),
        )
    }

    fn delta(&self, ids: EventIds<'_>, index: usize, delta: ContentDelta) -> Vec<StreamMessage> {
        self.partial_line(
            ids,
            StreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
                index,
                delta,
                extra: Map::new(),
            }),
        )
    }

    fn partial_line(&self, ids: EventIds<'_>, event: StreamEvent) -> Vec<StreamMessage> {
        if !self.partial {
            return Vec::new();
        }
        vec![StreamMessage::StreamEvent(StreamEventMessage {
            event,
            parent_tool_use_id: ids.parent_tool_use_id.map(str::to_owned),
            uuid: uuid::Uuid::new_v4().to_string(),
            session_id: ids.session_id.to_owned(),
            extra: Map::new(),
        })]
    }
}

fn empty_thinking() -> ContentBlock {
    ContentBlock::Thinking(ThinkingBlock {
        thinking: String::new(),
        signature: String::new(),
    })
}

fn delta_usage(usage: &Usage) -> DeltaUsage {
    DeltaUsage {
        input_tokens: Some(usage.input_tokens),
        output_tokens: Some(usage.output_tokens),
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        extra: Map::new(),
    }
}

/// The `assistant.error` value of a failure kind.
pub fn assistant_error(kind: AgentErrorKind) -> AssistantError {
    match kind {
        AgentErrorKind::Authentication => AssistantError::AuthenticationFailed,
        AgentErrorKind::Billing => AssistantError::BillingError,
        AgentErrorKind::RateLimit => AssistantError::RateLimit,
        AgentErrorKind::InvalidRequest => AssistantError::InvalidRequest,
        AgentErrorKind::Server => AssistantError::ServerError,
        AgentErrorKind::MaxOutputTokens => AssistantError::MaxOutputTokens,
        AgentErrorKind::Tool
        | AgentErrorKind::Hook
        | AgentErrorKind::Interrupted
        | AgentErrorKind::Other => AssistantError::Unknown,
        _ => AssistantError::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::ToolResultBlock;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn ids() -> EventIds<'static> {
        EventIds {
            session_id: "s",
            uuid: "u",
            parent_tool_use_id: None,
        }
    }

    fn kinds(lines: &[StreamMessage]) -> Vec<String> {
        lines
            .iter()
            .map(|line| {
                let value = serde_json::to_value(line).unwrap();
                match value["type"].as_str().unwrap() {
                    "stream_event" => value["event"]["type"].as_str().unwrap().to_owned(),
                    other => other.to_owned(),
                }
            })
            .collect()
    }

    #[test]
    fn a_compaction_becomes_a_compact_boundary_line() {
        let mut lines = EventLines::new(false);
        let out = lines.lines(
            &AgentEvent::Compacted {
                trigger: ferrule_protocol::sdk::CompactTrigger::Manual,
                pre_tokens: 1234,
                post_tokens: Some(100),
            },
            ids(),
        );
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!([{
                "type": "system",
                "subtype": "compact_boundary",
                "compact_metadata": {"trigger": "manual", "pre_tokens": 1234},
                "uuid": "u",
                "session_id": "s"
            }])
        );
    }

    #[test]
    fn a_streamed_response_becomes_anthropic_events_then_the_assistant_line() {
        let mut lines = EventLines::new(true);
        let mut out = Vec::new();
        for event in [
            AgentEvent::MessageStarted {
                message_id: "m1".into(),
                model: "fake".into(),
            },
            AgentEvent::TextDelta {
                index: 0,
                text: "he".into(),
            },
            AgentEvent::TextDelta {
                index: 0,
                text: "llo".into(),
            },
            AgentEvent::BlockFinished { index: 0 },
            AgentEvent::MessageComplete {
                message: AssistantMessage::new("fake", vec![ContentBlock::text("hello")]),
            },
        ] {
            out.extend(lines.lines(&event, ids()));
        }
        assert_eq!(
            kinds(&out),
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
                "assistant"
            ]
        );
        let mut plain = EventLines::new(false);
        let only = plain.lines(
            &AgentEvent::TextDelta {
                index: 0,
                text: "x".into(),
            },
            ids(),
        );
        assert!(only.is_empty());
    }

    #[test]
    fn tool_results_are_user_lines_with_the_structured_output() {
        let mut lines = EventLines::new(false);
        let out = lines.lines(
            &AgentEvent::ToolResult {
                result: ToolResultBlock::text("c1", "ok"),
                structured: Some(json!({"n": 1})),
                duration_ms: None,
            },
            EventIds {
                parent_tool_use_id: Some("agent_1"),
                ..ids()
            },
        );
        let value = serde_json::to_value(&out[0]).unwrap();
        assert_eq!(value["type"], "user");
        assert_eq!(value["parent_tool_use_id"], "agent_1");
        assert_eq!(value["message"]["content"][0]["tool_use_id"], "c1");
        assert_eq!(value["tool_use_result"], json!({"n": 1}));
    }

    #[test]
    fn provider_failures_become_assistant_error_lines() {
        let mut lines = EventLines::new(false);
        let out = lines.lines(
            &AgentEvent::Error {
                error: AgentError {
                    kind: AgentErrorKind::Authentication,
                    message: "HTTP 401: bad key".into(),
                    status: Some(401),
                },
            },
            ids(),
        );
        let value = serde_json::to_value(&out[0]).unwrap();
        assert_eq!(value["error"], "authentication_failed");
        let tool_failure = lines.lines(
            &AgentEvent::Error {
                error: AgentError {
                    kind: AgentErrorKind::Tool,
                    message: "x".into(),
                    status: None,
                },
            },
            ids(),
        );
        assert!(tool_failure.is_empty());
    }
}
