//! "Ask" answered by the SDK host's `can_use_tool` callback
//! (`sdk-protocol.md` §7, §9.4): started with `--permission-prompt-tool
//! stdio`, every tool call the permission engine cannot decide is sent to
//! the SDK as a `can_use_tool` control request, and the turn waits for the
//! answer (no timeout). An interrupt withdraws the request and denies.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker, ElicitAnswer, ElicitRequest, ElicitationAction};
use ferrule_permissions::{AskKind, Behavior};
use ferrule_protocol::sdk::{
    CanUseToolRequest, ControlRequest, ElicitationAction as SdkElicitationAction,
    ElicitationRequest, ElicitationResponse, PermissionResult,
};
use ferrule_tool::{Tool, ToolContext};
use serde_json::{Map, Value, json};

use crate::peer::{Peer, PeerError};

/// Sends `can_use_tool` requests to the SDK.
pub struct SdkAsker {
    peer: Peer,
}

impl SdkAsker {
    /// An asker sending through `peer`.
    pub fn new(peer: Peer) -> Self {
        Self { peer }
    }
}

/// The request the SDK gets for `ask`.
pub fn can_use_tool_request(ask: &AskRequest) -> CanUseToolRequest {
    let reason_type = ask.decision.ask_kind.map(|kind| match kind {
        AskKind::NoRule => "mode",
        AskKind::Rule => "rule",
        AskKind::Safety | AskKind::Catastrophic => "safetyCheck",
        AskKind::Outside => "workingDir",
        AskKind::Hook => "hook",
        AskKind::Interaction => "other",
    });
    CanUseToolRequest {
        tool_name: ask.tool_name.clone(),
        input: Some(ask.input.clone()),
        tool_input: None,
        tool_use_id: Some(ask.tool_use_id.clone()),
        permission_suggestions: Some(ask.suggestions.clone()),
        suggestions: None,
        blocked_path: None,
        decision_reason: (!ask.decision.reason.is_empty()).then(|| ask.decision.reason.clone()),
        decision_reason_type: reason_type.map(str::to_owned),
        classifier_approvable: None,
        title: None,
        display_name: Some(ask.tool_name.clone()),
        description: describe(&ask.tool_name, &ask.input),
        agent_id: ask.agent_id.clone(),
        details: None,
        plan_path: None,
        plan_content: None,
        permission_kind: None,
        options: None,
        extra: Map::new(),
    }
}

/// A one-line description of a call, e.g. `Create /p/hello.txt`.
fn describe(tool: &str, input: &Value) -> Option<String> {
    let field = |name: &str| input.get(name).and_then(Value::as_str);
    let text = match tool {
        "Write" => format!("Create {}", field("file_path")?),
        "Edit" | "MultiEdit" => format!("Edit {}", field("file_path")?),
        "NotebookEdit" => format!("Edit {}", field("notebook_path")?),
        "Bash" => field("description")
            .map(str::to_owned)
            .or_else(|| field("command").map(|c| format!("Run {c}")))?,
        "WebFetch" => format!("Fetch {}", field("url")?),
        _ => return None,
    };
    Some(text)
}

/// The agent's answer for what the SDK said.
pub fn answer_from(result: Result<Map<String, Value>, PeerError>, tool: &str) -> AskAnswer {
    match result {
        Ok(payload) => match serde_json::from_value::<PermissionResult>(Value::Object(payload)) {
            Ok(PermissionResult::Allow(allow)) => AskAnswer::Allow {
                updated_input: allow.updated_input,
                updated_permissions: allow.updated_permissions.unwrap_or_default(),
            },
            Ok(PermissionResult::Deny(deny)) => AskAnswer::Deny {
                message: if deny.message.is_empty() {
                    format!("Permission to use {tool} was denied by the SDK host")
                } else {
                    deny.message
                },
                interrupt: deny.interrupt.unwrap_or(false),
            },
            Err(error) => AskAnswer::deny(format!(
                "Permission to use {tool} was denied: the SDK's answer was not a permission result ({error})"
            )),
        },
        // §14: a callback that raised is an error response: deny with its message.
        Err(PeerError::Refused(message)) => AskAnswer::deny(message),
        Err(PeerError::Cancelled) => AskAnswer::Deny {
            message: "Interrupted by user".to_owned(),
            interrupt: true,
        },
        Err(error @ (PeerError::Closed(_) | PeerError::TimedOut { .. })) => AskAnswer::Deny {
            message: format!("Permission to use {tool} was denied: {error}"),
            interrupt: true,
        },
    }
}

#[async_trait]
impl Asker for SdkAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        if request.decision.behavior == Behavior::Deny {
            return AskAnswer::deny(request.decision.reason.clone());
        }
        let wire = ControlRequest::CanUseTool(can_use_tool_request(&request));
        let result = self.peer.request(wire, Some(&request.cancel), None).await;
        answer_from(result, &request.tool_name)
    }

    /// MCP elicitations go to the SDK as an `elicitation` control request
    /// (sdk-protocol.md §7); an error or a bad answer cancels.
    async fn elicit(&self, request: ElicitRequest) -> ElicitAnswer {
        let wire = ControlRequest::Elicitation(ElicitationRequest {
            mcp_server_name: request.server.clone(),
            message: Some(request.message.clone()),
            prompt: None,
            mode: Some(request.mode.clone()),
            url: request.url.clone(),
            elicitation_id: Some(request.elicitation_id.clone()),
            requested_schema: Some(request.requested_schema.clone()).filter(|s| !s.is_null()),
            title: None,
            display_name: Some(request.server.clone()),
            description: None,
            extra: Map::new(),
        });
        let result = self.peer.request(wire, Some(&request.cancel), None).await;
        let answer = result.ok().and_then(|payload| {
            serde_json::from_value::<ElicitationResponse>(Value::Object(payload)).ok()
        });
        ElicitAnswer {
            action: match answer.as_ref().map(|a| &a.action) {
                Some(SdkElicitationAction::Accept) => ElicitationAction::Accept,
                Some(SdkElicitationAction::Decline) => ElicitationAction::Decline,
                _ => ElicitationAction::Cancel,
            },
            content: answer.and_then(|a| a.content),
        }
    }
}

/// "Ask" answered by an MCP tool (`--permission-prompt-tool mcp__srv__tool`,
/// §9.4): the tool gets `{tool_name, input, tool_use_id}` and answers with
/// a JSON text `{"behavior": "allow", "updatedInput": …}` or
/// `{"behavior": "deny", "message": …}`.
pub struct McpPromptAsker {
    tool: Arc<dyn Tool>,
    cwd: PathBuf,
}

impl McpPromptAsker {
    /// An asker calling `tool`, run in `cwd`.
    pub fn new(tool: Arc<dyn Tool>, cwd: PathBuf) -> Self {
        Self { tool, cwd }
    }
}

#[async_trait]
impl Asker for McpPromptAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        let name = self.tool.name().to_owned();
        let ctx = match ToolContext::builder(&self.cwd)
            .cancel_token(request.cancel.clone())
            .build()
        {
            Ok(ctx) => ctx,
            Err(error) => return AskAnswer::deny(format!("{name}: {error}")),
        };
        let input = json!({
            "tool_name": request.tool_name,
            "input": request.input,
            "tool_use_id": request.tool_use_id,
        });
        let answer = match self.tool.call(input, &ctx).await {
            Ok(output) => serde_json::from_str::<Value>(output.text_content().trim())
                .ok()
                .and_then(|value| match value {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .ok_or_else(|| {
                    PeerError::Refused(format!(
                        "{name} did not answer with a JSON permission result: {}",
                        output.text_content()
                    ))
                }),
            Err(error) if request.cancel.is_cancelled() => {
                tracing::debug!(%error, "permission prompt tool cancelled");
                Err(PeerError::Cancelled)
            }
            Err(error) => Err(PeerError::Refused(format!(
                "{name} failed: {}",
                error.message()
            ))),
        };
        answer_from(answer, &request.tool_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(value: Value) -> Result<Map<String, Value>, PeerError> {
        match value {
            Value::Object(map) => Ok(map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn allow_answer_keeps_updated_input_and_permissions() {
        let answer = answer_from(
            payload(
                json!({"behavior": "allow", "updatedInput": {"a": 1}, "updatedPermissions": [
                    {"type": "addRules", "rules": [{"toolName": "Bash"}], "behavior": "allow", "destination": "session"}
                ]}),
            ),
            "Bash",
        );
        let AskAnswer::Allow {
            updated_input,
            updated_permissions,
        } = answer
        else {
            panic!("allow expected, got {answer:?}");
        };
        assert_eq!(updated_input, Some(json!({"a": 1})));
        assert_eq!(updated_permissions.len(), 1);
    }

    #[test]
    fn deny_answer_and_raised_callback_both_deny_with_the_message() {
        assert_eq!(
            answer_from(
                payload(json!({"behavior": "deny", "message": "not now"})),
                "Write"
            ),
            AskAnswer::deny("not now")
        );
        assert_eq!(
            answer_from(Err(PeerError::Refused("boom".into())), "Write"),
            AskAnswer::deny("boom")
        );
    }

    #[test]
    fn interrupt_while_asking_denies_and_interrupts() {
        assert!(matches!(
            answer_from(Err(PeerError::Cancelled), "Write"),
            AskAnswer::Deny {
                interrupt: true,
                ..
            }
        ));
    }
}
