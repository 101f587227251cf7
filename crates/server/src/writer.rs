//! The event writer of a turn: maps the agent's events to session events
//! and stores them in order through the turn's [`SessionBackend`] — the one
//! place a turn's events are appended — and parks tool calls for the
//! client.

use std::collections::{HashMap, VecDeque};
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

/// Tool calls waiting for the client, by the event ID the answer names.
pub(crate) type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Resolution>>>>;

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
            WriterMsg::Agent(emitted) => {
                if let AgentEvent::MessageComplete { message } = &emitted.event {
                    let events = mapper.map(&emitted.event, emitted.parent_tool_use_id.as_deref());
                    for block in &message.content {
                        if let ContentBlock::ToolUse(call) = block
                            && mapper
                                .call(&call.id)
                                .is_some_and(|a| a.kind == CallKind::Custom)
                        {
                            custom_queue.push_back((call.name.clone(), call.id.clone()));
                        }
                    }
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
                match pending.lock() {
                    Ok(mut map) => map.insert(event_id.clone(), answer),
                    Err(poisoned) => poisoned.into_inner().insert(event_id.clone(), answer),
                };
                if let Err(error) = backend.park(&event_id, kind).await {
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
