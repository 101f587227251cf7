//! Git worktrees for isolated work: `ferrule --worktree [name]`, the
//! `EnterWorktree` / `ExitWorktree` tools and subagents with
//! `isolation: worktree` (cli-core.md §2.15, §7.3, §9.3).
//!
//! A worktree named `<name>` lives in `<repo>/.qoder/worktrees/<name>` on a
//! new branch `worktree-<name>` that starts at the repository's `HEAD`. The
//! real `git` binary does the work. When WorktreeCreate hooks are
//! configured they replace that default: the path they return (JSON
//! `hookSpecificOutput.worktreePath` or an absolute path on stdout) is the
//! worktree, and any non-zero exit fails the creation. WorktreeRemove hooks
//! fire before a worktree is removed.
//!
//! [`remove`] refuses a worktree that has uncommitted files or commits that
//! are not on the branch it started from, unless asked to discard them;
//! the refusal lists both ([`WorktreeError::HasChanges`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrule_worktree::WorktreeError> {
//! let worktree = ferrule_worktree::create(std::path::Path::new("."), Some("fix-login"), None).await?;
//! println!("{} on {}", worktree.path.display(), worktree.branch.as_deref().unwrap_or("?"));
//! ferrule_worktree::remove(&worktree, false, None).await?;
//! # Ok(())
//! # }
//! ```

mod create;
mod git;
mod hooks;
mod name;
mod remove;

use std::path::PathBuf;

pub use create::{create, open};
pub use git::repo_root;
pub use hooks::HookContext;
pub use name::{branch_for, generate_name, validate_name};
pub use remove::{Changes, Removal, changes, remove};

/// The directory under a repository root that holds the worktrees.
pub const WORKTREES_DIR: &str = ".qoder/worktrees";

/// A worktree made by [`create`] (or found again by [`open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// Its name (the last path component by default).
    pub name: String,
    /// Its directory, absolute.
    pub path: PathBuf,
    /// Its branch (`worktree-<name>`); `None` when a hook made it and it is
    /// not a git checkout.
    pub branch: Option<String>,
    /// The root of the repository it belongs to.
    pub repo_root: PathBuf,
    /// The commit it started from, when known.
    pub base_commit: Option<String>,
    /// A WorktreeCreate hook made it (removal is then the hooks' business:
    /// git is not asked to remove it).
    pub from_hook: bool,
}

/// What went wrong with a worktree.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    /// The name cannot be used.
    #[error("invalid worktree name `{name}`: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// The directory is not inside a git repository.
    #[error(
        "{dir} is not inside a git repository; worktrees need one (run `git init` there, or start ferrule inside a repository)"
    )]
    NotARepository {
        /// The directory asked about.
        dir: PathBuf,
    },
    /// `git` could not be started.
    #[error("cannot run git: {0} (is git installed and on PATH?)")]
    GitMissing(#[source] std::io::Error),
    /// A git command failed.
    #[error("`git {command}` failed in {dir}: {stderr}")]
    Git {
        /// The arguments.
        command: String,
        /// Where it ran.
        dir: PathBuf,
        /// What git said.
        stderr: String,
    },
    /// A WorktreeCreate hook failed or returned no usable path.
    #[error("WorktreeCreate hook: {0}")]
    Hook(String),
    /// The worktree has work that removing it would lose.
    #[error("{}", remove::describe_changes(.0))]
    HasChanges(Changes),
    /// A path exists where the worktree should go and it is not one.
    #[error("{path} already exists and is not a worktree of {repo}")]
    Occupied {
        /// The path.
        path: PathBuf,
        /// The repository.
        repo: PathBuf,
    },
    /// File system trouble.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}
