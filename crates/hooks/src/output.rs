//! The JSON a hook prints (or returns): common fields and the per-event
//! `hookSpecificOutput` (cli-core.md §5.5, sdk-protocol.md §10).
//!
//! [`parse_output`] is the parser of untrusted hook text; it is fuzzed
//! (`fuzz/fuzz_targets/fuzz_hook_output.rs`): anything it accepts prints
//! back with [`HookOutput::to_json`] and re-parses to the same value.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::HookEvent;
use crate::parse::kind_of;
use crate::payload::ElicitationAction;

/// The top-level `decision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Decision {
    /// Let it proceed.
    Allow,
    /// Stop it (≡ exit 2).
    Deny,
    /// Stop it (Stop/SubagentStop: keep the agent going).
    Block,
    /// Claude Code's older spelling of `allow`.
    Approve,
}

/// PreToolUse `permissionDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionDecision {
    /// No opinion (SDK).
    Defer,
    /// Approve without the pipeline.
    Allow,
    /// The call needs approval.
    Ask,
    /// Deny.
    Deny,
}

/// PermissionRequest `decision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "behavior", rename_all = "lowercase")]
pub enum PermissionRequestDecision {
    /// Allow, optionally with a rewritten input and permission updates.
    Allow {
        /// Replaces the tool input.
        #[serde(
            rename = "updatedInput",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        updated_input: Option<Value>,
        /// PermissionUpdate objects to apply.
        #[serde(
            rename = "updatedPermissions",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        updated_permissions: Option<Vec<Value>>,
    },
    /// Deny, optionally with a message and an interrupt.
    Deny {
        /// Shown to the user.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// Interrupt the current operation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interrupt: Option<bool>,
    },
}

/// `hookSpecificOutput`: every documented field of every event. Which ones
/// an event uses is decided when outcomes merge; unknown ones are dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecificOutput {
    /// The event the output is for (required).
    pub hook_event_name: String,
    /// PreToolUse: allow / deny / ask / defer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_decision: Option<PermissionDecision>,
    /// PreToolUse: the reason of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_decision_reason: Option<String>,
    /// PreToolUse: replaces the tool input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_input: Option<Value>,
    /// Context injected into the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_context: Option<String>,
    /// PostToolUse: replaces the tool's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_tool_output: Option<Value>,
    /// PostToolUse: replaces an MCP tool's output (lower priority).
    #[serde(
        default,
        rename = "updatedMCPToolOutput",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_mcp_tool_output: Option<Value>,
    /// PermissionRequest: the decision object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<PermissionRequestDecision>,
    /// PermissionDenied: retry the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<bool>,
    /// Stop / SubagentStop: clear the conversation context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_context: Option<bool>,
    /// UserPromptSubmit: a suggested session title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_title: Option<String>,
    /// SessionStart: a first user message (SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_user_message: Option<String>,
    /// CwdChanged / FileChanged / SessionStart: paths to watch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_paths: Option<Vec<String>>,
    /// WorktreeCreate: the created worktree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree_path: Option<String>,
    /// Elicitation / ElicitationResult: the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ElicitationAction>,
    /// Elicitation / ElicitationResult: the content of an `accept`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    /// PostToolUse (IDE): feedback shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// A hook's parsed JSON output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookOutput {
    /// `false` asks to stop the agent.
    #[serde(rename = "continue", default, skip_serializing_if = "Option::is_none")]
    pub continue_: Option<bool>,
    /// Why, with `continue: false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Do not show the hook's output to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress_output: Option<bool>,
    /// Shown to the user only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_message: Option<String>,
    /// The event-specific decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The reason of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// SDK: do not wait for this hook's result.
    #[serde(rename = "async", default, skip_serializing_if = "Option::is_none")]
    pub async_: Option<bool>,
    /// SDK: how long the background hook may take, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_timeout: Option<u64>,
    /// Event-specific fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_specific_output: Option<SpecificOutput>,
}

/// Why a hook's output was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// Not JSON at all.
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// JSON, but not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// `hookSpecificOutput` without `hookEventName`.
    #[error("hookSpecificOutput is missing required field \"hookEventName\"")]
    MissingEventName,
    /// `hookSpecificOutput.hookEventName` names another event.
    #[error("hookSpecificOutput.hookEventName is \"{found}\" but the hook ran for {expected}")]
    WrongEvent {
        /// The event that fired.
        expected: HookEvent,
        /// What the hook wrote.
        found: String,
    },
    /// A known field with the wrong type or value.
    #[error("`{path}`: {message}")]
    Field {
        /// The JSON path of the field.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Parses `text` as the output of a hook that ran for `event`.
///
/// # Errors
/// See [`OutputError`]; the messages name the line/column or field.
pub fn parse_output(event: HookEvent, text: &str) -> Result<HookOutput, OutputError> {
    // serde_json says column 0 at the very start (empty text); positions
    // here are 1-based.
    let value: Value = serde_json::from_str(text).map_err(|e| OutputError::Json {
        line: e.line().max(1),
        column: e.column().max(1),
        message: strip_position(&e.to_string()),
    })?;
    from_value(event, value)
}

/// Like [`parse_output`], for a value already parsed (http bodies, SDK
/// callback answers).
///
/// # Errors
/// See [`OutputError`].
pub fn parse_output_value(event: HookEvent, value: &Value) -> Result<HookOutput, OutputError> {
    from_value(event, value.clone())
}

fn from_value(event: HookEvent, value: Value) -> Result<HookOutput, OutputError> {
    let Value::Object(mut object) = value else {
        return Err(OutputError::NotAnObject(kind_of(&value)));
    };
    if let Some(specific) = object.get("hookSpecificOutput") {
        match specific {
            Value::Object(o) => match o.get("hookEventName") {
                None | Some(Value::Null) => return Err(OutputError::MissingEventName),
                Some(Value::String(name)) if name != event.as_str() => {
                    return Err(OutputError::WrongEvent {
                        expected: event,
                        found: name.clone(),
                    });
                }
                Some(_) => {}
            },
            Value::Null => {}
            other => {
                return Err(OutputError::Field {
                    path: "hookSpecificOutput".to_owned(),
                    message: format!("expected an object, found {}", kind_of(other)),
                });
            }
        }
    }
    // `null` at the top level means "not given" (scripts often print
    // `"systemMessage": null`).
    object.retain(|_, v| !v.is_null());
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| OutputError::Field {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

impl HookOutput {
    /// The output as JSON, with the documented field names.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn strip_position(s: &str) -> String {
    match s.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_pre_tool_use_decision_parses() {
        let out = parse_output(
            HookEvent::PreToolUse,
            r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"no"}}"#,
        )
        .unwrap();
        let specific = out.hook_specific_output.unwrap();
        assert_eq!(specific.permission_decision, Some(PermissionDecision::Deny));
        assert_eq!(specific.permission_decision_reason.as_deref(), Some("no"));
    }

    #[test]
    fn specific_output_without_event_name_is_rejected_with_the_documented_message() {
        let err = parse_output(HookEvent::PreToolUse, r#"{"hookSpecificOutput":{}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "hookSpecificOutput is missing required field \"hookEventName\""
        );
    }

    #[test]
    fn garbage_names_line_and_column() {
        let err = parse_output(HookEvent::Stop, "{\n  oops").unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::Json {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_output_is_an_error_at_line_one_column_one() {
        let err = parse_output(HookEvent::Stop, "").unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::Json {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_bad_field_value_is_named() {
        let err = parse_output(HookEvent::Stop, r#"{"decision":"maybe"}"#).unwrap_err();
        assert!(
            matches!(&err, OutputError::Field { path, .. } if path == "decision"),
            "{err}"
        );
    }

    #[test]
    fn permission_request_decisions_parse_by_behavior() {
        let out = parse_output(
            HookEvent::PermissionRequest,
            r#"{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"m","interrupt":true}}}"#,
        )
        .unwrap();
        assert_eq!(
            out.hook_specific_output.unwrap().decision,
            Some(PermissionRequestDecision::Deny {
                message: Some("m".to_owned()),
                interrupt: Some(true)
            })
        );
    }

    #[test]
    fn output_round_trips() {
        let text = r#"{"continue":false,"stopReason":"s","suppressOutput":true,"systemMessage":"m","decision":"block","reason":"r","hookSpecificOutput":{"hookEventName":"Stop","clearContext":true}}"#;
        let out = parse_output(HookEvent::Stop, text).unwrap();
        assert_eq!(out.to_json().to_string(), text);
    }
}
