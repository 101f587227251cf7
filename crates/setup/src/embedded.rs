//! The I/O of a custom command's embedded parts, shared by the hosts that
//! expand commands (`ferrule_memory::CommandHost` implementations): a
//! `` !`cmd` `` part runs in bash in the project with a time limit, an
//! `@file` part is read relative to the project. The permission check
//! before a shell part is the host's, since only it knows whom to ask.

use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Longest an embedded command may run.
pub const EMBEDDED_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `command` with `bash -c` in `cwd`: its stdout then stderr on
/// success; on failure that text with the exit status, a timeout, or
/// "Interrupted" when `cancel` fires first.
///
/// # Errors
/// A readable message: the failing output and status, the timeout, the
/// interrupt, or why bash could not start.
pub async fn run_embedded_shell(
    cwd: &Path,
    command: &str,
    cancel: Option<&CancellationToken>,
) -> Result<String, String> {
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let cancelled = async {
        match cancel {
            Some(cancel) => cancel.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let output = tokio::select! {
        output = tokio::time::timeout(EMBEDDED_COMMAND_TIMEOUT, child) => output,
        () = cancelled => return Err("Interrupted".to_owned()),
    };
    match output {
        Err(_) => Err(format!(
            "`{command}` timed out after {}s",
            EMBEDDED_COMMAND_TIMEOUT.as_secs()
        )),
        Ok(Err(error)) => Err(format!("cannot run bash: {error}")),
        Ok(Ok(output)) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            if output.status.success() {
                Ok(text)
            } else {
                Err(format!("{} ({})", text.trim_end(), output.status))
            }
        }
    }
}

/// Reads an `@file` part, relative to `cwd`.
///
/// # Errors
/// The full path and the I/O error.
pub async fn read_embedded_file(cwd: &Path, path: &str) -> Result<String, String> {
    let full = cwd.join(path);
    tokio::fs::read_to_string(&full)
        .await
        .map_err(|error| format!("{}: {error}", full.display()))
}
