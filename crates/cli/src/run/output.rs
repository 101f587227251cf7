//! What a print-mode run writes to stdout: the final text (`text`), one
//! result object (`json`), or every line of the stream (`stream-json`).

use std::io::Write;

use anyhow::Result;
use ferrule_agent::{Emitted, TurnResult};
use ferrule_protocol::AgentEvent;
use ferrule_protocol::sdk::{
    ResultMessage, ResultSubtype, StreamMessage, SystemInit, SystemMessage,
};
use ferrule_sdk_host::{EventIds, EventLines};

use super::args::OutputFormat;

/// Writes a run's output in one format.
pub(crate) struct Printer<W: Write> {
    format: OutputFormat,
    lines: EventLines,
    out: W,
}

impl<W: Write> Printer<W> {
    /// A printer to `out`; `partial` adds `stream_event` lines (stream-json).
    pub(crate) fn new(format: OutputFormat, partial: bool, out: W) -> Self {
        Self {
            format,
            lines: EventLines::new(partial),
            out,
        }
    }

    /// The `system/init` line (stream-json only).
    pub(crate) fn init(&mut self, init: SystemInit) -> Result<()> {
        if self.format == OutputFormat::StreamJson {
            self.line(&StreamMessage::System(SystemMessage::Init(init)))?;
        }
        Ok(())
    }

    /// The same printer with `hook_started` / `hook_response` lines
    /// (stream-json, `--include-hook-events`).
    pub(crate) fn with_hook_events(mut self, on: bool) -> Self {
        self.lines = std::mem::take(&mut self.lines).with_hook_events(on);
        self
    }

    /// The lines of one event (stream-json only); in the other formats,
    /// what hooks tell the user goes to stderr.
    pub(crate) fn event(&mut self, emitted: &Emitted) -> Result<()> {
        if self.format != OutputFormat::StreamJson {
            if let Some(note) = hook_note(&emitted.event) {
                eprintln!("{note}");
            }
            return Ok(());
        }
        let ids = EventIds {
            session_id: &emitted.session_id,
            uuid: &emitted.uuid,
            parent_tool_use_id: emitted.parent_tool_use_id.as_deref(),
        };
        for line in self.lines.lines(&emitted.event, ids) {
            self.line(&line)?;
        }
        Ok(())
    }

    /// The end of the run: the text, or the result object.
    pub(crate) fn finish(&mut self, result: &ResultMessage) -> Result<()> {
        match self.format {
            OutputFormat::Text => {
                let text = result_text(result);
                self.out.write_all(text.as_bytes())?;
                if !text.ends_with('\n') {
                    self.out.write_all(b"\n")?;
                }
            }
            OutputFormat::Json | OutputFormat::StreamJson => {
                self.line(&StreamMessage::Result(result.clone()))?;
            }
        }
        self.out.flush()?;
        Ok(())
    }

    fn line(&mut self, line: &StreamMessage) -> Result<()> {
        self.out.write_all(line.to_line()?.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(())
    }
}

/// What a finished hook tells the user: its `systemMessage`, or why it
/// failed.
pub(crate) fn hook_note(event: &AgentEvent) -> Option<String> {
    let AgentEvent::HookResponse {
        hook_name,
        system_message,
        error,
        ..
    } = event
    else {
        return None;
    };
    match (system_message, error) {
        (Some(message), _) => Some(message.clone()),
        (None, Some(error)) => Some(format!("{hook_name} hook error: {error}")),
        (None, None) => None,
    }
}

/// The `result` object of a finished run.
pub(crate) fn result_message(run: &TurnResult, session_id: &str) -> ResultMessage {
    let mut result = run.summary.clone().into_result(run.outcome, session_id);
    result.uuid = Some(uuid::Uuid::new_v4().to_string());
    if result.result.is_none()
        && let Some(errors) = &result.errors
    {
        result.result = Some(errors.join("\n"));
    }
    result
}

/// An error `result` that ran no turn (a command that could not run).
pub(crate) fn error_result(session_id: &str, message: String) -> ResultMessage {
    let mut result = ResultMessage::new(ResultSubtype::ErrorDuringExecution, session_id);
    result.result = Some(message.clone());
    result.errors = Some(vec![message]);
    result.uuid = Some(uuid::Uuid::new_v4().to_string());
    result
}

/// What `text` output prints: the final text, or the error.
fn result_text(result: &ResultMessage) -> String {
    result
        .result
        .clone()
        .or_else(|| result.errors.as_ref().map(|errors| errors.join("\n")))
        .unwrap_or_default()
}
