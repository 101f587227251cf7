//! `Agent` (alias `Task`): runs a subagent (cli-core.md §2.12).

use std::sync::Weak;

use async_trait::async_trait;
use ferrule_memory::Subagent;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::core::Core;
use crate::subagent::GENERAL_PURPOSE;

/// Input of `Agent`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct AgentInput {
    /// A short (3-5 word) description of the task.
    #[serde(default)]
    pub description: String,
    /// The task for the subagent, with everything it needs to know.
    pub prompt: String,
    /// Which subagent runs it (default `general-purpose`).
    #[serde(default, alias = "agent")]
    pub subagent_type: Option<String>,
    /// The most time the subagent may take, in milliseconds (default: the
    /// definition's `timeoutMins`, else no limit).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

impl AgentInput {
    /// The subagent type asked for, `general-purpose` by default.
    pub fn kind(&self) -> &str {
        self.subagent_type
            .as_deref()
            .map(str::trim)
            .filter(|kind| !kind.is_empty())
            .unwrap_or(GENERAL_PURPOSE)
    }
}

/// The `Agent` tool. Inside the loop its calls run with their events
/// nested under the call; called directly, the subagent runs silently.
pub struct AgentTool {
    core: Weak<Core>,
    description: String,
}

impl std::fmt::Debug for AgentTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentTool")
    }
}

impl AgentTool {
    pub(crate) fn new(core: Weak<Core>, subagents: &[Subagent]) -> Self {
        let mut text = String::from(
            "Launches a subagent that works on a task on its own, with its own context, and \
             returns its final report. Use it for broad searches or self-contained subtasks. \
             Several Agent calls in one response run at the same time. Give the subagent \
             everything it needs in `prompt`: it does not see this conversation.\n\nAvailable \
             subagent types:\n- general-purpose: any multi-step research or coding task",
        );
        for agent in subagents {
            text.push_str(&format!("\n- {}: {}", agent.name, agent.description));
        }
        Self {
            core,
            description: text,
        }
    }
}

#[async_trait]
impl TypedTool for AgentTool {
    type Input = AgentInput;

    fn name(&self) -> &str {
        "Agent"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn targets(&self, _: &AgentInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: AgentInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let core = self
            .core
            .upgrade()
            .ok_or_else(|| ToolError::fatal("the agent that owns this Agent tool is gone"))?;
        let value = serde_json::json!({
            "description": input.description,
            "prompt": input.prompt,
            "subagent_type": input.subagent_type,
            "timeout_ms": input.timeout_ms,
        });
        crate::subagent::run_detached(&core, value, ctx).await
    }
}
