//! [`Agent::rewind_files`]: files back to their state when a user message
//! started (the SDK's `rewind_files`, `/rewind`).

use std::sync::Arc;

use ferrule_checkpoint::{RewindOptions, RewindReport};

use crate::agent::Agent;
use crate::core::lock;

impl Agent {
    /// Puts every file the agent changed (with file tools, or with Bash
    /// inside the working directory) back to its state when the user
    /// message `user_message_uuid` ([`crate::TurnResult::user_message_uuid`])
    /// started; with `dry_run`, only reports what would change. Files
    /// changed outside the agent since then make it refuse (see
    /// [`ferrule_checkpoint::CheckpointStore::rewind`]). The conversation
    /// is left as it is. Call it between runs.
    ///
    /// Never fails: a rewind that cannot run is a report with
    /// `can_rewind: false` and the reason (no checkpoint store, unknown
    /// message, files changed outside the agent).
    pub async fn rewind_files(&self, user_message_uuid: &str, dry_run: bool) -> RewindReport {
        let options = if dry_run {
            RewindOptions::default().with_dry_run()
        } else {
            RewindOptions::default()
        };
        self.rewind_files_with(user_message_uuid, options).await
    }

    /// [`Agent::rewind_files`] with every option of the checkpoint store:
    /// `force` also overwrites files changed outside the agent (the
    /// interface's `/rewind <n> force`). A real rewind that ran makes the
    /// session forget what it read, so Write and Edit ask for a new Read.
    pub async fn rewind_files_with(
        &self,
        user_message_uuid: &str,
        options: RewindOptions,
    ) -> RewindReport {
        let Some(store) = self.core.checkpoints.clone() else {
            return RewindReport::refused(
                "File checkpointing is not enabled for this session (general.fileCheckpointing.enabled).",
            );
        };
        let id = user_message_uuid.to_owned();
        let dry_run = options.dry_run;
        let report = tokio::task::spawn_blocking(move || lock(&store).rewind(&id, options)).await;
        let report = match report {
            Ok(report) => report,
            Err(error) => return RewindReport::refused(format!("The rewind task failed: {error}")),
        };
        if !dry_run && report.can_rewind {
            // Restored files no longer hold what Read showed or what the
            // write tools recorded: every file must be read again.
            let file_state = Arc::clone(&self.core.file_state);
            for path in &report.files_changed {
                file_state.forget(std::path::Path::new(path));
            }
            ferrule_tools::forget_reads(&file_state);
        }
        report
    }
}
