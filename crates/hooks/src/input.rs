//! The JSON a hook receives: the common fields plus the event's own fields
//! (cli-core.md §5.4 "Common fields", `qoder-docs/cli/hooks.md` "Input").

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::HookEvent;
use crate::payload::{
    CompactTrigger, ConfigChangeInput, ConfigSource, CwdChangedInput, ElicitationAction,
    ElicitationInput, ElicitationResultInput, FileChangedInput, FileEvent, InstructionsLoadedInput,
    LoadReason, NotificationInput, NotificationType, PermissionDeniedInput, PermissionRequestInput,
    PostCompactInput, PostToolUseFailureInput, PostToolUseInput, PreCompactInput, PreToolUseInput,
    SessionEndInput, SessionEndReason, SessionSource, SessionStartInput, StopErrorType,
    StopFailureInput, StopInput, SubagentStartInput, SubagentStopInput, ToolCall,
    UserPromptSubmitInput, WorktreeCreateInput, WorktreeRemoveInput,
};

/// Fields every event carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommonFields {
    /// The session's id.
    pub session_id: String,
    /// The session's transcript file.
    pub transcript_path: String,
    /// The current working directory.
    pub cwd: String,
    /// The permission mode, when the event has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
    /// The agent's id, when the event comes from a subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The agent's type, when the event comes from a subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_type: Option<String>,
}

/// The event-specific part of a hook input; the variant is the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "hook_event_name")]
#[non_exhaustive]
#[expect(missing_docs, reason = "each variant is the event of the same name")]
pub enum EventPayload {
    SessionStart(SessionStartInput),
    SessionEnd(SessionEndInput),
    UserPromptSubmit(UserPromptSubmitInput),
    PreToolUse(PreToolUseInput),
    PostToolUse(PostToolUseInput),
    PostToolUseFailure(PostToolUseFailureInput),
    PermissionRequest(PermissionRequestInput),
    PermissionDenied(PermissionDeniedInput),
    Stop(StopInput),
    StopFailure(StopFailureInput),
    SubagentStart(SubagentStartInput),
    SubagentStop(SubagentStopInput),
    PreCompact(PreCompactInput),
    PostCompact(PostCompactInput),
    Notification(NotificationInput),
    InstructionsLoaded(InstructionsLoadedInput),
    ConfigChange(ConfigChangeInput),
    CwdChanged(CwdChangedInput),
    FileChanged(FileChangedInput),
    WorktreeCreate(WorktreeCreateInput),
    WorktreeRemove(WorktreeRemoveInput),
    Elicitation(ElicitationInput),
    ElicitationResult(ElicitationResultInput),
}

/// A complete hook input: what is written to a command hook's stdin and
/// POSTed to an http hook.
#[derive(Debug, Clone, PartialEq)]
pub struct HookInput {
    /// The common fields.
    pub common: CommonFields,
    /// The event and its fields.
    pub payload: EventPayload,
}

/// Why a JSON value is not a valid hook input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {event} hook input at `{path}`: {message}")]
pub struct InputError {
    /// The event the input was read as.
    pub event: String,
    /// The JSON path of the offending field (`.` for the whole value).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl HookInput {
    /// An input of `payload` with `common`.
    pub fn new(common: CommonFields, payload: EventPayload) -> Self {
        Self { common, payload }
    }

    /// The event this input is for.
    pub fn event(&self) -> HookEvent {
        self.payload.event()
    }

    /// The value the event's matchers are tested against (tool name,
    /// source, trigger, the changed file's base name ...), or `None` for
    /// events without a match field.
    pub fn match_value(&self) -> Option<&str> {
        use EventPayload as P;
        Some(match &self.payload {
            P::SessionStart(p) => p.source.as_str(),
            P::SessionEnd(p) => p.reason.as_str(),
            P::PreToolUse(p) => &p.call.tool_name,
            P::PostToolUse(p) => &p.call.tool_name,
            P::PostToolUseFailure(p) => &p.call.tool_name,
            P::PermissionRequest(p) => &p.tool_name,
            P::PermissionDenied(p) => &p.tool_name,
            P::StopFailure(p) => p.error_type.as_str(),
            P::SubagentStart(p) => &p.agent_type,
            P::SubagentStop(p) => &p.agent_type,
            P::PreCompact(p) => p.trigger.as_str(),
            P::PostCompact(p) => p.trigger.as_str(),
            P::Notification(p) => p.notification_type.as_str(),
            P::InstructionsLoaded(p) => p.load_reason.as_str(),
            P::ConfigChange(p) => p.source.as_str(),
            P::FileChanged(p) => base_name(&p.file_path),
            P::Elicitation(p) => &p.mcp_server_name,
            P::ElicitationResult(p) => &p.mcp_server_name,
            P::UserPromptSubmit(_)
            | P::Stop(_)
            | P::CwdChanged(_)
            | P::WorktreeCreate(_)
            | P::WorktreeRemove(_) => return None,
        })
    }

    /// The tool name and input, for tool events.
    pub fn tool(&self) -> Option<(&str, &Value)> {
        use EventPayload as P;
        match &self.payload {
            P::PreToolUse(p) => Some((&p.call.tool_name, &p.call.tool_input)),
            P::PostToolUse(p) => Some((&p.call.tool_name, &p.call.tool_input)),
            P::PostToolUseFailure(p) => Some((&p.call.tool_name, &p.call.tool_input)),
            P::PermissionRequest(p) => Some((&p.tool_name, &p.tool_input)),
            P::PermissionDenied(p) => Some((&p.tool_name, &p.tool_input)),
            _ => None,
        }
    }

    /// The tool call id, for events that have one.
    pub fn tool_use_id(&self) -> Option<&str> {
        use EventPayload as P;
        match &self.payload {
            P::PreToolUse(p) => Some(&p.call.tool_use_id),
            P::PostToolUse(p) => Some(&p.call.tool_use_id),
            P::PostToolUseFailure(p) => Some(&p.call.tool_use_id),
            P::PermissionDenied(p) => Some(&p.tool_use_id),
            _ => None,
        }
    }

    /// The input as one JSON object: the common fields, `hook_event_name`,
    /// then the event's fields (which win over common fields of the same
    /// name, such as a SubagentStart's `agent_id`).
    pub fn to_json(&self) -> Value {
        let mut object = match serde_json::to_value(&self.common) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        if let Ok(Value::Object(fields)) = serde_json::to_value(&self.payload) {
            let name = fields.get("hook_event_name").cloned();
            if let Some(name) = name {
                object.insert("hook_event_name".to_owned(), name);
            }
            for (key, value) in fields {
                object.insert(key, value);
            }
        }
        Value::Object(object)
    }

    /// Reads an input back from JSON (as written by [`HookInput::to_json`]
    /// or by another implementation). Unknown fields are ignored.
    ///
    /// # Errors
    /// A missing or mistyped field, named by its JSON path.
    pub fn from_json(value: &Value) -> Result<Self, InputError> {
        let event = value
            .get("hook_event_name")
            .and_then(Value::as_str)
            .unwrap_or("<missing hook_event_name>")
            .to_owned();
        let error = |e: serde_path_to_error::Error<serde_json::Error>| InputError {
            event: event.clone(),
            path: e.path().to_string(),
            message: e.inner().to_string(),
        };
        let mut common: CommonFields = serde_path_to_error::deserialize(value).map_err(error)?;
        let known: HookEvent =
            event
                .parse()
                .map_err(|e: crate::event::UnknownEvent| InputError {
                    event: event.clone(),
                    path: "hook_event_name".to_owned(),
                    message: e.to_string(),
                })?;
        let payload = payload_from(known, value).map_err(error)?;
        if matches!(
            payload,
            EventPayload::SubagentStart(_) | EventPayload::SubagentStop(_)
        ) {
            // The subagent's id and type are the event's own fields there.
            common.agent_id = None;
            common.agent_type = None;
        }
        Ok(Self { common, payload })
    }

    /// A made-up input for `event` with plausible defaults (what `ferrule
    /// hooks test` fires): an empty tool input for tool events, `startup`
    /// for SessionStart, and so on. `tool` names the tool of tool events
    /// (default `Bash`).
    pub fn sample(event: HookEvent, common: CommonFields, tool: Option<&str>) -> Self {
        let tool_name = tool.unwrap_or("Bash").to_owned();
        let call = ToolCall {
            tool_name: tool_name.clone(),
            tool_input: Value::Object(Map::new()),
            tool_use_id: "toolu_test".to_owned(),
            mcp_context: None,
            original_request_name: None,
        };
        let cwd = common.cwd.clone();
        let empty = Value::Object(Map::new());
        use EventPayload as P;
        let payload = match event {
            HookEvent::SessionStart => P::SessionStart(SessionStartInput {
                source: SessionSource::Startup,
                model: "default".to_owned(),
            }),
            HookEvent::SessionEnd => P::SessionEnd(SessionEndInput {
                reason: SessionEndReason::Other,
            }),
            HookEvent::UserPromptSubmit => P::UserPromptSubmit(UserPromptSubmitInput {
                prompt: String::new(),
            }),
            HookEvent::PreToolUse => P::PreToolUse(PreToolUseInput { call }),
            HookEvent::PostToolUse => P::PostToolUse(PostToolUseInput {
                call,
                tool_response: empty,
                duration_ms: None,
            }),
            HookEvent::PostToolUseFailure => P::PostToolUseFailure(PostToolUseFailureInput {
                call,
                error: String::new(),
                error_type: "execution_failed".to_owned(),
                is_interrupt: false,
            }),
            HookEvent::PermissionRequest => P::PermissionRequest(PermissionRequestInput {
                tool_name,
                tool_input: call.tool_input,
                permission_suggestions: Vec::new(),
            }),
            HookEvent::PermissionDenied => P::PermissionDenied(PermissionDeniedInput {
                tool_name,
                tool_input: call.tool_input,
                tool_use_id: call.tool_use_id,
                reason: String::new(),
            }),
            HookEvent::Stop => P::Stop(StopInput {
                stop_hook_active: false,
                last_assistant_message: String::new(),
            }),
            HookEvent::StopFailure => P::StopFailure(StopFailureInput {
                error_type: StopErrorType::Unknown,
                error: String::new(),
                error_details: String::new(),
                last_assistant_message: String::new(),
            }),
            HookEvent::SubagentStart => P::SubagentStart(SubagentStartInput {
                agent_id: "agent_test".to_owned(),
                agent_type: tool_name,
            }),
            HookEvent::SubagentStop => P::SubagentStop(SubagentStopInput {
                agent_id: "agent_test".to_owned(),
                agent_type: tool_name,
                stop_hook_active: false,
                agent_transcript_path: String::new(),
                last_assistant_message: String::new(),
            }),
            HookEvent::PreCompact => P::PreCompact(PreCompactInput {
                trigger: CompactTrigger::Manual,
                custom_instructions: String::new(),
            }),
            HookEvent::PostCompact => P::PostCompact(PostCompactInput {
                trigger: CompactTrigger::Manual,
                compact_summary: String::new(),
            }),
            HookEvent::Notification => P::Notification(NotificationInput {
                notification_type: NotificationType::IdlePrompt,
                message: String::new(),
                title: String::new(),
                details: empty,
            }),
            HookEvent::InstructionsLoaded => P::InstructionsLoaded(InstructionsLoadedInput {
                file_path: Path::new(&cwd).join("AGENTS.md").display().to_string(),
                memory_type: "project".to_owned(),
                load_reason: LoadReason::SessionStart,
                globs: Vec::new(),
                trigger_file_path: None,
                parent_file_path: None,
            }),
            HookEvent::ConfigChange => P::ConfigChange(ConfigChangeInput {
                source: ConfigSource::ProjectSettings,
                file_path: Path::new(&cwd)
                    .join(".qoder/settings.json")
                    .display()
                    .to_string(),
            }),
            HookEvent::CwdChanged => P::CwdChanged(CwdChangedInput {
                old_cwd: cwd.clone(),
                new_cwd: cwd,
            }),
            HookEvent::FileChanged => P::FileChanged(FileChangedInput {
                file_path: Path::new(&cwd).join("README.md").display().to_string(),
                event: FileEvent::Change,
            }),
            HookEvent::WorktreeCreate => P::WorktreeCreate(WorktreeCreateInput {
                name: "test".to_owned(),
            }),
            HookEvent::WorktreeRemove => P::WorktreeRemove(WorktreeRemoveInput {
                worktree_path: Path::new(&cwd)
                    .join(".qoder/worktrees/test")
                    .display()
                    .to_string(),
            }),
            HookEvent::Elicitation => P::Elicitation(ElicitationInput {
                mcp_server_name: tool_name,
                message: String::new(),
                mode: "form".to_owned(),
                url: None,
                elicitation_id: "elicitation_test".to_owned(),
                requested_schema: empty,
            }),
            HookEvent::ElicitationResult => P::ElicitationResult(ElicitationResultInput {
                mcp_server_name: tool_name,
                action: ElicitationAction::Accept,
                content: empty,
                mode: "form".to_owned(),
                elicitation_id: "elicitation_test".to_owned(),
            }),
        };
        Self { common, payload }
    }
}

impl Serialize for HookInput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl EventPayload {
    /// The event of this payload.
    pub fn event(&self) -> HookEvent {
        use EventPayload as P;
        match self {
            P::SessionStart(_) => HookEvent::SessionStart,
            P::SessionEnd(_) => HookEvent::SessionEnd,
            P::UserPromptSubmit(_) => HookEvent::UserPromptSubmit,
            P::PreToolUse(_) => HookEvent::PreToolUse,
            P::PostToolUse(_) => HookEvent::PostToolUse,
            P::PostToolUseFailure(_) => HookEvent::PostToolUseFailure,
            P::PermissionRequest(_) => HookEvent::PermissionRequest,
            P::PermissionDenied(_) => HookEvent::PermissionDenied,
            P::Stop(_) => HookEvent::Stop,
            P::StopFailure(_) => HookEvent::StopFailure,
            P::SubagentStart(_) => HookEvent::SubagentStart,
            P::SubagentStop(_) => HookEvent::SubagentStop,
            P::PreCompact(_) => HookEvent::PreCompact,
            P::PostCompact(_) => HookEvent::PostCompact,
            P::Notification(_) => HookEvent::Notification,
            P::InstructionsLoaded(_) => HookEvent::InstructionsLoaded,
            P::ConfigChange(_) => HookEvent::ConfigChange,
            P::CwdChanged(_) => HookEvent::CwdChanged,
            P::FileChanged(_) => HookEvent::FileChanged,
            P::WorktreeCreate(_) => HookEvent::WorktreeCreate,
            P::WorktreeRemove(_) => HookEvent::WorktreeRemove,
            P::Elicitation(_) => HookEvent::Elicitation,
            P::ElicitationResult(_) => HookEvent::ElicitationResult,
        }
    }
}

/// Deserializes the event's own struct directly (not through the tagged
/// enum), so that errors carry the field's path.
fn payload_from(
    event: HookEvent,
    value: &Value,
) -> Result<EventPayload, serde_path_to_error::Error<serde_json::Error>> {
    macro_rules! each {
        ($($name:ident),+ $(,)?) => {
            match event {
                $(HookEvent::$name => serde_path_to_error::deserialize(value).map(EventPayload::$name),)+
            }
        };
    }
    each!(
        SessionStart,
        SessionEnd,
        UserPromptSubmit,
        PreToolUse,
        PostToolUse,
        PostToolUseFailure,
        PermissionRequest,
        PermissionDenied,
        Stop,
        StopFailure,
        SubagentStart,
        SubagentStop,
        PreCompact,
        PostCompact,
        Notification,
        InstructionsLoaded,
        ConfigChange,
        CwdChanged,
        FileChanged,
        WorktreeCreate,
        WorktreeRemove,
        Elicitation,
        ElicitationResult,
    )
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_sample_round_trips_through_json() {
        for event in HookEvent::ALL {
            let input = HookInput::sample(event, CommonFields::default(), None);
            assert_eq!(input.event(), event);
            let back = HookInput::from_json(&input.to_json());
            assert_eq!(back, Ok(input));
        }
    }

    #[test]
    fn a_mistyped_field_is_named_by_its_path() {
        let value = serde_json::json!({
            "session_id": "s", "transcript_path": "t", "cwd": "/",
            "hook_event_name": "Stop", "stop_hook_active": "yes", "last_assistant_message": ""
        });
        let err = HookInput::from_json(&value).unwrap_err();
        assert_eq!(err.path, "stop_hook_active");
        assert_eq!(err.event, "Stop");
    }

    #[test]
    fn file_changed_matches_on_the_base_name() {
        let mut input = HookInput::sample(HookEvent::FileChanged, CommonFields::default(), None);
        if let EventPayload::FileChanged(p) = &mut input.payload {
            p.file_path = "/a/b/package.json".to_owned();
        }
        assert_eq!(input.match_value(), Some("package.json"));
    }
}
