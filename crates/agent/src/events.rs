//! Where a run's events go: the [`EventSink`] trait and its usual impls.

use ferrule_protocol::AgentEvent;

/// One event of a run, with what a host needs to place it.
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    /// The event.
    pub event: AgentEvent,
    /// Inside a subagent: the id of the `Agent`/`Task` tool call that runs
    /// it; `None` on the main thread.
    pub parent_tool_use_id: Option<String>,
    /// A fresh uuid per event. For [`AgentEvent::MessageComplete`] and
    /// [`AgentEvent::ToolResult`] it is the uuid of the transcript entry
    /// holding that message.
    pub uuid: String,
    /// The session the event belongs to.
    pub session_id: String,
}

/// Receives the events of a run as they happen.
///
/// `emit` is called from the loop's task and must not block: push to a
/// channel, write to a buffer, update a counter.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn emit(&self, event: Emitted);
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<Emitted> {
    fn emit(&self, event: Emitted) {
        // A closed receiver means the host stopped listening; the run goes
        // on and its result is still returned.
        let _ = self.send(event);
    }
}

/// An [`EventSink`] made of a closure.
pub struct FnSink<F>(pub F);

impl<F: Fn(Emitted) + Send + Sync> EventSink for FnSink<F> {
    fn emit(&self, event: Emitted) {
        (self.0)(event);
    }
}

impl<F> std::fmt::Debug for FnSink<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnSink")
    }
}

/// An [`EventSink`] that drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Emitted) {}
}

impl<S: EventSink + ?Sized> EventSink for std::sync::Arc<S> {
    fn emit(&self, event: Emitted) {
        (**self).emit(event);
    }
}

/// Stamps events with a session id and parent before they reach a sink.
#[derive(Clone, Copy)]
pub(crate) struct Emitter<'a> {
    pub(crate) sink: &'a dyn EventSink,
    pub(crate) session_id: &'a str,
    pub(crate) parent_tool_use_id: Option<&'a str>,
}

impl Emitter<'_> {
    /// Emits `event` with a fresh uuid.
    pub(crate) fn emit(&self, event: AgentEvent) {
        self.emit_with_uuid(event, new_uuid());
    }

    /// Emits `event` with the given uuid.
    pub(crate) fn emit_with_uuid(&self, event: AgentEvent, uuid: String) {
        self.sink.emit(Emitted {
            event,
            parent_tool_use_id: self.parent_tool_use_id.map(str::to_owned),
            uuid,
            session_id: self.session_id.to_owned(),
        });
    }
}

/// A new random uuid as text.
pub(crate) fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
