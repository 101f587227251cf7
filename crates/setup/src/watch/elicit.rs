//! The MCP elicitation bridge (cli-core.md §5.6, §8.3): Elicitation hooks
//! may answer at once (exit 2 declines); otherwise the host's asker asks
//! the user (Notification `elicitation_dialog`, then
//! `elicitation_response`); ElicitationResult hooks may rewrite the answer
//! (exit 2 turns it into a decline); Notification `elicitation_complete`
//! closes the flow.

use std::sync::Weak;

use async_trait::async_trait;
use ferrule_agent::ElicitRequest;
use ferrule_hooks::{
    ElicitationAction, ElicitationInput, ElicitationResultInput, EventPayload, NotificationInput,
    NotificationType,
};
use ferrule_mcp::{ElicitReply, ElicitReplyAction, Elicitation, Elicitor};
use serde_json::{Value, json};

use super::Watch;

/// Answers MCP servers' elicitations for a session.
pub(crate) struct Bridge {
    pub(crate) watch: Weak<Watch>,
}

#[async_trait]
impl Elicitor for Bridge {
    async fn elicit(&self, request: Elicitation) -> ElicitReply {
        let Some(watch) = self.watch.upgrade() else {
            return ElicitReply::decline();
        };
        watch.elicit(request).await
    }

    async fn completed(&self, server: &str, elicitation_id: &str) {
        if let Some(watch) = self.watch.upgrade() {
            let details = json!({"mcp_server_name": server, "elicitation_id": elicitation_id});
            watch
                .notify(
                    NotificationType::ElicitationComplete,
                    format!("MCP server {server} finished elicitation {elicitation_id}"),
                    details,
                )
                .await;
        }
    }
}

fn reply_action(action: ElicitationAction) -> ElicitReplyAction {
    match action {
        ElicitationAction::Accept => ElicitReplyAction::Accept,
        ElicitationAction::Cancel => ElicitReplyAction::Cancel,
        _ => ElicitReplyAction::Decline,
    }
}

impl Watch {
    async fn notify(&self, kind: NotificationType, message: String, details: Value) {
        self.fire(EventPayload::Notification(NotificationInput {
            notification_type: kind,
            message,
            title: "MCP elicitation".to_owned(),
            details,
        }))
        .await;
    }

    /// The whole elicitation flow for one request.
    async fn elicit(&self, request: Elicitation) -> ElicitReply {
        let server = request.server.clone();
        let id = request.elicitation_id.clone();
        let mode = request.mode.as_str().to_owned();
        let details = json!({"mcp_server_name": server, "elicitation_id": id, "mode": mode});
        let decided = self
            .fire(EventPayload::Elicitation(ElicitationInput {
                mcp_server_name: server.clone(),
                message: request.message.clone(),
                mode: mode.clone(),
                url: request.url.clone(),
                elicitation_id: id.clone(),
                requested_schema: request.requested_schema.clone(),
            }))
            .await
            .and_then(|d| {
                let action = d.outcome.elicitation_action?;
                Some((action, d.outcome.elicitation_content))
            });
        let (mut action, mut content) = match decided {
            Some(answer) => answer,
            None => {
                self.notify(
                    NotificationType::ElicitationDialog,
                    format!("MCP server {server} asks: {}", request.message),
                    details.clone(),
                )
                .await;
                let answer = match self.controls.get() {
                    Some(controls) => {
                        controls
                            .asker()
                            .elicit(ElicitRequest {
                                server: server.clone(),
                                message: request.message.clone(),
                                mode: mode.clone(),
                                url: request.url.clone(),
                                elicitation_id: id.clone(),
                                requested_schema: request.requested_schema.clone(),
                                cancel: request.cancel.clone(),
                            })
                            .await
                    }
                    None => ferrule_agent::ElicitAnswer::decline(),
                };
                self.notify(
                    NotificationType::ElicitationResponse,
                    format!(
                        "The user answered {server}'s elicitation: {}",
                        answer.action.as_str()
                    ),
                    details.clone(),
                )
                .await;
                (answer.action, answer.content)
            }
        };
        if let Some(dispatch) = self
            .fire(EventPayload::ElicitationResult(ElicitationResultInput {
                mcp_server_name: server.clone(),
                action,
                content: content.clone().unwrap_or(Value::Null),
                mode,
                elicitation_id: id.clone(),
            }))
            .await
            && let Some(rewritten) = dispatch.outcome.elicitation_action
        {
            if rewritten != ElicitationAction::Accept
                || dispatch.outcome.elicitation_content.is_some()
            {
                content = dispatch.outcome.elicitation_content;
            }
            action = rewritten;
        }
        self.notify(
            NotificationType::ElicitationComplete,
            format!("{server}'s elicitation ended: {}", action.as_str()),
            details,
        )
        .await;
        ElicitReply {
            action: reply_action(action),
            content: if action == ElicitationAction::Accept {
                content
            } else {
                None
            },
        }
    }
}
