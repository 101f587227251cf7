//! Making a worktree, or finding an existing one again.

use std::path::{Path, PathBuf};

use crate::git::{canonical, git, is_work_tree_top, repo_root};
use crate::hooks::HookContext;
use crate::name::{branch_for, generate_name, validate_name};
use crate::{WORKTREES_DIR, Worktree, WorktreeError};

/// Creates the worktree `name` (a generated one when `None`) of the
/// repository containing `dir`.
///
/// With WorktreeCreate hooks configured in `hooks`, they make it and their
/// path is used. Otherwise `git worktree add -b worktree-<name>
/// <repo>/.qoder/worktrees/<name> HEAD` does. When that directory is
/// already a worktree of the repository it is reused (so that a session
/// started with `--worktree NAME` can go on in it).
pub async fn create(
    dir: &Path,
    name: Option<&str>,
    hooks: Option<HookContext<'_>>,
) -> Result<Worktree, WorktreeError> {
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => generate_name(),
    };
    validate_name(&name)?;
    let root = repo_root(dir).await?;
    if let Some(hooks) = hooks
        && let Some(path) = hooks.create(&name).await?
    {
        let branch = if is_work_tree_top(&path).await {
            git(&path, &["symbolic-ref", "--quiet", "--short", "HEAD"])
                .await
                .ok()
        } else {
            None
        };
        return Ok(Worktree {
            name,
            base_commit: head(&path).await,
            path,
            branch,
            repo_root: root,
            from_hook: true,
        });
    }
    if let Some(existing) = open(&root, &name).await? {
        return Ok(existing);
    }
    let parent = root.join(WORKTREES_DIR);
    ensure_dir(&parent)?;
    ignore_everything(&parent)?;
    let path = parent.join(&name);
    let branch = branch_for(&name);
    let base = head(&root).await.ok_or_else(|| WorktreeError::Git {
        command: "rev-parse HEAD".to_owned(),
        dir: root.clone(),
        stderr: "the repository has no commit yet; commit something before creating a worktree"
            .to_owned(),
    })?;
    let target = path.display().to_string();
    git(&root, &["worktree", "add", "-b", &branch, &target, &base]).await?;
    tracing::info!(path = %target, %branch, "worktree created");
    Ok(Worktree {
        name,
        path: canonical(&path),
        branch: Some(branch),
        repo_root: root,
        base_commit: Some(base),
        from_hook: false,
    })
}

/// The existing worktree `name` of the repository at `root`, if there is
/// one; an error when its directory exists but is something else.
pub async fn open(root: &Path, name: &str) -> Result<Option<Worktree>, WorktreeError> {
    validate_name(name)?;
    let path = root.join(WORKTREES_DIR).join(name);
    if !path.exists() {
        return Ok(None);
    }
    if !is_work_tree_top(&path).await || repo_root(&path).await.ok().as_deref() != Some(root) {
        return Err(WorktreeError::Occupied {
            path,
            repo: root.to_path_buf(),
        });
    }
    let branch = git(&path, &["symbolic-ref", "--quiet", "--short", "HEAD"])
        .await
        .ok();
    Ok(Some(Worktree {
        name: name.to_owned(),
        path: canonical(&path),
        branch,
        repo_root: root.to_path_buf(),
        base_commit: None,
        from_hook: false,
    }))
}

/// The commit `HEAD` names in `dir`, if any.
pub(crate) async fn head(dir: &Path) -> Option<String> {
    git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])
        .await
        .ok()
        .filter(|sha| !sha.is_empty())
}

fn ensure_dir(dir: &Path) -> Result<(), WorktreeError> {
    std::fs::create_dir_all(dir).map_err(|source| WorktreeError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// A `.gitignore` of `*` in `.qoder/worktrees`, so the main checkout's
/// `git status` does not list the worktrees (nor the file itself).
fn ignore_everything(dir: &Path) -> Result<(), WorktreeError> {
    let file: PathBuf = dir.join(".gitignore");
    if file.exists() {
        return Ok(());
    }
    std::fs::write(&file, "*\n").map_err(|source| WorktreeError::Io { path: file, source })
}
