//! `TaskOutput`: what a background shell has printed so far
//! (`cli-core.md` §2.8).

use std::time::Duration;

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::bash::{BackgroundTasks, MAX_BASH_TIMEOUT_MS, TaskSnapshot, TaskStatus};

/// How long a blocking `TaskOutput` waits by default, in ms.
pub const DEFAULT_TASK_OUTPUT_WAIT_MS: u64 = 30_000;

/// Input of `TaskOutput`.
// Unknown fields are ignored: the SDK's `TaskOutputInput` type carries an
// `output` field that has no meaning for reading a task.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TaskOutputInput {
    /// The id Bash returned for the background command.
    pub task_id: String,
    /// Wait for the task to finish before answering (default true).
    #[serde(default)]
    pub block: Option<bool>,
    /// How long to wait when blocking, in milliseconds (default 30000, at
    /// most 600000).
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// The `TaskOutput` tool: the output a background task has accumulated
/// (the newest [`crate::TASK_BUFFER_BYTES`] of each stream, middle elided
/// beyond [`crate::MAX_OUTPUT_CHARS`]). Every call returns everything kept
/// so far, not only what is new since the last call.
#[derive(Debug, Clone, Default)]
pub struct TaskOutputTool {
    tasks: BackgroundTasks,
}

impl TaskOutputTool {
    /// A tool reading the tasks of `tasks` (the registry `Bash` starts into).
    pub fn new(tasks: BackgroundTasks) -> Self {
        Self { tasks }
    }
}

const DESCRIPTION: &str = "\
Reads the output of a background command started with Bash `run_in_background`.
- By default waits for the command to finish (up to `timeout` ms, default 30000); set `block` \
to false to look at once.
- Returns the task's status, exit code when finished, stdout and stderr so far.";

#[async_trait]
impl TypedTool for TaskOutputTool {
    type Input = TaskOutputInput;

    fn name(&self) -> &str {
        "TaskOutput"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _: &TaskOutputInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(
        &self,
        input: TaskOutputInput,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let wait_ms = input
            .timeout
            .unwrap_or(DEFAULT_TASK_OUTPUT_WAIT_MS)
            .min(MAX_BASH_TIMEOUT_MS);
        let snapshot = if input.block.unwrap_or(true) {
            tokio::select! {
                snapshot = self.tasks.wait(&input.task_id, Duration::from_millis(wait_ms)) => snapshot,
                () = ctx.cancel_token().cancelled() => return Err(ToolError::cancelled("TaskOutput")),
            }
        } else {
            self.tasks.snapshot(&input.task_id)
        };
        let snapshot = snapshot.ok_or_else(|| {
            ToolError::respond(format!(
                "no background task with id `{}`; Bash returns the id when it starts a command \
                 with run_in_background",
                input.task_id
            ))
        })?;
        Ok(task_output(&snapshot))
    }
}

fn task_output(snapshot: &TaskSnapshot) -> ToolOutput {
    let (status, exit_code) = match snapshot.status {
        TaskStatus::Running => ("running", None),
        TaskStatus::Completed { exit_code } => ("completed", Some(exit_code)),
        TaskStatus::Killed { exit_code } => ("killed", Some(exit_code)),
    };
    let mut text = format!("Task {} is {status}", snapshot.task_id);
    if let Some(code) = exit_code {
        text.push_str(&format!(" (exit code {code})"));
    }
    text.push('.');
    if !snapshot.stdout.is_empty() {
        text.push_str(&format!(
            "\n<stdout>\n{}\n</stdout>",
            snapshot.stdout.trim_end_matches('\n')
        ));
    }
    if !snapshot.stderr.is_empty() {
        text.push_str(&format!(
            "\n<stderr>\n{}\n</stderr>",
            snapshot.stderr.trim_end_matches('\n')
        ));
    }
    ToolOutput::text(
        text,
        json!({
            "task_id": snapshot.task_id,
            "command": snapshot.command,
            "status": status,
            "exitCode": exit_code,
            "stdout": snapshot.stdout,
            "stderr": snapshot.stderr,
        }),
    )
}
