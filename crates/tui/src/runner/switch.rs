//! Starting over: the welcome text, switching sessions and models.

use std::sync::Arc;

use ferrule_hooks::{SessionEndReason, SessionSource};

use super::EventLoop;
use crate::commands::command_list;
use crate::session::{Session, history_cells};
use crate::state::Cell;

/// Why the interface switches sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Switch {
    /// `/clear`: a fresh conversation.
    Clear,
    /// `/resume`: another saved conversation.
    Resume,
    /// The folder was trusted: the same start with project settings.
    Trust,
}

impl EventLoop {
    pub(super) fn welcome(&mut self) {
        let info = &self.session.info;
        let mut text = format!(
            "ferrule {} · {} · {}\n/help for commands · Shift+Tab cycles permission modes",
            env!("CARGO_PKG_VERSION"),
            info.model,
            info.cwd.display()
        );
        if !info.workspace.trusted {
            text.push_str(
                "\nThis folder is not trusted: project settings, hooks and AGENTS.md are not loaded.",
            );
        }
        self.app.transcript.push(Cell::Info(text));
        if !info.mcp_needs_approval.is_empty() {
            let notice = crate::mcp_commands::approval_notice(&info.mcp_needs_approval);
            self.app.transcript.push(Cell::Info(notice));
        }
        for problem in &self.session.facts.problems {
            self.app
                .transcript
                .push(Cell::Error(format!("settings: {problem}")));
        }
        for cell in history_cells(&self.session.history) {
            self.app.transcript.push(cell);
        }
    }

    /// Leaves the session for one started from `options`: SessionEnd
    /// fires on the old one (`clear`, `resume`, or `other` for the restart
    /// after trusting the folder), then SessionStart on the new one
    /// (`clear`, `resume`, or `startup`).
    pub(super) async fn new_session(
        &mut self,
        options: ferrule_setup::SetupOptions,
        note: String,
        switch: Switch,
    ) {
        let (reason, source) = match switch {
            Switch::Clear => (SessionEndReason::Clear, Some(SessionSource::Clear)),
            Switch::Resume => (SessionEndReason::Resume, None),
            Switch::Trust => (SessionEndReason::Other, None),
        };
        self.session.end(reason).await;
        match Session::start(options, Arc::clone(&self.asker), source).await {
            Ok(session) => {
                self.session = session;
                self.app.transcript.clear();
                self.app.totals = crate::state::Totals::default();
                self.marks.clear();
                self.last_answer = None;
                self.app.mode = self.session.info.mode;
                self.commands = command_list(&self.session);
                self.welcome();
                self.app.transcript.push(Cell::Info(note));
            }
            Err(error) => self.app.transcript.push(Cell::Error(error.to_string())),
        }
    }

    pub(super) fn switch_model(&mut self, name: &str) {
        match self.session.resolve_model(name) {
            Ok(model) => {
                let label = model.name().to_owned();
                self.session.controls.set_model(model);
                self.app.model.clone_from(&label);
                self.app.transcript.push(Cell::Info(format!(
                    "Model: {label} (from the next request on)"
                )));
            }
            Err(error) => self.app.transcript.push(Cell::Error(error)),
        }
    }
}
