//! One model request: forward its events, assemble the answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferrule_model::{Model, ModelError, ModelEvent, ModelRequest, ResponseAssembler};
use ferrule_protocol::{
    AgentError, AgentErrorKind, AgentEvent, AssistantMessage, ContentBlock, ToolUseBlock,
};
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::events::Emitter;

/// How a model request ended.
pub(crate) enum StreamEnd {
    /// The whole answer.
    Complete {
        message: AssistantMessage,
        /// Calls whose arguments were not a JSON object, by call id, with
        /// the error the model reads.
        invalid: BTreeMap<String, String>,
    },
    /// Interrupted; the text streamed so far, if any.
    Interrupted { partial: Option<AssistantMessage> },
    /// The request failed (after the provider's retries).
    Failed { error: ModelError },
}

/// Streams one request, forwarding every event to `emitter`.
/// `MessageComplete` is left to the caller (it carries the transcript uuid).
pub(crate) async fn stream_once(
    model: &dyn Model,
    request: ModelRequest,
    emitter: Emitter<'_>,
    cancel: &CancellationToken,
) -> (StreamEnd, Duration) {
    let started = Instant::now();
    let mut stream = model.stream(request, cancel.clone());
    let mut assembler = ResponseAssembler::new(model.name());
    let mut invalid = BTreeMap::new();
    let end = loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => break interrupted(assembler),
            next = stream.next() => next,
        };
        let event = match next {
            Some(Ok(event)) => event,
            Some(Err(ModelError::Cancelled)) => break interrupted(assembler),
            Some(Err(error)) => {
                if cancel.is_cancelled() {
                    break interrupted(assembler);
                }
                break StreamEnd::Failed { error };
            }
            None => {
                // A stream that ends without `Completed` still has its
                // deltas; take what the assembler has.
                let message = assembler.finish();
                break StreamEnd::Complete { message, invalid };
            }
        };
        assembler.apply(&event);
        match event {
            ModelEvent::Completed { message } => {
                break StreamEnd::Complete {
                    message: *message,
                    invalid,
                };
            }
            ModelEvent::ToolCallInvalid {
                index,
                id,
                name,
                arguments,
                error,
            } => {
                tracing::debug!(call_id = %id, tool_name = %name, %arguments, "invalid tool arguments");
                invalid.insert(id.clone(), error);
                emitter.emit(AgentEvent::ToolCallFinished {
                    index,
                    call: ToolUseBlock {
                        id,
                        name,
                        input: Value::Object(Map::new()),
                    },
                });
            }
            other => {
                if let Some(forwarded) = forward(other) {
                    emitter.emit(forwarded);
                }
            }
        }
    };
    drop(stream);
    (end, started.elapsed())
}

/// The agent event for a model event, when there is one.
fn forward(event: ModelEvent) -> Option<AgentEvent> {
    Some(match event {
        ModelEvent::Retry {
            attempt,
            max_retries,
            delay_ms,
            error,
            status,
        } => AgentEvent::Retry {
            attempt,
            max_retries,
            delay_ms,
            error: AgentError {
                kind: match status {
                    Some(401 | 403) => AgentErrorKind::Authentication,
                    Some(429) => AgentErrorKind::RateLimit,
                    _ => AgentErrorKind::Server,
                },
                message: error,
                status,
            },
        },
        ModelEvent::MessageStart { id, model } => AgentEvent::MessageStarted {
            message_id: id,
            model,
        },
        ModelEvent::TextDelta { index, text } => AgentEvent::TextDelta { index, text },
        ModelEvent::ThinkingDelta { index, thinking } => {
            AgentEvent::ThinkingDelta { index, thinking }
        }
        ModelEvent::SignatureDelta { index, signature } => {
            AgentEvent::SignatureDelta { index, signature }
        }
        ModelEvent::ToolCallStart { index, id, name } => {
            AgentEvent::ToolCallStarted { index, id, name }
        }
        ModelEvent::ToolCallDelta {
            index,
            partial_json,
        } => AgentEvent::ToolCallInputDelta {
            index,
            partial_json,
        },
        ModelEvent::ToolCallEnd { index, call } => AgentEvent::ToolCallFinished { index, call },
        ModelEvent::BlockStop { index } => AgentEvent::BlockFinished { index },
        ModelEvent::Usage { usage } => AgentEvent::Usage { usage },
        // The redacted block arrives whole and shows in the completed
        // message; stop reasons travel in the message too.
        ModelEvent::RedactedThinking { .. }
        | ModelEvent::Stop { .. }
        | ModelEvent::Completed { .. }
        | ModelEvent::ToolCallInvalid { .. } => return None,
        other => {
            tracing::debug!(?other, "model event without an agent event");
            return None;
        }
    })
}

/// The partial answer of an interrupted request: its text only (unfinished
/// tool calls and unsigned thinking cannot be sent back).
fn interrupted(assembler: ResponseAssembler) -> StreamEnd {
    let mut message = assembler.finish();
    message
        .content
        .retain(|block| matches!(block, ContentBlock::Text(text) if !text.text.is_empty()));
    message.stop_reason = Some(None);
    StreamEnd::Interrupted {
        partial: (!message.content.is_empty()).then_some(message),
    }
}
