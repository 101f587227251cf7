//! The WorktreeCreate and WorktreeRemove hooks.

use std::path::{Path, PathBuf};

use ferrule_hooks::{
    CommonFields, Dispatcher, EventPayload, HookInput, Outcome, WorktreeCreateInput,
    WorktreeRemoveInput,
};

use crate::WorktreeError;

/// The hooks to fire and the common fields of their input (session id,
/// transcript, cwd ...).
#[derive(Debug, Clone, Copy)]
pub struct HookContext<'a> {
    /// The session's hooks.
    pub dispatcher: &'a Dispatcher,
    /// The common fields of every hook input.
    pub common: &'a CommonFields,
}

impl HookContext<'_> {
    /// Fires `payload`; `None` when no hook matches.
    async fn fire(&self, payload: EventPayload) -> Option<Outcome> {
        let input = HookInput::new(self.common.clone(), payload);
        if self.dispatcher.matching(&input).is_empty() {
            return None;
        }
        let outcome = self.dispatcher.dispatch(&input).await.outcome;
        for error in &outcome.errors {
            tracing::warn!(event = input.event().as_str(), hook = %error.hook, message = %error.message, "hook failed");
        }
        Some(outcome)
    }

    /// WorktreeCreate: the path the hooks made, `Ok(None)` when no hook is
    /// configured (git makes it then).
    pub(crate) async fn create(&self, name: &str) -> Result<Option<PathBuf>, WorktreeError> {
        let Some(outcome) = self
            .fire(EventPayload::WorktreeCreate(WorktreeCreateInput {
                name: name.to_owned(),
            }))
            .await
        else {
            return Ok(None);
        };
        if let Some(reason) = outcome.block_reason() {
            return Err(WorktreeError::Hook(format!(
                "creating worktree `{name}` failed: {reason}"
            )));
        }
        let Some(raw) = outcome.worktree_path.as_deref().map(str::trim) else {
            let errors: Vec<String> = outcome
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.hook, e.message))
                .collect();
            return Err(WorktreeError::Hook(format!(
                "no hook returned a worktree path for `{name}` (print an absolute path on stdout or \
                 set hookSpecificOutput.worktreePath){}",
                if errors.is_empty() {
                    String::new()
                } else {
                    format!("; {}", errors.join("; "))
                }
            )));
        };
        let path = Path::new(raw);
        if !path.is_absolute() {
            return Err(WorktreeError::Hook(format!(
                "the returned worktree path `{raw}` is not absolute"
            )));
        }
        if !path.is_dir() {
            return Err(WorktreeError::Hook(format!(
                "the returned worktree path {raw} is not an existing directory"
            )));
        }
        Ok(Some(crate::git::canonical(path)))
    }

    /// WorktreeRemove: the hooks' problems (their stderr), for the user.
    pub(crate) async fn remove(&self, path: &Path) -> Vec<String> {
        let Some(outcome) = self
            .fire(EventPayload::WorktreeRemove(WorktreeRemoveInput {
                worktree_path: path.display().to_string(),
            }))
            .await
        else {
            return Vec::new();
        };
        outcome
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.hook, e.message))
            .chain(outcome.blocked)
            .collect()
    }
}
