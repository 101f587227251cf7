//! The hook events and what each one matches on and may block
//! (cli-core.md §5.6, `qoder-docs/cli/hooks.md` "Event Reference").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One point in the agent's run where hooks fire.
///
/// Variants are the documented event names, spelled exactly as in settings
/// files and in the `hook_event_name` input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HookEvent {
    /// A session starts (match field `source`).
    SessionStart,
    /// A session ends (match field `reason`).
    SessionEnd,
    /// The user submitted a prompt; it has not reached the model yet.
    UserPromptSubmit,
    /// A tool is about to run (match field: tool name).
    PreToolUse,
    /// A tool ran successfully (match field: tool name).
    PostToolUse,
    /// A tool failed (match field: tool name).
    PostToolUseFailure,
    /// A tool call needs the user's approval (match field: tool name).
    PermissionRequest,
    /// The permission classifier denied a tool call (match field: tool name).
    PermissionDenied,
    /// The main agent finished its answer.
    Stop,
    /// The agent stopped because of an error (match field `error_type`).
    StopFailure,
    /// A subagent starts (match field: agent type).
    SubagentStart,
    /// A subagent finished (match field: agent type).
    SubagentStop,
    /// The context is about to be compacted (match field `trigger`).
    PreCompact,
    /// The context was compacted (match field `trigger`).
    PostCompact,
    /// A user-facing notification (match field `notification_type`).
    Notification,
    /// An instruction or memory file was loaded (match field `load_reason`).
    InstructionsLoaded,
    /// A configuration file changed during the session (match field `source`).
    ConfigChange,
    /// The working directory changed.
    CwdChanged,
    /// A watched file changed (match field: the file's base name).
    FileChanged,
    /// An isolated worktree is to be created.
    WorktreeCreate,
    /// A worktree is being removed.
    WorktreeRemove,
    /// An MCP server asks the user for input (match field `mcp_server_name`).
    Elicitation,
    /// The user answered an elicitation (match field `mcp_server_name`).
    ElicitationResult,
}

/// What an exit code 2 (or a blocking decision) does for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocking {
    /// The event's action can be stopped (the tool call, the prompt, the
    /// stop, the compaction, the config change, the elicitation ...).
    Blocks,
    /// Exit 2 is only a non-blocking error shown to the user.
    NoEffect,
    /// The event is a notification: exit code and output are ignored.
    Ignored,
    /// Any non-zero exit fails the action (WorktreeCreate).
    AnyFailureBlocks,
}

impl HookEvent {
    /// Every event, in documentation order.
    pub const ALL: [HookEvent; 23] = [
        HookEvent::SessionStart,
        HookEvent::SessionEnd,
        HookEvent::UserPromptSubmit,
        HookEvent::PreToolUse,
        HookEvent::PostToolUse,
        HookEvent::PostToolUseFailure,
        HookEvent::PermissionRequest,
        HookEvent::PermissionDenied,
        HookEvent::Stop,
        HookEvent::StopFailure,
        HookEvent::SubagentStart,
        HookEvent::SubagentStop,
        HookEvent::PreCompact,
        HookEvent::PostCompact,
        HookEvent::Notification,
        HookEvent::InstructionsLoaded,
        HookEvent::ConfigChange,
        HookEvent::CwdChanged,
        HookEvent::FileChanged,
        HookEvent::WorktreeCreate,
        HookEvent::WorktreeRemove,
        HookEvent::Elicitation,
        HookEvent::ElicitationResult,
    ];

    /// The number of events (the length of [`HookEvent::ALL`]).
    pub const COUNT: usize = Self::ALL.len();

    /// The event's name as written in settings and payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::SessionEnd => "SessionEnd",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::PostToolUseFailure => "PostToolUseFailure",
            HookEvent::PermissionRequest => "PermissionRequest",
            HookEvent::PermissionDenied => "PermissionDenied",
            HookEvent::Stop => "Stop",
            HookEvent::StopFailure => "StopFailure",
            HookEvent::SubagentStart => "SubagentStart",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::PostCompact => "PostCompact",
            HookEvent::Notification => "Notification",
            HookEvent::InstructionsLoaded => "InstructionsLoaded",
            HookEvent::ConfigChange => "ConfigChange",
            HookEvent::CwdChanged => "CwdChanged",
            HookEvent::FileChanged => "FileChanged",
            HookEvent::WorktreeCreate => "WorktreeCreate",
            HookEvent::WorktreeRemove => "WorktreeRemove",
            HookEvent::Elicitation => "Elicitation",
            HookEvent::ElicitationResult => "ElicitationResult",
        }
    }

    /// The position of the event in [`HookEvent::ALL`] (a dense index).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the event is about one tool call (its match field is the tool
    /// name, and `if` conditions apply to it).
    pub fn is_tool_event(self) -> bool {
        matches!(
            self,
            HookEvent::PreToolUse
                | HookEvent::PostToolUse
                | HookEvent::PostToolUseFailure
                | HookEvent::PermissionRequest
                | HookEvent::PermissionDenied
        )
    }

    /// Whether the event has a match field at all. Events without one fire
    /// every group, whatever its `matcher` says.
    pub fn has_match_field(self) -> bool {
        !matches!(
            self,
            HookEvent::UserPromptSubmit
                | HookEvent::Stop
                | HookEvent::CwdChanged
                | HookEvent::WorktreeCreate
                | HookEvent::WorktreeRemove
        )
    }

    /// What exit code 2 does for this event (the "exit 2" column of
    /// cli-core.md §5.6).
    pub fn blocking(self) -> Blocking {
        match self {
            HookEvent::UserPromptSubmit
            | HookEvent::PreToolUse
            | HookEvent::Stop
            | HookEvent::SubagentStop
            | HookEvent::PreCompact
            | HookEvent::ConfigChange
            | HookEvent::Elicitation
            | HookEvent::ElicitationResult => Blocking::Blocks,
            HookEvent::StopFailure | HookEvent::InstructionsLoaded => Blocking::Ignored,
            HookEvent::WorktreeCreate => Blocking::AnyFailureBlocks,
            HookEvent::SessionStart
            | HookEvent::SessionEnd
            | HookEvent::PostToolUse
            | HookEvent::PostToolUseFailure
            | HookEvent::PermissionRequest
            | HookEvent::PermissionDenied
            | HookEvent::SubagentStart
            | HookEvent::PostCompact
            | HookEvent::Notification
            | HookEvent::CwdChanged
            | HookEvent::FileChanged
            | HookEvent::WorktreeRemove => Blocking::NoEffect,
        }
    }

    /// Whether `continue: false` in a hook's output stops the agent for this
    /// event (`[sdk-hooks]`, cli-core.md §5.5).
    pub fn honours_continue(self) -> bool {
        matches!(
            self,
            HookEvent::PreToolUse
                | HookEvent::PostToolUse
                | HookEvent::PostToolUseFailure
                | HookEvent::UserPromptSubmit
                | HookEvent::Stop
                | HookEvent::SubagentStop
        )
    }

    /// Whether plain (non-JSON) stdout of a successful hook is injected into
    /// the conversation as context.
    pub fn injects_plain_stdout(self) -> bool {
        matches!(self, HookEvent::SessionStart | HookEvent::UserPromptSubmit)
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event name that is not one of [`HookEvent::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hook event `{0}` (known events: {known})", known = known_names())]
pub struct UnknownEvent(pub String);

fn known_names() -> String {
    HookEvent::ALL
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for HookEvent {
    type Err = UnknownEvent;

    /// Parses an event name exactly as documented (case-sensitive, as in
    /// settings files).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HookEvent::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| UnknownEvent(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_event_round_trips_through_its_name_and_index() {
        for (i, event) in HookEvent::ALL.iter().enumerate() {
            assert_eq!(event.as_str().parse::<HookEvent>(), Ok(*event));
            assert_eq!(event.index(), i);
        }
    }

    #[test]
    fn unknown_event_names_are_rejected_with_the_known_list() {
        let err = "pretooluse".parse::<HookEvent>().unwrap_err();
        assert!(err.to_string().contains("unknown hook event `pretooluse`"));
        assert!(err.to_string().contains("PreToolUse"));
    }
}
