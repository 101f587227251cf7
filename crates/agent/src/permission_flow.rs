//! The "ask" and "deny" ends of the pipeline: PermissionRequest hooks, the
//! host's asker, permission updates, and the refusal record.

use ferrule_hooks::{
    EventPayload, PermissionDeniedInput, PermissionRequestDecision, PermissionRequestInput,
};
use ferrule_permissions::{Classifiable, Decision};
use ferrule_protocol::sdk::{PermissionDenial, PermissionUpdate};
use serde_json::Value;

use crate::ask::{AskAnswer, AskRequest};
use crate::classifier::{Classifier, ClassifyRequest, ClassifyVerdict};
use crate::core::lock;
use crate::pipeline::{Call, CallOutcome, Halt, canonical};
use crate::turn::Turn;

/// The answer to an ask.
pub(crate) enum Resolved {
    Allow(Value),
    Deny {
        message: String,
        interrupt: bool,
        reason_type: &'static str,
    },
    Interrupted,
}

/// Asks the PermissionRequest hooks, then the host.
pub(crate) async fn resolve_ask(
    turn: &Turn<'_>,
    call: &Call,
    input: &Value,
    decision: &Decision,
    context: &mut Vec<String>,
) -> Resolved {
    let name = call.block.name.as_str();
    let suggestions = crate::suggest::suggestions(canonical(name), input, decision);
    if let Some(outcome) = turn
        .fire(EventPayload::PermissionRequest(PermissionRequestInput {
            tool_name: name.to_owned(),
            tool_input: input.clone(),
            permission_suggestions: suggestions
                .iter()
                .filter_map(|update| serde_json::to_value(update).ok())
                .collect(),
        }))
        .await
    {
        match outcome.permission_request {
            Some(PermissionRequestDecision::Allow {
                updated_input,
                updated_permissions,
            }) => {
                let updates: Vec<PermissionUpdate> = updated_permissions
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|value| match serde_json::from_value(value) {
                        Ok(update) => Some(update),
                        Err(error) => {
                            tracing::warn!(%error, "a PermissionRequest hook sent an unreadable permission update");
                            None
                        }
                    })
                    .collect();
                lock(&turn.core.permissions).apply(&updates);
                return Resolved::Allow(updated_input.unwrap_or_else(|| input.clone()));
            }
            Some(PermissionRequestDecision::Deny { message, interrupt }) => {
                return Resolved::Deny {
                    message: message.unwrap_or_else(|| {
                        format!("A PermissionRequest hook denied this {name} call.")
                    }),
                    interrupt: interrupt.unwrap_or(false),
                    reason_type: "hook",
                };
            }
            None => {}
        }
    }
    if let Some(outcome) = turn
        .fire(crate::notify::before_ask(name, input, &call.block.id))
        .await
    {
        context.extend(outcome.additional_context);
    }
    let request = AskRequest {
        tool_use_id: call.block.id.clone(),
        tool_name: name.to_owned(),
        input: input.clone(),
        decision: decision.clone(),
        suggestions,
        agent_id: turn.scope.agent_id.clone(),
        cancel: turn.cancel.clone(),
    };
    let answer = tokio::select! {
        biased;
        () = turn.cancel.cancelled() => return Resolved::Interrupted,
        answer = turn.core.asker.ask(request) => answer,
    };
    match answer {
        AskAnswer::Allow {
            updated_input,
            updated_permissions,
        } => {
            lock(&turn.core.permissions).apply(&updated_permissions);
            Resolved::Allow(updated_input.unwrap_or_else(|| input.clone()))
        }
        AskAnswer::Deny { message, interrupt } => Resolved::Deny {
            message,
            interrupt,
            reason_type: "user",
        },
    }
}

/// Added to a refusal when a PermissionDenied hook answers `retry: true`.
const RETRY_NOTE: &str =
    "\n\nA PermissionDenied hook allows a retry: you may make this tool call again.";

/// A refused call: an error result, a denial record, the PermissionDenied
/// hook (whose `retry: true` tells the model it may try again).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per refusal kind, all fields needed"
)]
pub(crate) async fn denied(
    turn: &Turn<'_>,
    call: &Call,
    input: &Value,
    message: String,
    reason_type: &str,
    decision: &Decision,
    interrupt: bool,
    context: Vec<String>,
) -> CallOutcome {
    let name = call.block.name.as_str();
    let id = call.block.id.as_str();
    let mut message = message;
    if reason_type != "hook" {
        let outcome = turn
            .fire(EventPayload::PermissionDenied(PermissionDeniedInput {
                tool_name: name.to_owned(),
                tool_input: input.clone(),
                tool_use_id: id.to_owned(),
                reason: decision.reason.clone(),
            }))
            .await;
        if outcome.is_some_and(|o| o.retry) {
            // The hook vouches for another attempt; the model is told so
            // and may call the tool again, which goes through the pipeline
            // afresh.
            message.push_str(RETRY_NOTE);
        }
    }
    CallOutcome {
        denial: Some(PermissionDenial {
            tool_name: name.to_owned(),
            tool_use_id: id.to_owned(),
            tool_input: input.clone(),
            message: Some(message.clone()),
            decision_reason_type: Some(reason_type.to_owned()),
            decision_reason: Some(decision.reason.clone()),
        }),
        halt: interrupt.then_some(Halt::Interrupt),
        context,
        ..CallOutcome::error(id, message)
    }
}

/// What the `auto` mode classifier made of a call.
pub(crate) enum Classified {
    Allow,
    /// Refused, or no verdict could be had (fail closed): the message for
    /// the model.
    Deny(String),
    Interrupted,
}

/// Asks the session's classifier about a call `auto` mode would deny
/// without one.
pub(crate) async fn classify(
    turn: &Turn<'_>,
    classifier: &dyn Classifier,
    call: &Call,
    input: &Value,
    classifiable: &Classifiable,
) -> Classified {
    let name = call.block.name.as_str();
    let request = ClassifyRequest {
        tool_name: name.to_owned(),
        input: input.clone(),
        ask_reason: classifiable.reason.clone(),
        user_request: turn.request.clone(),
        cwd: turn.cwd(),
        cancel: turn.cancel.clone(),
    };
    let verdict = tokio::select! {
        biased;
        () = turn.cancel.cancelled() => return Classified::Interrupted,
        verdict = classifier.classify(request) => verdict,
    };
    match verdict {
        Ok(ClassifyVerdict::Allow { reason }) => {
            tracing::info!(call_id = %call.block.id, tool_name = %name, %reason, "the auto mode classifier allowed the call");
            Classified::Allow
        }
        Ok(ClassifyVerdict::Deny { reason }) => Classified::Deny(format!(
            "Permission to use {name} was denied by the auto mode classifier: {reason}"
        )),
        Err(error) => {
            tracing::warn!(call_id = %call.block.id, tool_name = %name, %error, "the auto mode classifier gave no verdict");
            Classified::Deny(format!(
                "Permission to use {name} was denied: auto mode could not get a verdict from its classifier ({error}), so it refuses the call."
            ))
        }
    }
}
