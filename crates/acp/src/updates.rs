//! A run's events as `session/update` notifications: message and thought
//! chunks, tool calls and their updates, the plan of `TodoWrite`, and mode
//! changes the agent made itself (plan mode tools).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use agent_client_protocol::Client;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, CurrentModeUpdate, SessionId, SessionNotification, SessionUpdate,
    TextContent, ToolCall, ToolCallStatus, ToolCallUpdate, ToolCallUpdateFields,
};
use ferrule_agent::{AgentControls, Emitted, EventSink};
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentEvent, ToolResultBlock};
use serde_json::Value;

use crate::{modes, tool_view};

/// Sends session updates for one session.
#[derive(Clone)]
pub(crate) struct Notifier {
    pub(crate) connection: ConnectionTo<Client>,
    pub(crate) session_id: SessionId,
}

impl Notifier {
    /// Sends one update; a closed connection is logged (the run goes on).
    pub(crate) fn send(&self, update: SessionUpdate) {
        let notification = SessionNotification::new(self.session_id.clone(), update);
        if let Err(error) = self.connection.send_notification(notification) {
            tracing::debug!(%error, "session update not sent");
        }
    }

    /// Agent text.
    pub(crate) fn agent_text(&self, text: impl Into<String>) {
        self.send(SessionUpdate::AgentMessageChunk(ContentChunk::new(
            ContentBlock::Text(TextContent::new(text)),
        )));
    }
}

/// Names and inputs of the calls seen, by id.
#[derive(Default)]
struct Calls {
    names: HashMap<String, String>,
    mode: Option<Mode>,
}

/// The [`EventSink`] of a prompt turn.
pub(crate) struct UpdateSink {
    notifier: Notifier,
    cwd: PathBuf,
    controls: AgentControls,
    calls: Mutex<Calls>,
}

impl UpdateSink {
    pub(crate) fn new(notifier: Notifier, cwd: PathBuf, controls: AgentControls) -> Self {
        let mode = controls.mode();
        Self {
            notifier,
            cwd,
            controls,
            calls: Mutex::new(Calls {
                names: HashMap::new(),
                mode: Some(mode),
            }),
        }
    }

    fn calls(&self) -> MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn started(&self, id: String, name: String) {
        let call = ToolCall::new(id.clone(), name.clone())
            .kind(tool_view::kind(&name))
            .status(ToolCallStatus::Pending);
        self.calls().names.insert(id, name);
        self.notifier.send(SessionUpdate::ToolCall(call));
    }

    fn finished(&self, id: String, name: &str, input: &Value) {
        let known = self.calls().names.insert(id.clone(), name.to_owned());
        let fields =
            tool_view::call_fields(name, input, &self.cwd).status(ToolCallStatus::InProgress);
        if known.is_none() {
            // A call without a start event (e.g. replayed by a provider that
            // sends whole calls): announce it complete.
            let mut call = ToolCall::new(id, name.to_owned());
            call.update(fields);
            self.notifier.send(SessionUpdate::ToolCall(call));
        } else {
            self.notifier
                .send(SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(
                    id, fields,
                )));
        }
        if name == "TodoWrite"
            && let Some(plan) = tool_view::plan(input)
        {
            self.notifier.send(SessionUpdate::Plan(plan));
        }
    }

    fn result(&self, result: &ToolResultBlock, structured: Option<&Value>) {
        let name = self.calls().names.get(&result.tool_use_id).cloned();
        self.notifier
            .send(SessionUpdate::ToolCallUpdate(result_update(
                result,
                name.as_deref(),
                structured,
            )));
        self.mode_changed();
    }

    /// Tells the client when a tool (plan mode) switched the mode.
    fn mode_changed(&self) {
        let now = self.controls.mode();
        let changed = {
            let mut calls = self.calls();
            let changed = calls.mode != Some(now);
            calls.mode = Some(now);
            changed
        };
        if changed {
            self.notifier
                .send(SessionUpdate::CurrentModeUpdate(CurrentModeUpdate::new(
                    modes::mode_id(now),
                )));
        }
    }
}

/// The update ending a call: completed or failed, with the result's text
/// (edits keep their diff; only a failure replaces it with the error).
pub(crate) fn result_update(
    result: &ToolResultBlock,
    name: Option<&str>,
    structured: Option<&Value>,
) -> ToolCallUpdate {
    let failed = result.is_error == Some(true);
    let text = result
        .content
        .as_ref()
        .map(ferrule_protocol::ToolResultContent::joined_text)
        .unwrap_or_default();
    let is_edit = matches!(name, Some("Edit" | "MultiEdit" | "Write" | "NotebookEdit"));
    let mut fields = ToolCallUpdateFields::new().status(if failed {
        ToolCallStatus::Failed
    } else {
        ToolCallStatus::Completed
    });
    if (failed || !is_edit) && !text.is_empty() {
        fields = fields.content(vec![tool_view::text_content(text.clone())]);
    }
    fields = fields.raw_output(structured.cloned().unwrap_or_else(|| Value::String(text)));
    ToolCallUpdate::new(result.tool_use_id.clone(), fields)
}

impl EventSink for UpdateSink {
    fn emit(&self, emitted: Emitted) {
        let in_subagent = emitted.parent_tool_use_id.is_some();
        match emitted.event {
            // A subagent's prose is its own; its tool calls are shown.
            AgentEvent::TextDelta { text, .. } if !in_subagent => self.notifier.agent_text(text),
            AgentEvent::ThinkingDelta { thinking, .. } if !in_subagent => {
                self.notifier
                    .send(SessionUpdate::AgentThoughtChunk(ContentChunk::new(
                        ContentBlock::Text(TextContent::new(thinking)),
                    )));
            }
            AgentEvent::ToolCallStarted { id, name, .. } => self.started(id, name),
            AgentEvent::ToolCallFinished { call, .. } => {
                self.finished(call.id, &call.name, &call.input);
            }
            AgentEvent::ToolResult {
                result, structured, ..
            } => self.result(&result, structured.as_ref()),
            AgentEvent::Retry {
                attempt,
                max_retries,
                error,
                ..
            } if !in_subagent => tracing::info!(
                attempt,
                max_retries,
                "model request failed, retrying: {}",
                error.message
            ),
            _ => {}
        }
    }
}
