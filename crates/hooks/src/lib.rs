//! Hooks: the user's commands, URLs, prompts and subagents that run at
//! fixed points of the agent's work, and SDK callbacks that do the same.
//!
//! Behaviour follows the hooks section of the reference (cli-core.md §5,
//! `qoder-docs/cli/hooks.md`, sdk-protocol.md §10):
//!
//! - configuration: `{"hooks": {"Event": [{"matcher", "hooks": [...]}]}}`
//!   from every settings layer, plugins, subagents and the SDK
//!   ([`parse_hooks`], [`DispatcherBuilder`]); bad entries are
//!   [`Diagnostic`](ferrule_config::Diagnostic)s with file and JSON path;
//! - every event's input as a typed struct ([`HookInput`], [`EventPayload`]);
//! - four hook types: command and http run here, prompt and agent hooks run
//!   through [`PromptRunner`] / [`AgentRunner`], SDK callbacks through
//!   [`CallbackHost`];
//! - results by exit code ([`interpret`]), output parsing
//!   ([`parse_output`]) and the merge of several hooks ([`Outcome`]);
//! - folder trust ([`TrustStore`]): project hooks run only when trusted.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ferrule_hooks::{CommonFields, Dispatcher, HookEvent, HookInput, HookSource, PermissionDecision};
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir()?;
//! let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [{
//!     "type": "command",
//!     "command": "grep -q 'rm -rf' && { echo 'no rm -rf' >&2; exit 2; } || exit 0"
//! }]}]});
//! let dispatcher = Dispatcher::builder(dir.path())
//!     .hooks(&hooks, HookSource::session("example"))
//!     .build();
//!
//! let mut input = HookInput::sample(HookEvent::PreToolUse, CommonFields::default(), Some("Bash"));
//! if let ferrule_hooks::EventPayload::PreToolUse(p) = &mut input.payload {
//!     p.call.tool_input = json!({"command": "rm -rf /tmp/x"});
//! }
//! let dispatch = dispatcher.dispatch(&input).await;
//! assert_eq!(dispatch.outcome.permission_decision, Some(PermissionDecision::Deny));
//! assert_eq!(dispatch.outcome.block_reason().as_deref(), Some("no rm -rf"));
//! # Ok(())
//! # }
//! ```

mod callback;
mod command;
mod condition;
mod dispatch;
mod event;
mod http;
mod input;
mod matcher;
mod model;
mod outcome;
mod output;
mod parse;
mod payload;
mod run;
mod source;
mod spec;
mod trust;

pub use callback::{CallbackHost, parse_sdk_hooks};
pub use command::{MAX_CAPTURE, hook_env, run_command};
pub use condition::{Condition, ConditionError};
pub use dispatch::{
    BackgroundRun, Dispatch, Dispatcher, DispatcherBuilder, FolderTrust, MatchedHook, SkippedSource,
};
pub use event::{Blocking, HookEvent, UnknownEvent};
pub use http::{expand_headers, run_http};
pub use input::{CommonFields, EventPayload, HookInput, InputError};
pub use matcher::Matcher;
pub use model::{
    AgentRequest, AgentRunner, PromptRequest, PromptRunner, RunnerError, UNSAFE_AGENT_TOOLS,
    VerdictError, agent_request, parse_verdict, parse_verdict_value, prompt_request,
};
pub use outcome::{HookError, Outcome};
pub use output::{
    Decision, HookOutput, OutputError, PermissionDecision, PermissionRequestDecision,
    SpecificOutput, parse_output, parse_output_value,
};
pub use parse::{MAX_REWAKE_SUMMARY, ParsedHooks, parse_hooks};
pub use payload::*;
pub use run::{
    Effect, HookRun, Parsed, RawResult, RunStatus, Verdict, interpret, interpret_value,
    interpret_verdict,
};
pub use source::{HookSource, SourceKind};
pub use spec::{
    AgentHook, CallbackHook, CommandHook, DEFAULT_AGENT_MAX_TURNS, HookGroup, HookKind, HookSpec,
    HttpHook, Mode, PromptHook, Shell, default_timeout,
};
pub use trust::{TrustReason, TrustStore};
