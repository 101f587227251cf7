//! Shell commands the user types in bash mode (`!command`). A custom
//! command's `` !`cmd` `` parts go through `ferrule_setup::CommandShell`.

use std::path::Path;
use std::time::Duration;

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
}
