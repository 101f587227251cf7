//! Shell commands the interface runs itself: `!command` typed by the user
//! (bash mode) and the `` !`cmd` `` parts of custom commands, which go
//! through the Bash permission check first and ask the user when the
//! policy says ask.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrule_agent::{AskAnswer, AskRequest, Asker};
use ferrule_memory::CommandHost;
use ferrule_permissions::{Behavior, Policy, Request, decide};
use serde_json::json;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// Longest a shell command may run.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Output of one command: stdout and stderr joined, and whether it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellOutput {
    pub(crate) text: String,
    pub(crate) failed: bool,
}

/// Runs `command` with `bash -c` in `cwd`, killed after two minutes or
/// when `cancel` fires.
pub(crate) async fn run_shell(
    command: &str,
    cwd: &Path,
    cancel: &CancellationToken,
) -> ShellOutput {
    let child = Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let result = tokio::select! {
        result = tokio::time::timeout(TIMEOUT, child) => result,
        () = cancel.cancelled() => {
            return ShellOutput { text: "Interrupted".into(), failed: true };
        }
    };
    match result {
        Err(_) => ShellOutput {
            text: format!("Timed out after {}s", TIMEOUT.as_secs()),
            failed: true,
        },
        Ok(Err(error)) => ShellOutput {
            text: format!("cannot run bash: {error}"),
            failed: true,
        },
        Ok(Ok(output)) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !stderr.trim().is_empty() {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&stderr);
            }
            let failed = !output.status.success();
            if failed {
                let code = output
                    .status
                    .code()
                    .map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"));
                text.push_str(&format!("\n(exit {code})"));
            }
            ShellOutput {
                text: text.trim_end().to_owned(),
                failed,
            }
        }
    }
}

/// Expands custom commands: shell parts after the Bash check (asking the
/// user through `asker` on "ask"), `@file` parts read from the workspace.
pub(crate) struct ExpandHost {
    pub(crate) cwd: PathBuf,
    pub(crate) policy: Policy,
    pub(crate) asker: Arc<dyn Asker>,
    pub(crate) cancel: CancellationToken,
}

impl CommandHost for ExpandHost {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        let input = json!({"command": command});
        let decision = decide(&self.policy, &Request::new("Bash", input.clone()));
        match decision.behavior {
            Behavior::Allow => {}
            Behavior::Deny => {
                return Err(format!("Bash({command}) is denied: {}", decision.reason));
            }
            Behavior::Ask => {
                let request = AskRequest {
                    tool_use_id: format!("command-{}", fastrand_id()),
                    tool_name: "Bash".into(),
                    input,
                    decision,
                    suggestions: Vec::new(),
                    agent_id: None,
                    cancel: self.cancel.clone(),
                };
                if let AskAnswer::Deny { message, .. } = self.asker.ask(request).await {
                    return Err(format!("Bash({command}) was not run: {message}"));
                }
            }
        }
        let output = run_shell(command, &self.cwd, &self.cancel).await;
        if output.failed {
            Err(output.text)
        } else {
            Ok(output.text)
        }
    }

    async fn read_file(&self, path: &str) -> Result<String, String> {
        ferrule_setup::read_embedded_file(&self.cwd, path).await
    }
}

fn fastrand_id() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_and_exit_status() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let ok = run_shell("echo out; echo err >&2", dir.path(), &cancel).await;
        assert_eq!(
            ok,
            ShellOutput {
                text: "out\nerr".into(),
                failed: false
            }
        );
        let bad = run_shell("exit 3", dir.path(), &cancel).await;
        assert!(bad.failed && bad.text.ends_with("(exit code 3)"), "{bad:?}");
    }

    #[tokio::test]
    async fn cancel_stops_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let out = run_shell("sleep 30", dir.path(), &cancel).await;
        assert_eq!(out.text, "Interrupted");
    }

    #[tokio::test]
    async fn denied_shell_parts_are_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let source = ferrule_permissions::RuleSource {
            path: None,
            root: dir.path().to_path_buf(),
        };
        let policy = Policy::builder(dir.path(), dir.path())
            .rules(Behavior::Deny, ["Bash(touch:*)"], source)
            .build();
        let host = ExpandHost {
            cwd: dir.path().to_path_buf(),
            policy,
            asker: Arc::new(ferrule_agent::HeadlessAsker),
            cancel: CancellationToken::new(),
        };
        assert!(host.run_shell("touch x").await.is_err());
        assert!(!dir.path().join("x").exists());
        assert_eq!(host.run_shell("echo hi").await.as_deref(), Ok("hi"));
        let asked = host.run_shell("rm -f y").await.unwrap_err();
        assert!(asked.contains("was not run"), "{asked}");
    }
}
