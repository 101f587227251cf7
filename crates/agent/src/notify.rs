//! Hook events that report rather than decide: StopFailure when a run ends
//! on an error, Notification before the host is asked, and CwdChanged when
//! the shell's directory moved (cli-core.md §5.6).

use std::path::PathBuf;

use ferrule_hooks::{
    CwdChangedInput, EventPayload, NotificationInput, NotificationType, StopErrorType,
    StopFailureInput,
};
use ferrule_protocol::{AgentError, AgentErrorKind};
use serde_json::{Value, json};

use crate::core::lock;
use crate::pipeline::canonical;
use crate::turn::Turn;

/// The StopFailure payload of a run that failed with `error`; `None` for
/// failures that are not errors of the session (a hook blocked the prompt,
/// an interrupt).
pub(crate) fn stop_failure(
    error: &AgentError,
    last_assistant_message: &str,
) -> Option<EventPayload> {
    let error_type = match error.kind {
        AgentErrorKind::Hook | AgentErrorKind::Interrupted => return None,
        AgentErrorKind::Authentication => StopErrorType::AuthenticationFailed,
        AgentErrorKind::Billing => StopErrorType::BillingError,
        AgentErrorKind::RateLimit => StopErrorType::RateLimit,
        AgentErrorKind::InvalidRequest => StopErrorType::InvalidRequest,
        AgentErrorKind::Server => StopErrorType::ServerError,
        AgentErrorKind::MaxOutputTokens => StopErrorType::MaxOutputTokens,
        _ => StopErrorType::Unknown,
    };
    let error_details = match error.status {
        Some(status) => format!("HTTP status {status}"),
        None => String::new(),
    };
    Some(EventPayload::StopFailure(StopFailureInput {
        error_type,
        error: error.message.clone(),
        error_details,
        last_assistant_message: last_assistant_message.to_owned(),
    }))
}

/// The Notification sent just before the host is asked about a call:
/// `idle_prompt` while AskUserQuestion waits for answers, otherwise
/// `permission_prompt` naming the tool.
pub(crate) fn before_ask(name: &str, input: &Value, tool_use_id: &str) -> EventPayload {
    let details = json!({"tool_name": name, "tool_use_id": tool_use_id});
    let payload = if canonical(name) == "AskUserQuestion" {
        let questions: Vec<&str> = input
            .get("questions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|q| q.get("question").and_then(Value::as_str))
            .chain(input.get("question").and_then(Value::as_str))
            .collect();
        NotificationInput {
            notification_type: NotificationType::IdlePrompt,
            message: if questions.is_empty() {
                "Agent is waiting for your answer".to_owned()
            } else {
                format!("Agent is waiting for your answer: {}", questions.join(" "))
            },
            title: "Question".to_owned(),
            details,
        }
    } else {
        let subject = [
            "command",
            "file_path",
            "notebook_path",
            "url",
            "path",
            "pattern",
        ]
        .iter()
        .find_map(|key| input.get(*key).and_then(Value::as_str));
        NotificationInput {
            notification_type: NotificationType::PermissionPrompt,
            message: match subject {
                Some(subject) => {
                    format!("Agent is requesting permission to use {name}: {subject}")
                }
                None => format!("Agent is requesting permission to use {name}"),
            },
            title: "Permission Required".to_owned(),
            details,
        }
    };
    EventPayload::Notification(payload)
}

/// After a Bash call: when the shell's directory (its structured `cwd`)
/// differs from the last one seen, fires CwdChanged and returns the hooks'
/// added context.
pub(crate) async fn after_bash(turn: &Turn<'_>, name: &str, structured: &Value) -> Vec<String> {
    if canonical(name) != "Bash" {
        return Vec::new();
    }
    let Some(new_cwd) = structured.get("cwd").and_then(Value::as_str) else {
        return Vec::new();
    };
    let old_cwd = {
        let mut seen = lock(&turn.core.shell_cwd);
        if seen.as_os_str() == new_cwd {
            return Vec::new();
        }
        std::mem::replace(&mut *seen, PathBuf::from(new_cwd))
    };
    turn.fire(EventPayload::CwdChanged(CwdChangedInput {
        old_cwd: old_cwd.display().to_string(),
        new_cwd: new_cwd.to_owned(),
    }))
    .await
    .map(|outcome| {
        turn.core.live.report_watch_paths(outcome.watch_paths);
        outcome.additional_context
    })
    .unwrap_or_default()
}
