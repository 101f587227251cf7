//! The interface's state: everything the renderer draws, nothing it does.

mod completion;
mod composer;
mod prompt;
mod summary;
mod transcript;

use std::time::Instant;

use ferrule_permissions::Mode;
use ferrule_protocol::{AgentEvent, Usage};

pub use completion::{Candidate, Completer, Completion};
pub use composer::Composer;
pub use prompt::{PermissionChoice, PermissionPrompt, Prompt, Question, QuestionPrompt};
pub use summary::{main_argument, tool_summary};
pub use transcript::{Cell, ToolCell, ToolStatus, Transcript};

/// A turn in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// When it started.
    pub started: Instant,
    /// Output tokens reported so far in this turn.
    pub output_tokens: u64,
    /// Whether an interrupt was asked for.
    pub interrupting: bool,
}

/// Token and cost totals of the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Input tokens, cache reads and writes included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cost in US dollars, when the price table knows the model.
    pub cost_usd: f64,
    /// Finished turns.
    pub turns: u64,
    /// Model round trips.
    pub requests: u64,
}

impl Totals {
    fn add_usage(&mut self, usage: &Usage) {
        self.input_tokens += usage.input_tokens
            + usage.cache_creation_input_tokens.unwrap_or(0)
            + usage.cache_read_input_tokens.unwrap_or(0);
        self.output_tokens += usage.output_tokens;
    }
}

/// Everything on screen.
#[derive(Debug)]
pub struct App {
    /// The conversation.
    pub transcript: Transcript,
    /// The input box.
    pub composer: Composer,
    /// The open completion list.
    pub completion: Option<Completion>,
    /// The open prompt; while one is open it takes the keys.
    pub prompt: Option<Prompt>,
    /// Permission mode.
    pub mode: Mode,
    /// Whether bypass is part of the Shift-Tab cycle.
    pub bypass_allowed: bool,
    /// Model name.
    pub model: String,
    /// The turn in flight.
    pub busy: Option<Busy>,
    /// Session totals.
    pub totals: Totals,
    /// Whether tool results are shown in full (Ctrl-O).
    pub expanded: bool,
    /// Rows scrolled up from the bottom.
    pub scroll: usize,
    /// Frame counter for the spinner.
    pub tick: usize,
    /// A short note under the input box, with when it was set.
    pub hint: Option<(String, Instant)>,
    /// Inputs typed while a turn runs; sent when it ends.
    pub queued: Vec<String>,
    /// Rendered rows of the scrollback, per cell, kept between frames.
    pub(crate) row_cache: std::cell::RefCell<RowCache>,
}

/// Rows of each cell as last drawn, with the version, width and folding
/// they were drawn for.
#[derive(Debug, Default)]
pub(crate) struct RowCache {
    pub(crate) width: usize,
    pub(crate) expanded: bool,
    pub(crate) cells: Vec<Option<(u64, Vec<ratatui::text::Line<'static>>)>>,
}

impl App {
    /// An empty screen.
    pub fn new(model: impl Into<String>, mode: Mode) -> Self {
        Self {
            transcript: Transcript::default(),
            composer: Composer::default(),
            completion: None,
            prompt: None,
            mode,
            bypass_allowed: true,
            model: model.into(),
            busy: None,
            totals: Totals::default(),
            expanded: false,
            scroll: 0,
            tick: 0,
            hint: None,
            queued: Vec::new(),
            row_cache: std::cell::RefCell::default(),
        }
    }

    /// Takes an agent event: updates the scrollback, the busy state and the
    /// totals.
    pub fn apply(&mut self, event: &AgentEvent, parent: Option<&str>) {
        self.transcript.apply(event, parent);
        if parent.is_some() {
            return;
        }
        match event {
            AgentEvent::Usage { usage } => {
                if let Some(busy) = &mut self.busy {
                    busy.output_tokens += usage.output_tokens;
                }
                self.totals.add_usage(usage);
                self.totals.requests += 1;
            }
            AgentEvent::MessageStarted { model, .. } if !model.is_empty() => {
                self.model.clone_from(model);
            }
            AgentEvent::TurnFinished { summary, .. } => {
                self.busy = None;
                self.totals.turns += 1;
                self.totals.cost_usd += summary.total_cost_usd;
            }
            _ => {}
        }
    }

    /// Marks a turn as started now.
    pub fn start_turn(&mut self, now: Instant) {
        self.busy = Some(Busy {
            started: now,
            output_tokens: 0,
            interrupting: false,
        });
        self.scroll = 0;
    }

    /// The mode Shift-Tab moves to from the current one.
    pub fn next_mode(&self) -> Mode {
        let mut next = match self.mode {
            Mode::Default | Mode::Plan => Mode::AcceptEdits,
            Mode::AcceptEdits => Mode::Auto,
            Mode::Auto => Mode::BypassPermissions,
            Mode::BypassPermissions => Mode::DontAsk,
            Mode::DontAsk => Mode::Default,
        };
        if next == Mode::BypassPermissions && !self.bypass_allowed {
            next = Mode::DontAsk;
        }
        next
    }

    /// Shows `text` under the input box for a few seconds.
    pub fn set_hint(&mut self, text: impl Into<String>, now: Instant) {
        self.hint = Some((text.into(), now));
    }
}

/// How a mode is named in the footer.
pub fn mode_label(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Default => None,
        Mode::AcceptEdits => Some("accept edits on"),
        Mode::Auto => Some("auto mode on"),
        Mode::BypassPermissions => Some("bypass permissions on"),
        Mode::DontAsk => Some("don't ask mode on"),
        Mode::Plan => Some("plan mode on"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_tab_cycles_every_mode_and_skips_bypass_when_disabled() {
        let mut app = App::new("m", Mode::Default);
        let mut seen = Vec::new();
        for _ in 0..5 {
            app.mode = app.next_mode();
            seen.push(app.mode);
        }
        assert_eq!(
            seen,
            [
                Mode::AcceptEdits,
                Mode::Auto,
                Mode::BypassPermissions,
                Mode::DontAsk,
                Mode::Default
            ]
        );
        app.bypass_allowed = false;
        app.mode = Mode::Auto;
        assert_eq!(app.next_mode(), Mode::DontAsk);
    }
}
