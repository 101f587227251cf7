//! `TaskStop`: stops a background shell (`cli-core.md` §2.8,
//! `TaskStopInput`/`TaskStopOutput` of `[ts-ref]`).

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::bash::{BackgroundTasks, TaskStatus};

/// Input of `TaskStop`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskStopInput {
    /// The id Bash returned for the background command.
    pub task_id: String,
    /// Why it is stopped (logged only).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The `TaskStop` tool: SIGTERM to the task's whole process group, SIGKILL
/// two seconds later if anything is left. Answers
/// `{success, task_id, error?}`; stopping an unknown or finished task is
/// `success: false` with the reason.
#[derive(Debug, Clone, Default)]
pub struct TaskStopTool {
    tasks: BackgroundTasks,
}

impl TaskStopTool {
    /// A tool stopping the tasks of `tasks` (the registry `Bash` starts into).
    pub fn new(tasks: BackgroundTasks) -> Self {
        Self { tasks }
    }
}

const DESCRIPTION: &str = "\
Stops a background command started with Bash `run_in_background`, with everything it started.";

#[async_trait]
impl TypedTool for TaskStopTool {
    type Input = TaskStopInput;

    fn name(&self) -> &str {
        "TaskStop"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(&self, _: &TaskStopInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: TaskStopInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        tracing::debug!(task_id = %input.task_id, reason = ?input.reason, "stopping background task");
        match self.tasks.stop(&input.task_id).await {
            Ok(status) => {
                let code = match status {
                    TaskStatus::Running => None,
                    TaskStatus::Completed { exit_code } | TaskStatus::Killed { exit_code } => {
                        Some(exit_code)
                    }
                };
                let text = match code {
                    Some(code) => format!("Stopped task {} (exit code {code}).", input.task_id),
                    None => format!("Stopped task {}.", input.task_id),
                };
                Ok(ToolOutput::text(
                    text,
                    json!({ "success": true, "task_id": input.task_id }),
                ))
            }
            Err(error) => Ok(ToolOutput::text(
                format!("Could not stop task {}: {error}", input.task_id),
                json!({ "success": false, "task_id": input.task_id, "error": error.to_string() }),
            )),
        }
    }
}
