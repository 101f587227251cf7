//! [`Agent`]: one conversation and the loop that runs its turns.

use std::sync::Arc;

use ferrule_protocol::Message;
use ferrule_session::Transcript;
use ferrule_tool::ToolRegistry;
use tokio_util::sync::CancellationToken;

use crate::core::{AgentControls, Core};
use crate::events::EventSink;
use crate::input::{TurnResult, UserInput};
use crate::prompt::SystemPrompt;

/// Where an agent runs: the main thread, or a subagent inside a tool call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// The subagent's id.
    pub(crate) agent_id: Option<String>,
    /// The subagent's type (definition name).
    pub(crate) agent_type: Option<String>,
    /// The `Agent` tool call that runs it.
    pub(crate) parent_tool_use_id: Option<String>,
    /// The parent run's token; a subagent is cancelled with it.
    pub(crate) parent_cancel: Option<CancellationToken>,
    /// The permission mode of a subagent whose definition sets one.
    pub(crate) mode: Option<ferrule_permissions::Mode>,
    /// The model of a subagent whose definition names one.
    pub(crate) model: Option<ScopedModel>,
    /// The thinking of a subagent whose definition (or forked skill) sets
    /// an effort.
    pub(crate) thinking: Option<ferrule_model::Thinking>,
    /// Rules a subagent definition's `tools` put on some tools, e.g.
    /// `Bash(git:*)`: calls of those tools must match one.
    pub(crate) restrictions: Option<Arc<Restrictions>>,
    /// The directory of a subagent that runs in its own worktree.
    pub(crate) cwd: Option<std::path::PathBuf>,
}

/// A model held by a scope.
#[derive(Clone)]
pub(crate) struct ScopedModel(pub(crate) Arc<dyn ferrule_model::Model>);

impl std::fmt::Debug for ScopedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

/// Tool rules of a subagent definition, as a policy that allows only what
/// they match.
#[derive(Debug)]
pub(crate) struct Restrictions {
    /// The tools the rules are about.
    pub(crate) tools: Vec<String>,
    /// The rules as written.
    pub(crate) rules: Vec<String>,
    /// Allow rules in `dont_ask` mode: what no rule allows is denied.
    pub(crate) policy: ferrule_permissions::Policy,
}

impl Scope {
    /// The main thread.
    pub(crate) fn main() -> Self {
        Self::default()
    }

    /// Whether this is a subagent.
    pub(crate) fn is_subagent(&self) -> bool {
        self.agent_id.is_some()
    }

    /// The model this scope runs on.
    pub(crate) fn model(&self, core: &Core) -> Arc<dyn ferrule_model::Model> {
        match &self.model {
            Some(model) => Arc::clone(&model.0),
            None => core.model(),
        }
    }

    /// The thinking this scope's requests ask for.
    pub(crate) fn thinking(&self, core: &Core) -> ferrule_model::Thinking {
        self.thinking.unwrap_or_else(|| core.thinking())
    }
}

/// An agent: a model, tools, a conversation, and the loop that runs a user
/// message to completion. Build one with [`crate::AgentBuilder`].
pub struct Agent {
    pub(crate) core: Arc<Core>,
    /// The tools this agent offers the model.
    pub(crate) tools: ToolRegistry,
    pub(crate) system_prompt: SystemPrompt,
    pub(crate) max_turns: Option<u32>,
    pub(crate) messages: Vec<Message>,
    pub(crate) transcript: Option<Transcript>,
    pub(crate) scope: Scope,
    /// Token counts and compaction (`None` in subagents).
    pub(crate) context: Option<crate::context::LoopContext>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("session_id", &self.core.session_id)
            .field("tools", &self.tools)
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Runs one user message to completion: every model round trip and
    /// tool call, until the model stops, the turn limit, an error or an
    /// interrupt. Never panics and always emits exactly one `TurnStarted`
    /// and one `TurnFinished`.
    pub async fn run(&mut self, input: UserInput, sink: &dyn EventSink) -> TurnResult {
        crate::run::run(self, input, sink).await
    }

    /// Handles to interrupt the run, change the mode or the model from
    /// another task.
    pub fn controls(&self) -> AgentControls {
        AgentControls {
            core: Arc::clone(&self.core),
        }
    }

    /// The conversation so far, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The session id every event carries.
    pub fn session_id(&self) -> &str {
        &self.core.session_id
    }

    /// The names of the tools the model is offered.
    pub fn tool_names(&self) -> Vec<String> {
        self.tools.names().into_iter().map(str::to_owned).collect()
    }

    /// The system prompt as sent to the model.
    pub fn system_prompt(&self) -> String {
        self.system_prompt.render()
    }

    /// The checkpoint store, when there is one (e.g. to rewind files to a
    /// user message). Lock it only between runs or briefly: tool calls
    /// lock it around their writes.
    pub fn checkpoints(
        &self,
    ) -> Option<Arc<std::sync::Mutex<ferrule_checkpoint::CheckpointStore>>> {
        self.core.checkpoints.clone()
    }

    /// The transcript, when there is one.
    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }
}
