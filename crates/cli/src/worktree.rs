//! `ferrule --worktree [name]` (cli-core.md §9.3, `qoder-docs/cli/using-cli.md`
//! "Worktree"): make a git worktree of the project's repository (the
//! project's WorktreeCreate hooks may make it instead), run the session
//! in it, and at the end print its path and the command that resumes the
//! session there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use ferrule_config::{DEFAULT_POLICY_PATH, LoadOptions, load};
use ferrule_hooks::{CommonFields, Dispatcher, FolderTrust, TrustStore};
use ferrule_session::SessionStore;

use crate::run::RunArgs;

/// Runs `session` with `args`, in a fresh worktree when `--worktree` was
/// given.
pub(crate) fn around(
    mut args: RunArgs,
    interactive: bool,
    session: impl FnOnce(RunArgs) -> Result<ExitCode>,
) -> Result<ExitCode> {
    let Some(name) = args.worktree.clone() else {
        return session(args);
    };
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let dir = args.project_dir(&here);
    // A new session's id is known before the worktree exists, so that the
    // WorktreeCreate hooks get it.
    if args.session_id.is_none() && args.resume.is_none() && !args.continue_recent {
        args.session_id = Some(uuid::Uuid::new_v4().to_string());
    }
    let worktree = create(&args, &dir, name.as_deref(), interactive)?;
    args.cwd = Some(worktree.path.clone());
    let user_dir = args
        .setup_options(
            ferrule_setup::Host::Print,
            worktree.path.clone(),
            std::env::vars().collect(),
        )
        .ok()
        .and_then(|options| options.resolved_user_dir());
    let code = session(args)?;
    eprintln!("{}", farewell(&worktree.path, user_dir.as_deref()));
    Ok(code)
}

/// Makes the worktree, through the project's WorktreeCreate hooks when it
/// has some.
fn create(
    args: &RunArgs,
    dir: &Path,
    name: Option<&str>,
    interactive: bool,
) -> Result<ferrule_worktree::Worktree> {
    let hooks = dispatcher(args, dir, interactive);
    let common = CommonFields {
        session_id: args.session_id.clone().unwrap_or_default(),
        cwd: dir.display().to_string(),
        ..CommonFields::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let worktree = runtime
        .block_on(ferrule_worktree::create(
            dir,
            name,
            Some(ferrule_worktree::HookContext {
                dispatcher: &hooks,
                common: &common,
            }),
        ))
        .context("--worktree")?;
    tracing::info!(path = %worktree.path.display(), "session runs in a worktree");
    Ok(worktree)
}

/// The hooks of the project's settings. A non-interactive run trusts its
/// directory (decision A-22); the interface only a folder the settings
/// trust.
fn dispatcher(args: &RunArgs, dir: &Path, interactive: bool) -> Dispatcher {
    let mut options = LoadOptions::new(dir);
    options.user_dir.clone_from(&args.config_dir);
    options.settings_flag.clone_from(&args.settings);
    options.policy_path = Some(
        std::env::var_os("FERRULE_POLICY_SETTINGS")
            .map_or_else(|| PathBuf::from(DEFAULT_POLICY_PATH), PathBuf::from),
    );
    let loaded = load(&options);
    let trusted = !interactive
        || TrustStore::from_settings(&loaded, options.resolved_home().as_deref())
            .why_trusted(dir)
            .is_some();
    let trust = if trusted {
        FolderTrust::Trusted
    } else {
        FolderTrust::Untrusted
    };
    Dispatcher::builder(dir).settings(&loaded, trust).build()
}

/// What is printed when the session ends: where the worktree is and how to
/// go on there.
fn farewell(path: &Path, user_dir: Option<&Path>) -> String {
    let session = user_dir.and_then(|dir| {
        SessionStore::new(dir)
            .most_recent(path)
            .ok()
            .flatten()
            .map(|(id, _)| id)
    });
    let shown = shell_quote(&path.display().to_string());
    match session {
        Some(id) => format!(
            "Worktree: {}\nResume this session with: cd {shown} && ferrule --resume {id}\nRemove the worktree with: git worktree remove {shown}",
            path.display()
        ),
        None => format!(
            "Worktree: {}\nContinue there with: cd {shown} && ferrule\nRemove the worktree with: git worktree remove {shown}",
            path.display()
        ),
    }
}

/// `text` quoted for a POSIX shell when it needs it.
fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_farewell_names_the_path_and_the_resume_command() {
        let text = farewell(Path::new("/r/.qoder/worktrees/a"), None);
        assert!(
            text.starts_with("Worktree: /r/.qoder/worktrees/a\n"),
            "{text}"
        );
        assert!(text.contains("git worktree remove /r/.qoder/worktrees/a"));
        assert_eq!(shell_quote("/a b/c"), "'/a b/c'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
