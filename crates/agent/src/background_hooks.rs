//! Background hooks (`async`, `asyncRewake`; cli-core.md §5.1, §5.2): what
//! a finished one reports goes to the model with its next request, and an
//! `asyncRewake` hook that exits 2 wakes the model with a reminder built
//! from its output.

use ferrule_hooks::{BackgroundRun, Effect, Outcome, Parsed};

use crate::core::{AgentControls, Core};

/// How many turns in a row `asyncRewake` hooks may start without the user
/// sending anything: a hook that wakes the model at the end of every turn
/// would otherwise never let the session rest. Hosts that run wake-up
/// turns stop at this many.
pub const MAX_WAKE_TURNS: usize = 8;

/// The context queued for the next model request: the host's and the
/// session watcher's, then what background hooks that finished since the
/// last request report.
pub(crate) fn queued_context(core: &Core) -> Vec<String> {
    let mut queued = core.live.take_context();
    if let Some(hooks) = core.live.hooks() {
        queued.extend(hooks.take_background().iter().filter_map(report));
    }
    queued
}

/// What `done` tells the model, if anything: the wake-up reminder of an
/// `asyncRewake` hook that exited 2, else its additional context, plain
/// stdout and blocking reason.
fn report(done: &BackgroundRun) -> Option<String> {
    if let Some(rewake) = &done.rewake {
        return Some(rewake.clone());
    }
    let outcome = Outcome::merge(done.event, std::slice::from_ref(&done.run));
    for error in &outcome.errors {
        tracing::warn!(event = done.event.as_str(), hook = %error.hook, message = %error.message, "background hook failed");
    }
    let mut parts = outcome.additional_context;
    if let Parsed::Text(text) = &done.run.parsed
        && !text.trim().is_empty()
        && !parts.iter().any(|part| part == text.trim())
    {
        parts.push(text.trim().to_owned());
    }
    if let Effect::Block(reason) = &done.run.effect
        && !reason.trim().is_empty()
    {
        parts.push(reason.trim().to_owned());
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "A background {} hook ({}) reported:\n{}",
        done.event.as_str(),
        done.run.hook,
        parts.join("\n")
    ))
}

impl AgentControls {
    /// Waits for every background hook started so far. What the plain
    /// `async` ones report is queued for the model's next request; the
    /// wake-up reminders of `asyncRewake` hooks that exited 2 are returned
    /// for the host to run a turn with (empty: nothing wakes the model).
    pub async fn settle_background_hooks(&self) -> Vec<String> {
        let Some(hooks) = self.core.live.hooks() else {
            return Vec::new();
        };
        let mut wake = Vec::new();
        for done in hooks.join_background().await {
            match (&done.rewake, report(&done)) {
                (Some(reminder), _) => wake.push(reminder.clone()),
                (None, Some(text)) => self.add_context(text),
                (None, None) => {}
            }
        }
        wake
    }

    /// The wake-up reminders of `asyncRewake` hooks that exited 2 since
    /// the last request, without waiting for running ones; the other
    /// finished background hooks' reports stay queued for the next request.
    pub fn take_background_wake(&self) -> Vec<String> {
        let Some(hooks) = self.core.live.hooks() else {
            return Vec::new();
        };
        let mut wake = Vec::new();
        for done in hooks.take_background() {
            match (&done.rewake, report(&done)) {
                (Some(reminder), _) => wake.push(reminder.clone()),
                (None, Some(text)) => self.add_context(text),
                (None, None) => {}
            }
        }
        wake
    }
}
