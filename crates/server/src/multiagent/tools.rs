//! The control tools of multiagent sessions (`managed-agents.md`): the
//! coordinator's `create_agent`, `Agent`, `send_to_agent` and
//! `list_agents`, and a child's `send_to_parent`. They run in the server
//! process (they need its database), so a turn gets them only there.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use ferrule_tool::{
    Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolTarget, parse_input,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{WaitEnd, roster, run, store};
use crate::app::AppState;
use crate::pause::WriterMsg;
use crate::toolset::{Policy, ToolPlan};

/// What every control tool works on: the session and the calling thread.
#[derive(Clone)]
struct Scope {
    state: AppState,
    /// The session object (its agent is the coordinator's).
    session: Value,
    session_id: String,
    /// The turn's event writer, once it exists (weak: the turn's end
    /// closes it while the tools live on).
    writer: Arc<OnceLock<mpsc::WeakUnboundedSender<WriterMsg>>>,
}

impl Scope {
    /// Waits until the turn's events so far (the call's `agent.tool_use`)
    /// are stored, so that the events a tool stores come after them.
    async fn flush(&self) {
        let Some(writer) = self
            .writer
            .get()
            .and_then(mpsc::WeakUnboundedSender::upgrade)
        else {
            return;
        };
        let (done, stored) = oneshot::channel();
        if writer.send(WriterMsg::Flush(done)).is_ok() {
            let _ = stored.await;
        }
    }

    async fn child(&self, thread_id: &str) -> Result<store::Thread, ToolError> {
        match store::get(&self.state, &self.session_id, thread_id).await {
            Ok(Some(thread)) if !thread.archived() => Ok(thread),
            Ok(Some(_)) => Err(ToolError::respond(format!(
                "Agent thread {thread_id} is archived."
            ))),
            Ok(None) => Err(ToolError::respond(format!(
                "There is no agent thread {thread_id} in this session; list_agents shows them."
            ))),
            Err(error) => Err(ToolError::respond(error.message)),
        }
    }

    async fn create(&self, agent_id: &str, name: Option<&str>) -> Result<store::Thread, ToolError> {
        self.flush().await;
        run::create_child(&self.state, &self.session, agent_id, name)
            .await
            .map_err(ToolError::respond)
    }

    async fn send(&self, thread: &store::Thread, text: &str) -> Result<(), ToolError> {
        self.flush().await;
        run::send_to_child(&self.state, &self.session, thread, text)
            .await
            .map_err(|e| ToolError::respond(e.message))
    }
}

/// The control tools of one turn.
#[derive(Default)]
pub(crate) struct ThreadTools {
    tools: Vec<(&'static str, Arc<dyn Tool>)>,
    writer: Arc<OnceLock<mpsc::WeakUnboundedSender<WriterMsg>>>,
}

impl ThreadTools {
    /// The tools for a turn of `session` (as the turn setup holds it): a
    /// child thread's turn (`session_thread` set) gets `send_to_parent`, a
    /// coordinator's turn the four coordinator tools, any other none.
    pub(crate) fn for_turn(state: &AppState, session: &Value) -> Self {
        let writer = Arc::new(OnceLock::new());
        let scope = Scope {
            state: state.clone(),
            session: session.clone(),
            session_id: session["id"].as_str().unwrap_or_default().to_owned(),
            writer: writer.clone(),
        };
        let thread = &session["session_thread"];
        let tools: Vec<(&'static str, Arc<dyn Tool>)> = if thread.is_object() {
            vec![(
                "send_to_parent",
                Arc::new(SendToParent {
                    scope,
                    thread_id: thread["id"].as_str().unwrap_or_default().to_owned(),
                    agent_name: thread["agent_name"].as_str().unwrap_or_default().to_owned(),
                }),
            )]
        } else if session["agent"]["multiagent"]["type"] == "coordinator" {
            let roster = roster::summary(session);
            vec![
                (
                    "create_agent",
                    Arc::new(CreateAgent {
                        scope: scope.clone(),
                        description: format!(
                            "Create a new agent thread that works on `task` on its own, and \
                             return its thread ID at once without waiting. The agent reports \
                             back with a message that arrives as your next input. agent_id is \
                             one of the roster: {roster}."
                        ),
                    }),
                ),
                (
                    "Agent",
                    Arc::new(DelegateAgent {
                        scope: scope.clone(),
                        description: format!(
                            "Delegate a focused task to a new agent thread and wait until it \
                             has finished: the result is what the agent sent back. agent_id is \
                             one of the roster: {roster}."
                        ),
                    }),
                ),
                (
                    "send_to_agent",
                    Arc::new(SendToAgent {
                        scope: scope.clone(),
                    }),
                ),
                ("list_agents", Arc::new(ListAgents { scope })),
            ]
        } else {
            Vec::new()
        };
        Self { tools, writer }
    }

    /// Offers the tools to the model, allowed without asking.
    pub(crate) fn extend_plan(&self, plan: &mut ToolPlan) {
        for (name, _) in &self.tools {
            plan.builtins.push((name, Policy::Allow));
        }
    }

    /// Registers the tools; `writer` is the turn's event writer.
    pub(crate) fn register(
        &self,
        registry: &mut ToolRegistry,
        writer: &mpsc::UnboundedSender<WriterMsg>,
    ) {
        let _ = self.writer.set(writer.downgrade());
        for (_, tool) in &self.tools {
            if let Err(error) = registry.register_arc(tool.clone()) {
                tracing::warn!(%error, "a thread control tool was not registered");
            }
        }
    }
}

fn text(message: String) -> ToolOutput {
    ToolOutput::text(message, Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAgentInput {
    agent_id: String,
    #[serde(default)]
    agent_name: Option<String>,
    task: String,
}

struct CreateAgent {
    scope: Scope,
    description: String,
}

#[async_trait]
impl Tool for CreateAgent {
    fn name(&self) -> &str {
        "create_agent"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "agent_id": {"type": "string", "description": "An agent ID of the roster, or \"self\"."},
            "agent_name": {"type": "string", "description": "Display name of the new thread."},
            "task": {"type": "string", "description": "The task the agent starts with."}},
            "required": ["agent_id", "task"], "additionalProperties": false})
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input: CreateAgentInput = parse_input("create_agent", input)?;
        let thread = self
            .scope
            .create(&input.agent_id, input.agent_name.as_deref())
            .await?;
        self.scope.send(&thread, &input.task).await?;
        Ok(text(format!("Created agent thread: {}", thread.id)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentInput {
    agent_id: String,
    prompt: String,
}

/// `Agent`: a child thread, and a wait for the end of its turn.
struct DelegateAgent {
    scope: Scope,
    description: String,
}

#[async_trait]
impl Tool for DelegateAgent {
    fn name(&self) -> &str {
        "Agent"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "agent_id": {"type": "string", "description": "An agent ID of the roster, or \"self\"."},
            "prompt": {"type": "string", "description": "The task delegated to the agent."}},
            "required": ["agent_id", "prompt"], "additionalProperties": false})
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input: AgentInput = parse_input("Agent", input)?;
        let thread = self.scope.create(&input.agent_id, None).await?;
        let threads = &self.scope.state.threads;
        let done = threads.wait(&thread.id);
        if let Err(error) = self.scope.send(&thread, &input.prompt).await {
            threads.stop_waiting(&thread.id);
            return Err(error);
        }
        let end = tokio::select! {
            end = done => end,
            () = ctx.cancel_token().cancelled() => {
                threads.stop_waiting(&thread.id);
                return Err(ToolError::cancelled("Agent"));
            }
        };
        match end {
            Ok(WaitEnd::Finished(messages)) if !messages.is_empty() => {
                Ok(text(messages.join("\n\n")))
            }
            Ok(WaitEnd::Finished(_)) => Err(ToolError::respond(format!(
                "Agent thread {} finished without sending a result (send_to_parent).",
                thread.id
            ))),
            Ok(WaitEnd::Interrupted(messages)) => Err(ToolError::respond(format!(
                "Agent thread {} was interrupted before it finished.{}",
                thread.id,
                if messages.is_empty() {
                    String::new()
                } else {
                    format!(" It had sent: {}", messages.join("\n\n"))
                }
            ))),
            Err(_) => Err(ToolError::respond(format!(
                "Agent thread {} stopped without a result.",
                thread.id
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendToAgentInput {
    thread_id: String,
    message: String,
}

struct SendToAgent {
    scope: Scope,
}

#[async_trait]
impl Tool for SendToAgent {
    fn name(&self) -> &str {
        "send_to_agent"
    }

    fn description(&self) -> &str {
        "Send a follow-up message to an existing agent thread. It is handled as soon as the \
         thread is idle."
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "thread_id": {"type": "string", "description": "The agent thread (sthr_...)."},
            "message": {"type": "string", "description": "The message."}},
            "required": ["thread_id", "message"], "additionalProperties": false})
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input: SendToAgentInput = parse_input("send_to_agent", input)?;
        let thread = self.scope.child(&input.thread_id).await?;
        self.scope.send(&thread, &input.message).await?;
        Ok(text(format!(
            "Message queued for agent thread: {}",
            thread.id
        )))
    }
}

struct ListAgents {
    scope: Scope,
}

#[async_trait]
impl Tool for ListAgents {
    fn name(&self) -> &str {
        "list_agents"
    }

    fn description(&self) -> &str {
        "List the agent threads of this session with their status and pending message counts, \
         and the agents of the roster."
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {}, "additionalProperties": false})
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, _: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let state = &self.scope.state;
        let respond = |e: crate::error::ApiError| ToolError::respond(e.message);
        let mut threads = Vec::new();
        for thread in store::list(state, &self.scope.session_id)
            .await
            .map_err(respond)?
        {
            let pending = store::pending(state, &thread.id).await.map_err(respond)?;
            threads.push(json!({
                "thread_id": thread.id,
                "agent_id": thread.body["agent"]["id"],
                "agent_name": thread.agent_name(),
                "status": if thread.archived() { "archived" } else { thread.status.as_str() },
                "pending_messages": pending,
            }));
        }
        let roster: Vec<Value> = roster::members(&self.scope.session)
            .into_iter()
            .map(|m| json!({"agent_id": m.id, "name": m.name, "version": m.version}))
            .collect();
        let listing = json!({"threads": threads, "roster": roster});
        Ok(ToolOutput::text(
            serde_json::to_string_pretty(&listing).unwrap_or_default(),
            listing,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendToParentInput {
    message: String,
}

struct SendToParent {
    scope: Scope,
    thread_id: String,
    agent_name: String,
}

#[async_trait]
impl Tool for SendToParent {
    fn name(&self) -> &str {
        "send_to_parent"
    }

    fn description(&self) -> &str {
        "Send your result, a status update or a question to the coordinator that gave you the \
         task. After sending your final result, end your turn."
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "message": {"type": "string", "description": "The message for the coordinator."}},
            "required": ["message"], "additionalProperties": false})
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input: SendToParentInput = parse_input("send_to_parent", input)?;
        self.scope.flush().await;
        run::send_to_parent(
            &self.scope.state,
            &self.scope.session,
            &self.thread_id,
            &self.agent_name,
            &input.message,
        )
        .await
        .map_err(|e| ToolError::respond(e.message))?;
        Ok(text("Message sent to the coordinator.".to_owned()))
    }
}
