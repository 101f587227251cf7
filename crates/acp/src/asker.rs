//! "Ask" answered by the ACP client: every tool call the permission engine
//! cannot decide becomes a `session/request_permission` request with
//! "allow once", "always allow" and "reject" options, and the turn waits
//! for the choice. An interrupt withdraws the request and denies.

use std::path::PathBuf;

use agent_client_protocol::Client;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    PermissionOption, PermissionOptionKind, RequestPermissionOutcome, RequestPermissionRequest,
    SessionId, ToolCallUpdate,
};
use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker};
use ferrule_permissions::Behavior;
use ferrule_protocol::sdk::{
    PermissionBehavior, PermissionDestination, PermissionRuleValue, PermissionUpdate,
};

use crate::tool_view;

/// Option id: run this call.
pub const ALLOW_ONCE: &str = "allow_once";
/// Option id: run it, and allow calls like it for the rest of the session.
pub const ALLOW_ALWAYS: &str = "allow_always";
/// Option id: do not run it.
pub const REJECT_ONCE: &str = "reject_once";

/// Sends permission requests for one session to the client.
pub(crate) struct ClientAsker {
    pub(crate) connection: ConnectionTo<Client>,
    pub(crate) session_id: SessionId,
    pub(crate) cwd: PathBuf,
}

/// The options offered with every request.
fn options() -> Vec<PermissionOption> {
    vec![
        PermissionOption::new(ALLOW_ONCE, "Allow", PermissionOptionKind::AllowOnce),
        PermissionOption::new(
            ALLOW_ALWAYS,
            "Always allow",
            PermissionOptionKind::AllowAlways,
        ),
        PermissionOption::new(REJECT_ONCE, "Reject", PermissionOptionKind::RejectOnce),
    ]
}

/// What "always allow" adds for the session: the engine's suggested rules
/// and directories (a mode switch is not a rule, so it is left out), or a
/// rule for the whole tool when nothing was suggested.
pub(crate) fn always_updates(request: &AskRequest) -> Vec<PermissionUpdate> {
    let mut updates: Vec<PermissionUpdate> = request
        .suggestions
        .iter()
        .filter_map(|update| match update {
            PermissionUpdate::AddRules {
                rules, behavior, ..
            } => Some(PermissionUpdate::AddRules {
                rules: rules.clone(),
                behavior: *behavior,
                destination: PermissionDestination::Session,
            }),
            PermissionUpdate::AddDirectories { directories, .. } => {
                Some(PermissionUpdate::AddDirectories {
                    directories: directories.clone(),
                    destination: PermissionDestination::Session,
                })
            }
            _ => None,
        })
        .collect();
    if updates.is_empty() {
        updates.push(PermissionUpdate::AddRules {
            rules: vec![PermissionRuleValue {
                tool_name: request.tool_name.clone(),
                rule_content: None,
            }],
            behavior: PermissionBehavior::Allow,
            destination: PermissionDestination::Session,
        });
    }
    updates
}

#[async_trait]
impl Asker for ClientAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        if request.decision.behavior == Behavior::Deny {
            return AskAnswer::deny(request.decision.reason.clone());
        }
        if request.tool_name == "AskUserQuestion" {
            // ACP v1 has no question form; the model goes on by itself.
            return AskAnswer::deny(
                "This client cannot show questions. Continue without asking, \
                 using your best judgement, and state the assumptions you made.",
            );
        }
        let fields = tool_view::call_fields(&request.tool_name, &request.input, &self.cwd);
        let wire = RequestPermissionRequest::new(
            self.session_id.clone(),
            ToolCallUpdate::new(request.tool_use_id.clone(), fields),
            options(),
        );
        let sent = self.connection.send_request(wire).block_task();
        let answer = tokio::select! {
            answer = sent => answer,
            () = request.cancel.cancelled() => {
                return AskAnswer::Deny {
                    message: "Interrupted by user".to_owned(),
                    interrupt: true,
                };
            }
        };
        match answer {
            Ok(response) => match response.outcome {
                RequestPermissionOutcome::Selected(selected) => {
                    match selected.option_id.0.as_ref() {
                        ALLOW_ONCE => AskAnswer::allow(),
                        ALLOW_ALWAYS => AskAnswer::Allow {
                            updated_input: None,
                            updated_permissions: always_updates(&request),
                        },
                        REJECT_ONCE => AskAnswer::deny(format!(
                            "The user rejected this {} call. Do not retry it; ask what to do instead.",
                            request.tool_name
                        )),
                        other => AskAnswer::deny(format!(
                            "Permission to use {} was denied: the client chose an unknown option `{other}`",
                            request.tool_name
                        )),
                    }
                }
                RequestPermissionOutcome::Cancelled => AskAnswer::Deny {
                    message: "The prompt was cancelled".to_owned(),
                    interrupt: true,
                },
                other => AskAnswer::deny(format!(
                    "Permission to use {} was denied: unknown outcome {other:?}",
                    request.tool_name
                )),
            },
            Err(error) => AskAnswer::Deny {
                message: format!(
                    "Permission to use {} was denied: the client did not answer ({error})",
                    request.tool_name
                ),
                interrupt: true,
            },
        }
    }
}
