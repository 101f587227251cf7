//! Pausing a turn for the client: the [`Asker`] for `always_ask` tools and
//! the [`Tool`] standing in for each custom tool. Both hand a `Park` request
//! to the turn's event writer (so the `agent.tool_use` is stored first),
//! then wait for the client's answer.

use std::sync::Arc;

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker};
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::live::{PendingKind, Resolution};
use crate::toolset::{CustomTool, Policy, ToolPlan};

/// Which tool call a park request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallRef {
    /// The model's call ID (known to the asker).
    Id(String),
    /// The oldest announced, not yet parked call of this custom tool (a
    /// tool's context does not carry its call ID; calls of mutating tools
    /// run one at a time in call order).
    NextCustom(String),
}

/// A message to the turn's event writer.
#[derive(Debug)]
pub(crate) enum WriterMsg {
    /// An agent event to map and store.
    Agent(Box<ferrule_agent::Emitted>),
    /// Park the call `call_id`; answer with the receiver of the resolution
    /// (`None` when the call is unknown or the turn is over).
    Park {
        /// Which call.
        call: CallRef,
        /// What is awaited.
        kind: PendingKind,
        /// Where the receiver goes.
        reply: oneshot::Sender<Option<oneshot::Receiver<Resolution>>>,
    },
    /// An answer arrived: the turn runs again.
    Resume,
    /// Answers once every message before it is stored (a tool that stores
    /// events of its own keeps them after its `agent.tool_use`).
    Flush(oneshot::Sender<()>),
}

async fn park(
    writer: &mpsc::UnboundedSender<WriterMsg>,
    call: CallRef,
    kind: PendingKind,
    cancel: &tokio_util::sync::CancellationToken,
) -> Option<Resolution> {
    let (reply, answer) = oneshot::channel();
    writer.send(WriterMsg::Park { call, kind, reply }).ok()?;
    let receiver = answer.await.ok()??;
    let resolution = tokio::select! {
        resolution = receiver => resolution.ok(),
        () = cancel.cancelled() => None,
    }?;
    let _ = writer.send(WriterMsg::Resume);
    Some(resolution)
}

/// Answers "ask" by the agent's tool plan: `always_allow` tools run,
/// `always_ask` ones wait for `user.tool_confirmation`.
pub(crate) struct CloudAsker {
    /// The tool plan of the session's agent.
    pub(crate) plan: ToolPlan,
    /// The turn's event writer.
    pub(crate) writer: mpsc::UnboundedSender<WriterMsg>,
}

#[async_trait]
impl Asker for CloudAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        match self.plan.evaluate(&request.tool_name) {
            // Custom tools wait for the client inside the call itself.
            Some(Policy::Allow) | None => return AskAnswer::allow(),
            Some(Policy::Deny) => {
                return AskAnswer::deny(format!(
                    "The agent's permission policy does not allow {}.",
                    request.tool_name
                ));
            }
            Some(Policy::Ask) => {}
        }
        match park(
            &self.writer,
            CallRef::Id(request.tool_use_id.clone()),
            PendingKind::Confirmation,
            &request.cancel,
        )
        .await
        {
            Some(Resolution::Confirmation { allow: true, .. }) => AskAnswer::allow(),
            Some(Resolution::Confirmation {
                allow: false,
                deny_message,
            }) => {
                let mut message = format!("The user denied the {} call.", request.tool_name);
                if let Some(reason) = deny_message {
                    message.push(' ');
                    message.push_str(&reason);
                }
                AskAnswer::deny(message)
            }
            _ => AskAnswer::Deny {
                message: "The turn was interrupted before the call was confirmed.".to_owned(),
                interrupt: true,
            },
        }
    }
}

/// A custom tool: the client runs it and sends `user.custom_tool_result`.
pub(crate) struct ClientTool {
    /// Its definition from the agent.
    pub(crate) tool: CustomTool,
    /// The turn's event writer.
    pub(crate) writer: mpsc::UnboundedSender<WriterMsg>,
}

#[async_trait]
impl Tool for ClientTool {
    fn name(&self) -> &str {
        &self.tool.name
    }

    fn description(&self) -> &str {
        &self.tool.description
    }

    fn input_schema(&self) -> Value {
        self.tool.input_schema.clone()
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, _input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let call = CallRef::NextCustom(self.tool.name.clone());
        match park(
            &self.writer,
            call,
            PendingKind::CustomResult,
            ctx.cancel_token(),
        )
        .await
        {
            Some(Resolution::CustomResult { content, is_error }) => {
                let text: Vec<&str> = content
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|block| block["text"].as_str())
                    .collect();
                let text = text.join("\n");
                if is_error {
                    Err(ToolError::respond(text))
                } else {
                    Ok(ToolOutput::text(text, content))
                }
            }
            _ => Err(ToolError::respond(
                "The turn was interrupted before the tool returned.",
            )),
        }
    }
}

/// Wraps [`ClientTool`]s for a registry.
pub(crate) fn client_tools(
    plan: &ToolPlan,
    writer: &mpsc::UnboundedSender<WriterMsg>,
) -> Vec<Arc<dyn Tool>> {
    plan.custom
        .iter()
        .map(|tool| {
            Arc::new(ClientTool {
                tool: tool.clone(),
                writer: writer.clone(),
            }) as Arc<dyn Tool>
        })
        .collect()
}
