//! One configured hook: its type, its type's fields, and the options every
//! type shares (cli-core.md §5.2).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::condition::Condition;
use crate::matcher::Matcher;
use crate::source::HookSource;

/// Default timeouts per hook type (cli-core.md §5.2, sdk-protocol.md §10).
pub mod default_timeout {
    use std::time::Duration;

    /// command and http hooks: 600 s.
    pub const COMMAND: Duration = Duration::from_secs(600);
    /// http hooks: 600 s.
    pub const HTTP: Duration = Duration::from_secs(600);
    /// prompt hooks: 30 s.
    pub const PROMPT: Duration = Duration::from_secs(30);
    /// agent hooks: 60 s.
    pub const AGENT: Duration = Duration::from_secs(60);
    /// SDK callbacks: 60 s.
    pub const CALLBACK: Duration = Duration::from_secs(60);
}

/// The default `maxTurns` of an agent hook.
pub const DEFAULT_AGENT_MAX_TURNS: u32 = 50;

/// Which shell runs a command hook's shell form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shell {
    /// `bash -c` (the default).
    #[default]
    Bash,
    /// `pwsh -NoProfile -Command`, with the `${QODER_*}` placeholders
    /// substituted into the text first.
    PowerShell,
}

/// A `command` hook.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommandHook {
    /// The shell snippet, or (exec form) the program.
    pub command: String,
    /// Exec form: one argv entry each, no shell.
    pub args: Option<Vec<String>>,
    /// The shell of the shell form.
    pub shell: Shell,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
}

/// An `http` hook.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpHook {
    /// Where the input is POSTed.
    pub url: String,
    /// Request headers; values expand `${VAR}`.
    pub headers: BTreeMap<String, String>,
    /// The variables headers may expand; all when `None`.
    pub allowed_env_vars: Option<Vec<String>>,
}

/// A `prompt` hook: one isolated model call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromptHook {
    /// The instructions; the event JSON is appended.
    pub prompt: String,
    /// A model override.
    pub model: Option<String>,
}

/// An `agent` hook: a short subagent with tools.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentHook {
    /// The instructions; `$ARGUMENTS` becomes the event JSON.
    pub prompt: String,
    /// The tools it may use (all safe tools when `None`).
    pub tools: Option<Vec<String>>,
    /// The most turns it may take.
    pub max_turns: u32,
    /// A model override.
    pub model: Option<String>,
}

/// An SDK hook callback, answered by the host over the control protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallbackHook {
    /// The `hook_<n>` id from `initialize.hooks`.
    pub callback_id: String,
}

/// What a hook does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HookKind {
    /// Runs a process.
    Command(CommandHook),
    /// POSTs to a URL.
    Http(HttpHook),
    /// Asks a model once.
    Prompt(PromptHook),
    /// Runs a subagent.
    Agent(AgentHook),
    /// Calls the SDK host.
    Callback(CallbackHook),
}

impl HookKind {
    /// `command`, `http`, `prompt`, `agent` or `callback`.
    pub fn type_name(&self) -> &'static str {
        match self {
            HookKind::Command(_) => "command",
            HookKind::Http(_) => "http",
            HookKind::Prompt(_) => "prompt",
            HookKind::Agent(_) => "agent",
            HookKind::Callback(_) => "callback",
        }
    }

    /// A one-line description (`command ./check.sh`, `http http://...`).
    pub fn describe(&self) -> String {
        match self {
            HookKind::Command(c) => match &c.args {
                Some(args) if !args.is_empty() => {
                    format!("command {} {}", c.command, args.join(" "))
                }
                _ => format!("command {}", c.command),
            },
            HookKind::Http(h) => format!("http {}", h.url),
            HookKind::Prompt(p) => format!("prompt {}", first_line(&p.prompt)),
            HookKind::Agent(a) => format!("agent {}", first_line(&a.prompt)),
            HookKind::Callback(c) => format!("callback {}", c.callback_id),
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// How a hook runs relative to the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The agent waits for it.
    #[default]
    Blocking,
    /// In the background; its result is handed over at the next turn.
    Background,
    /// In the background; an exit code 2 wakes the model (`asyncRewake`).
    BackgroundRewake,
}

/// One configured hook with its options.
#[derive(Debug, Clone)]
pub struct HookSpec {
    /// What it does.
    pub kind: HookKind,
    /// Its `if` condition, if any.
    pub condition: Option<Condition>,
    /// How long it may take.
    pub timeout: Duration,
    /// Whether the agent waits for it.
    pub mode: Mode,
    /// `rewakeMessage`: the prefix of the wake-up message.
    pub rewake_message: Option<String>,
    /// `rewakeSummary`: the one-line summary (at most 300 characters).
    pub rewake_summary: Option<String>,
    /// Removed after its first successful run (session-scoped hooks only).
    pub once: bool,
    /// Shown in the status line while it runs.
    pub status_message: Option<String>,
    /// Where it was configured, as `hooks.Event[i].hooks[j]`.
    pub json_path: String,
}

/// One `{matcher, hooks}` group of an event.
#[derive(Debug, Clone)]
pub struct HookGroup {
    /// The compiled matcher.
    pub matcher: Matcher,
    /// The matcher as written.
    pub matcher_text: Option<String>,
    /// Run the group's hooks one after another (ferrule extension).
    pub sequential: bool,
    /// The hooks.
    pub hooks: Vec<Arc<HookSpec>>,
    /// Where the group was configured.
    pub source: Arc<HookSource>,
}
