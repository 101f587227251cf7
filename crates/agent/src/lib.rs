//! The agent loop: turns, the tool pipeline, subagents and the event stream.
//!
//! An [`Agent`] holds a conversation. [`Agent::run`] takes one user message
//! and drives the model until it stops: it streams each answer (forwarding
//! every delta as an [`AgentEvent`](ferrule_protocol::AgentEvent) to an
//! [`EventSink`]), runs the tool calls through the pipeline of
//! `ARCHITECTURE.md` — PreToolUse hooks, `ferrule_permissions::decide`,
//! PermissionRequest hooks and the host's [`Asker`] on "ask", checkpoints,
//! the tool, PostToolUse hooks — and sends the results back. Read-only
//! calls of one answer run concurrently; results keep call order. A run
//! always ends with one `TurnFinished` and a [`TurnResult`], whether the
//! model finished, the turn limit was hit, a request failed or
//! [`AgentControls::interrupt`] was called; the history stays consistent
//! for the next run.
//!
//! ```
//! use std::sync::Arc;
//! use ferrule_agent::{AgentBuilder, FnSink, UserInput};
//! use ferrule_model::{Script, ScriptTurn, ScriptedModel};
//! use ferrule_protocol::{AgentEvent, ContentBlock, TurnOutcome};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let script = Script {
//!     model: None,
//!     turns: vec![ScriptTurn::from_blocks(vec![ContentBlock::text("Hello!")])],
//! };
//! let model = Arc::new(ScriptedModel::new("demo.json", script));
//! let mut agent = AgentBuilder::new(model, Default::default(), dir.path()).build()?;
//! let sink = FnSink(|emitted: ferrule_agent::Emitted| {
//!     if let AgentEvent::TextDelta { text, .. } = emitted.event {
//!         eprint!("{text}");
//!     }
//! });
//! let result = agent.run(UserInput::text("Hi"), &sink).await;
//! assert_eq!(result.outcome, TurnOutcome::Completed);
//! assert_eq!(result.summary.result.as_deref(), Some("Hello!"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Contents: [`AgentBuilder`] and [`Agent`]; [`AgentControls`] (interrupt,
//! mode, model); [`Asker`], [`AskRequest`], [`AskAnswer`] and
//! [`HeadlessAsker`], [`FnAsker`]; [`Classifier`] and [`ModelClassifier`]
//! (`auto` mode's judge of what would otherwise ask); [`EventSink`], [`Emitted`], [`FnSink`], [`NullSink`];
//! [`UserInput`] and [`TurnResult`]; [`SystemPrompt`]; the loop's own
//! tools in [`tools`]; [`hook_runners`] for prompt and agent hooks.
//!
//! Worktrees (ferrule-worktree): `EnterWorktree` moves the session's
//! working directory into a new git worktree (WorktreeCreate hooks may make
//! it; CwdChanged fires) and `ExitWorktree` moves it back, keeping or
//! removing the worktree (WorktreeRemove fires). A subagent whose
//! definition says `isolation: worktree` runs in a fresh worktree; its
//! result names the path (`worktree_path`), and a worktree it left
//! unchanged is removed again. A read outside the working directories is
//! decided by the permission engine (it asks) instead of failing.
//!
//! Context (ferrule-context): before every model request the loop counts
//! the context, stubs old tool results past the warning threshold and
//! compacts past the compaction threshold (events `CompactionStarted` /
//! `Compacted`, hooks PreCompact, PostCompact and SessionStart `compact`);
//! a failed summary leaves the history as it was, and only a context past
//! the blocking limit stops the run. Hosts call [`Agent::compact`]
//! (`/compact`), [`Agent::pin_message`] / [`Agent::pin_file`],
//! [`Agent::context_usage`] ([`ContextUsage::to_sdk_value`] for
//! `get_context_usage`) and set the manager with [`AgentBuilder::context`].
//! Files: [`Agent::rewind_files`] (`rewind_files`, `/rewind`).
//!
//! Reporting hooks: StopFailure when a run fails on an error (not on a
//! hook block or an interrupt), Notification before the asker is asked
//! (`permission_prompt`; `idle_prompt` for AskUserQuestion), CwdChanged
//! when Bash's structured `cwd` moved, and InstructionsLoaded for subfolder
//! memory loaded through [`AgentBuilder::session_memory`].

mod accounting;
mod agent;
mod ask;
mod background_hooks;
mod builder;
mod checkpointing;
mod classifier;
mod context;
mod context_api;
mod core;
mod events;
mod fork;
mod history;
pub mod hook_runners;
mod input;
mod live;
mod notify;
mod permission_flow;
mod pipeline;
mod policy;
mod prompt;
mod read_scope;
mod rewind;
mod run;
mod stream;
mod subagent;
mod subagent_tools;
mod subfolder_memory;
mod suggest;
pub mod tools;
mod turn;

pub use agent::Agent;
pub use ask::{
    AskAnswer, AskRequest, Asker, ElicitAnswer, ElicitRequest, ElicitationAction, FnAsker,
    HeadlessAsker,
};
pub use background_hooks::MAX_WAKE_TURNS;
pub use builder::{AgentBuildError, AgentBuilder};
pub use classifier::{
    AutoModeGuidance, Classifier, ClassifyError, ClassifyRequest, ClassifyVerdict, ModelClassifier,
};
pub use context_api::{ContextUsage, PinError};
pub use core::AgentControls;
pub use events::{Emitted, EventSink, FnSink, NullSink};
pub use ferrule_checkpoint::RewindReport;
pub use ferrule_context::{CompactError, Compacted, ContextManager, ContextState};
pub use input::{TurnResult, UserInput};
pub use live::WatchPathsFn;
pub use policy::{mode_from_wire, mode_to_wire};
pub use prompt::{EnvironmentFacts, SkillEntry, SystemPrompt};
pub use subagent_tools::{RunTools, SubagentTools};
