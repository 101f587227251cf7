//! Background tasks (`background_tasks_v1`): the session's background
//! shells (Bash with `run_in_background`, the ones `TaskOutput` and
//! `TaskStop` see).

use ferrule_protocol::sdk::{BackgroundTasksRequest, BackgroundTasksResponse};
use serde_json::{Value, json};

use super::with_ready;
use crate::host::Shared;

/// `stop_task`: stops the background shell `task_id` (its whole process
/// group) without touching the running turn.
pub(super) async fn stop_task(shared: &Shared, task_id: &str) -> Result<Value, String> {
    let tasks = with_ready(shared, |ready| ready.background.clone())?;
    let status = tasks
        .stop(task_id)
        .await
        .map_err(|error| format!("stop_task {task_id}: {error}"))?;
    tracing::info!(task_id, ?status, "background task stopped");
    Ok(json!({}))
}

/// `background_tasks`: ferrule runs a tool call either in the foreground
/// or, when the model asks for it, in the background from its start; a
/// foreground call cannot be moved. The answer says that nothing was
/// backgrounded.
pub(super) fn background_tasks(
    shared: &Shared,
    request: &BackgroundTasksRequest,
) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    if let Some(id) = &request.tool_use_id {
        tracing::info!(tool_use_id = %id, "background_tasks: foreground calls cannot be moved");
    }
    serde_json::to_value(BackgroundTasksResponse {
        backgrounded: Some(false),
    })
    .map_err(|error| error.to_string())
}
