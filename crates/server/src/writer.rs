//! The event writer of a turn: maps the agent's events to session events
//! and stores them in order through the turn's [`SessionBackend`] — the one
//! place a turn's events are appended — and parks tool calls for the
//! client.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ferrule_agent::{Emitted, EventSink};
use ferrule_protocol::{AgentEvent, ContentBlock};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::backend::SessionBackend;
use crate::ids;
use crate::live::Resolution;
use crate::mapping::{CallKind, EventMapper};
use crate::pause::{CallRef, WriterMsg};

/// Tool calls waiting for the client, by the event ID the answer names,
/// and answers that came before their call was parked again (a resumed
/// turn whose client answered while no runner held it).
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    /// Parked calls.
    pub(crate) waiting: HashMap<String, oneshot::Sender<Resolution>>,
    /// Answers without a parked call yet.
    pub(crate) early: HashMap<String, Resolution>,
}

/// The waiters of one turn, shared by the writer and the control loop.
pub(crate) type Pending = Arc<Mutex<Waiters>>;

/// How a resumed turn that waited on the client starts.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// The first response is the stored one: its events are not stored
    /// again, its calls are adopted.
    pub(crate) replaying: bool,
    /// Event IDs whose pending action is stored already.
    pub(crate) waiting: HashSet<String>,
}

/// The agent's event sink: forwards to the writer.
pub(crate) struct Sink {
    pub(crate) writer: mpsc::UnboundedSender<WriterMsg>,
}

impl EventSink for Sink {
    fn emit(&self, event: Emitted) {
        let _ = self.writer.send(WriterMsg::Agent(Box::new(event)));
    }
}

/// Maps and stores the turn's events in order; parks calls on request.
pub(crate) async fn write_events(
    backend: Arc<dyn SessionBackend>,
    mut mapper: EventMapper,
    mut inbox: mpsc::UnboundedReceiver<WriterMsg>,
    stopped: Arc<AtomicBool>,
    pending: Pending,
    mut replay: Replay,
) {
    let mut custom_queue: VecDeque<(String, String)> = VecDeque::new();
    while let Some(msg) = inbox.recv().await {
        if stopped.load(Ordering::SeqCst) {
            if let WriterMsg::Park { reply, .. } = msg {
                let _ = reply.send(None);
            }
            continue;
        }
        let (events, status) = match msg {
            WriterMsg::Agent(emitted) if replay.replaying => {
                // The stored response again: nothing of it is stored twice.
                if let AgentEvent::MessageComplete { message } = &emitted.event {
                    mapper.adopt(message);
                    queue_custom(&mapper, message, &mut custom_queue);
                    replay.replaying = false;
                }
                continue;
            }
            WriterMsg::Agent(emitted) => {
                if let AgentEvent::MessageComplete { message } = &emitted.event {
                    let events = mapper.map(&emitted.event, emitted.parent_tool_use_id.as_deref());
                    queue_custom(&mapper, message, &mut custom_queue);
                    (events, None)
                } else {
                    (
                        mapper.map(&emitted.event, emitted.parent_tool_use_id.as_deref()),
                        None,
                    )
                }
            }
            WriterMsg::Park { call, kind, reply } => {
                let call_id = match call {
                    CallRef::Id(id) => Some(id),
                    CallRef::NextCustom(name) => custom_queue
                        .iter()
                        .position(|(n, _)| *n == name)
                        .and_then(|i| custom_queue.remove(i))
                        .map(|(_, id)| id),
                };
                let event_id = call_id.and_then(|id| mapper.call(&id).map(|a| a.event_id.clone()));
                let Some(event_id) = event_id else {
                    let _ = reply.send(None);
                    continue;
                };
                let (answer, receiver) = oneshot::channel();
                let early = {
                    let mut waiters = match pending.lock() {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    match waiters.early.remove(&event_id) {
                        Some(resolution) => Some((answer, resolution)),
                        None => {
                            waiters.waiting.insert(event_id.clone(), answer);
                            None
                        }
                    }
                };
                if let Some((answer, resolution)) = early {
                    let _: Result<(), Resolution> = answer.send(resolution);
                } else if !replay.waiting.remove(&event_id)
                    && let Err(error) = backend.park(&event_id, kind).await
                {
                    tracing::error!(%error, "storing requires_action failed");
                }
                let _ = reply.send(Some(receiver));
                continue;
            }
            WriterMsg::Flush(done) => {
                let _ = done.send(());
                continue;
            }
            WriterMsg::Resume => (
                vec![json!({"id": ids::new_id("evt_"), "type": "session.status_running"})],
                Some("running"),
            ),
        };
        if events.is_empty() {
            continue;
        }
        if let Err(error) = backend.append(events, status).await {
            tracing::error!(%error, "storing turn events failed");
        }
    }
}

/// Queues the custom tool calls of a response for their tools to park.
fn queue_custom(
    mapper: &EventMapper,
    message: &ferrule_protocol::AssistantMessage,
    queue: &mut VecDeque<(String, String)>,
) {
    for block in &message.content {
        if let ContentBlock::ToolUse(call) = block
            && mapper
                .call(&call.id)
                .is_some_and(|a| a.kind == CallKind::Custom)
        {
            queue.push_back((call.name.clone(), call.id.clone()));
        }
    }
}
