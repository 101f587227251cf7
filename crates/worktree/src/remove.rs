//! What a worktree holds that its removal would lose, and removing it.

use crate::create::head;
use crate::git::{git, is_work_tree_top};
use crate::hooks::HookContext;
use crate::name::branch_for;
use crate::{Worktree, WorktreeError};

/// Work in a worktree that is nowhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files with uncommitted changes, untracked ones included (paths
    /// relative to the worktree).
    pub uncommitted_files: Vec<String>,
    /// Commits of the worktree's `HEAD` that the main checkout's `HEAD`
    /// does not contain (`<short sha> <subject>`).
    pub unmerged_commits: Vec<String>,
}

impl Changes {
    /// Nothing would be lost.
    pub fn is_empty(&self) -> bool {
        self.uncommitted_files.is_empty() && self.unmerged_commits.is_empty()
    }
}

/// The text of [`WorktreeError::HasChanges`].
pub(crate) fn describe_changes(changes: &Changes) -> String {
    let mut parts = Vec::new();
    if !changes.uncommitted_files.is_empty() {
        parts.push(format!(
            "{} uncommitted file(s): {}",
            changes.uncommitted_files.len(),
            changes.uncommitted_files.join(", ")
        ));
    }
    if !changes.unmerged_commits.is_empty() {
        parts.push(format!(
            "{} commit(s) not merged: {}",
            changes.unmerged_commits.len(),
            changes.unmerged_commits.join("; ")
        ));
    }
    format!(
        "the worktree has {}; commit or merge them first, keep the worktree, or remove it with discard_changes",
        parts.join(" and ")
    )
}

/// The uncommitted files and unmerged commits of `worktree`; empty when
/// it is not a git checkout.
pub async fn changes(worktree: &Worktree) -> Result<Changes, WorktreeError> {
    if !is_work_tree_top(&worktree.path).await {
        return Ok(Changes::default());
    }
    let status = git(
        &worktree.path,
        &["status", "--porcelain=v1", "--untracked-files=all"],
    )
    .await?;
    let uncommitted_files = status
        .lines()
        .filter(|line| line.len() > 3)
        .map(|line| line[3..].trim_matches('"').to_owned())
        .collect();
    let base = match head(&worktree.repo_root).await {
        Some(main) => Some(main),
        None => worktree.base_commit.clone(),
    };
    let unmerged_commits = match base {
        Some(base) => git(
            &worktree.path,
            &["log", "--format=%h %s", "HEAD", "--not", &base],
        )
        .await?
        .lines()
        .map(str::to_owned)
        .collect(),
        None => Vec::new(),
    };
    Ok(Changes {
        uncommitted_files,
        unmerged_commits,
    })
}

/// What a removal did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// git removed the directory (false for hook-made worktrees, whose
    /// WorktreeRemove hooks clean up).
    pub removed_by_git: bool,
    /// The branch that was deleted.
    pub deleted_branch: Option<String>,
    /// Problems the WorktreeRemove hooks reported (their stderr) and
    /// cleanup steps that failed, for the user.
    pub messages: Vec<String>,
}

/// Removes `worktree`: refuses when it has [`changes`] unless
/// `discard_changes`, fires WorktreeRemove, then (for worktrees git made)
/// runs `git worktree remove` and deletes its `worktree-<name>` branch.
pub async fn remove(
    worktree: &Worktree,
    discard_changes: bool,
    hooks: Option<HookContext<'_>>,
) -> Result<Removal, WorktreeError> {
    if !discard_changes {
        let changes = changes(worktree).await?;
        if !changes.is_empty() {
            return Err(WorktreeError::HasChanges(changes));
        }
    }
    let mut removal = Removal::default();
    if let Some(hooks) = hooks {
        removal.messages = hooks.remove(&worktree.path).await;
    }
    if worktree.from_hook {
        return Ok(removal);
    }
    let target = worktree.path.display().to_string();
    let mut args = vec!["worktree", "remove"];
    if discard_changes {
        args.push("--force");
    }
    args.push(&target);
    git(&worktree.repo_root, &args).await?;
    removal.removed_by_git = true;
    let own_branch = branch_for(&worktree.name);
    if worktree.branch.as_deref() == Some(own_branch.as_str()) {
        match git(&worktree.repo_root, &["branch", "-D", &own_branch]).await {
            Ok(_) => removal.deleted_branch = Some(own_branch),
            Err(error) => removal.messages.push(error.to_string()),
        }
    }
    tracing::info!(path = %target, "worktree removed");
    Ok(removal)
}
