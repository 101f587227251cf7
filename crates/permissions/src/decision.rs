//! What `decide()` takes and returns: the request, hook verdicts, and the
//! explained decision.

use std::fmt;
use std::path::PathBuf;

/// The three outcomes of a permission check; also the three rule lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behavior {
    /// Run the tool.
    Allow,
    /// Needs confirmation from the environment (prompt, SDK host, hook).
    Ask,
    /// Do not run the tool.
    Deny,
}

impl Behavior {
    /// `allow`, `ask` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::Allow => "allow",
            Behavior::Ask => "ask",
            Behavior::Deny => "deny",
        }
    }
}

impl fmt::Display for Behavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a call asks; decides what each mode does with it (reference §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AskKind {
    /// Nothing covers the call; a tool-level allow may fill it.
    NoRule,
    /// An ask rule matched (or a malformed deny/ask rule names the tool).
    Rule,
    /// A protected path or a dangerous command.
    Safety,
    /// A catastrophic removal: survives bypass mode.
    Catastrophic,
    /// A write outside the working directories.
    Outside,
    /// The tool is itself a question to the user.
    Interaction,
    /// A PreToolUse hook asked.
    Hook,
}

impl AskKind {
    /// A snake_case name for output.
    pub fn as_str(self) -> &'static str {
        match self {
            AskKind::NoRule => "no_rule",
            AskKind::Rule => "rule",
            AskKind::Safety => "safety",
            AskKind::Catastrophic => "catastrophic",
            AskKind::Outside => "outside",
            AskKind::Interaction => "interaction",
            AskKind::Hook => "hook",
        }
    }
}

/// A PreToolUse hook's verdict, an input of `decide()` (reference §3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookVerdict {
    /// Approve without the pipeline.
    Allow,
    /// Deny without the pipeline.
    Deny,
    /// The call needs approval (at least `ask`, A-6).
    Ask,
}

/// One tool call to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The tool name as the model called it (`Task` is read as `Agent`).
    pub tool: String,
    /// The tool input.
    pub input: serde_json::Value,
    /// The PreToolUse hooks' verdict, if any gave one.
    pub hook: Option<HookVerdict>,
}

impl Request {
    /// A request without a hook verdict.
    pub fn new(tool: impl Into<String>, input: serde_json::Value) -> Self {
        Self {
            tool: tool.into(),
            input,
            hook: None,
        }
    }
}

/// The rule that decided, as written and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRule {
    /// The rule text as written in its source.
    pub text: String,
    /// The list it is in.
    pub list: Behavior,
    /// The settings file it came from, if any.
    pub source: Option<PathBuf>,
    /// Its index in that file's list.
    pub index: usize,
}

/// The answer of `decide()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// allow, ask or deny.
    pub behavior: Behavior,
    /// For `ask`, why.
    pub ask_kind: Option<AskKind>,
    /// The rule that decided, if a rule did.
    pub rule: Option<MatchedRule>,
    /// One line saying why.
    pub reason: String,
    /// Set on a deny of `auto` mode that stands only because no classifier
    /// took part: a host with one may ask it instead (reference §3.3 "Mode
    /// stage", A-4). Never set for protected paths, dangerous or
    /// catastrophic commands, or any other mode's verdict.
    pub classifiable: Option<Classifiable>,
}

/// What `auto` mode would have asked about, for the classifier that may
/// decide it in place of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classifiable {
    /// Why the call would ask.
    pub ask_kind: AskKind,
    /// The engine's reason for asking, before the mode stage.
    pub reason: String,
}
