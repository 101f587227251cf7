//! Checkpoints around a tool call: file targets one by one, the workspace
//! around a shell command (ferrule-checkpoint).

use ferrule_tool::{Access, ToolTarget};

use crate::core::lock;
use crate::turn::Turn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Before,
    After,
}

/// Snapshots what the call writes: file targets one by one, the workspace
/// around a shell command. Failures are logged; they never stop the call.
pub(crate) async fn checkpoint(turn: &Turn<'_>, targets: &[ToolTarget], phase: Phase) {
    let Some(store) = turn.core.checkpoints.clone() else {
        return;
    };
    let writes: Vec<_> = targets
        .iter()
        .filter_map(|target| match target {
            ToolTarget::Path {
                path,
                access: Access::Write,
            } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let command = targets
        .iter()
        .any(|target| matches!(target, ToolTarget::Command { .. }));
    if writes.is_empty() && !command {
        return;
    }
    let id = turn.user_message_uuid.clone();
    let root = turn.core.cwd.clone();
    let work = move || {
        let mut store = lock(&store);
        for path in &writes {
            let result = match phase {
                Phase::Before => store.before_write(&id, path).map(drop),
                Phase::After => store.after_write(&id, path),
            };
            if let Err(error) = result {
                tracing::warn!(path = %path.display(), %error, "checkpoint failed");
            }
        }
        if command && let Err(error) = store.record_workspace(&id, &root) {
            tracing::warn!(root = %root.display(), %error, "workspace checkpoint failed");
        }
    };
    if let Err(error) = tokio::task::spawn_blocking(work).await {
        tracing::warn!(%error, "checkpoint task failed");
    }
}
