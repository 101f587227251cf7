//! Running the `git` binary.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::WorktreeError;

/// Runs `git args` in `dir`; its trimmed stdout on success.
pub(crate) async fn git(dir: &Path, args: &[&str]) -> Result<String, WorktreeError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(WorktreeError::GitMissing)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(WorktreeError::Git {
            command: args.join(" "),
            dir: dir.to_path_buf(),
            stderr: if stderr.is_empty() {
                format!("exit status {}", output.status)
            } else {
                stderr
            },
        })
    }
}

/// The root of the main working tree of the repository that contains
/// `dir` (also when `dir` is inside one of its linked worktrees).
pub async fn repo_root(dir: &Path) -> Result<PathBuf, WorktreeError> {
    let common = match git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .await
    {
        Ok(common) => PathBuf::from(common),
        Err(WorktreeError::Git { .. }) => {
            return Err(WorktreeError::NotARepository {
                dir: dir.to_path_buf(),
            });
        }
        Err(other) => return Err(other),
    };
    // `<root>/.git` for a normal repository; a bare one has no work tree.
    if common.file_name().is_some_and(|name| name == ".git")
        && let Some(root) = common.parent()
    {
        return Ok(canonical(root));
    }
    let top = git(dir, &["rev-parse", "--show-toplevel"])
        .await
        .map_err(|_| WorktreeError::NotARepository {
            dir: dir.to_path_buf(),
        })?;
    Ok(canonical(Path::new(&top)))
}

/// True when `dir` is the top of a git work tree.
pub(crate) async fn is_work_tree_top(dir: &Path) -> bool {
    match git(dir, &["rev-parse", "--show-toplevel"]).await {
        Ok(top) => canonical(Path::new(&top)) == canonical(dir),
        Err(_) => false,
    }
}

/// `path` with symlinks resolved, or as given when that fails.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
