//! The interactive terminal interface of ferrule: a full-screen ratatui
//! application over the agent loop.
//!
//! [`run`] prepares a session with ferrule-setup, builds the agent with
//! the interface's asker and runs until the user leaves:
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use ferrule_setup::{Host, SetupOptions};
//!
//! let options = SetupOptions::new(Host::Interactive, "/my/project", std::env::vars().collect::<BTreeMap<_, _>>());
//! let code = ferrule_tui::run(options, None)?;
//! # Ok::<(), ferrule_tui::TuiError>(())
//! ```
//!
//! The crate is split so that everything on screen is testable without a
//! terminal:
//!
//! - [`state`] holds what the screen shows: the conversation as cells built
//!   from `AgentEvent`s ([`state::Transcript`]), the input box with history
//!   ([`state::Composer`]), `/` and `@file` completion, the open permission
//!   or question prompt, the permission mode, token totals.
//! - [`render`] draws an [`state::App`] into a ratatui frame as a pure
//!   function ([`render::draw`]): Markdown through pulldown-cmark, code
//!   blocks highlighted by syntect, tool calls as one line with their
//!   result folded (Ctrl-O unfolds), diffs of Edit/Write through `similar`,
//!   a status line with spinner, elapsed time and tokens, and a footer with
//!   the mode.
//! - The event loop (private) reads terminal events on a thread of their
//!   own, agent events from an unbounded channel (the agent's `EventSink`),
//!   permission requests from the interface's `Asker`, and finished turns;
//!   every change is drawn at once, the spinner ticks every 120 ms.
//!
//! # Keys
//! Enter sends; `\` then Enter, Shift+Enter (where the terminal reports
//! it), Alt+Enter or Ctrl-J start a new line; ↑/↓ move through lines, then
//! through the input history; Tab or Enter takes a completion. Esc
//! interrupts a running turn (idle: clears the input; in a prompt: denies
//! and interrupts, as "tell the model what to do differently"). Ctrl-C
//! interrupts, a second Ctrl-C within two seconds exits. Shift+Tab cycles
//! default → accept_edits → auto → bypass_permissions → dont_ask (bypass is
//! skipped when `security.disableYoloMode` or
//! `permissions.disableBypassPermissionsMode` say so); Ctrl-Y jumps to
//! bypass. Ctrl-O unfolds tool results, PgUp/PgDn scroll, Ctrl-D on an
//! empty input exits. `!command` runs a shell command directly.
//!
//! # Prompts
//! A permission prompt offers allow once, allow always and deny with
//! feedback. "Allow always" adds the narrowest rule for the call (see the
//! rules in the `always` module docs: `Bash(cargo test:*)`, `Edit(/path)`,
//! `WebFetch(domain:host)`, or the folder of an outside path) to
//! `<cwd>/.qoder/settings.local.json`, applies it to the running session,
//! and says so in the scrollback. AskUserQuestion shows its options, an
//! "Other" free-text answer, and ticks for multi-select questions.
//!
//! # Folder trust
//! In a folder that the user settings' `permissions.trustDirectories` do
//! not cover, the first screen asks whether to trust it (cli-core.md §3.7,
//! A-22). "Yes" adds the folder to that list in `<user dir>/settings.json`
//! and starts the session again with project settings, hooks and
//! AGENTS.md; "no" goes on without them. A command-line prompt waits for
//! the answer.
//!
//! # Limits
//! - The input history is kept in `<user dir>/history.jsonl` (one JSON
//!   line per input with its folder); ↑/↓ recall the inputs of this folder.
//! - `/rewind` puts files back (with `general.fileCheckpointing.enabled`)
//!   but keeps the conversation.
//! - Output of `!command` is shown, not added to the model's context.

pub mod render;
pub mod state;

mod always;
mod asker;
mod commands;
mod history;
mod keys;
mod mcp_commands;
mod rewind;
mod runner;
mod session;
mod session_commands;
mod shell;
mod terminal;
mod trust;

use std::process::ExitCode;

pub use commands::BUILT_INS;

/// Why the interface could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuiError {
    /// Settings, model or session could not be prepared.
    #[error(transparent)]
    Setup(#[from] ferrule_setup::SetupError),
    /// The agent could not be built.
    #[error(transparent)]
    Build(#[from] ferrule_agent::AgentBuildError),
    /// The terminal could not be put in full-screen mode or drawn on.
    #[error("terminal: {0}")]
    Terminal(#[source] std::io::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Runs the interactive interface for `options` until the user leaves;
/// `initial_prompt` (the command line's query) is sent first. The terminal
/// is restored on every way out, panics included.
///
/// # Errors
/// When the session cannot be prepared (bad settings, unknown model or
/// mode, missing session) — reported before the screen changes — or the
/// terminal cannot be used.
pub fn run(
    options: ferrule_setup::SetupOptions,
    initial_prompt: Option<String>,
) -> Result<ExitCode, TuiError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    runtime.block_on(runner::run_loop(options, initial_prompt))?;
    Ok(ExitCode::SUCCESS)
}
