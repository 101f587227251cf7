//! An environment's `setup_script` (`cloud-api.md` §4.1, §4.9): run once
//! per session working directory with `/bin/bash -lc` before its first
//! turn, within a time limit; its output is kept next to the directory
//! (`<session>.setup.log`), and a failure stops the turn with the exit code
//! and the end of its stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The documented limit.
pub(crate) const TIME_LIMIT: Duration = Duration::from_secs(600);
const EXCERPT: usize = 2000;

fn sibling(cwd: &Path, suffix: &str) -> PathBuf {
    let name = cwd
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    cwd.with_file_name(format!("{name}.{suffix}"))
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(EXCERPT);
    let mut start = start;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim()
}

/// Runs `script` in `cwd` unless it already ran there successfully.
///
/// # Errors
/// The script failed, timed out or could not start: the message says
/// which, with the exit code and a stderr excerpt.
pub(crate) async fn ensure(
    cwd: &Path,
    script: &str,
    env: &BTreeMap<String, String>,
    limit: Duration,
) -> Result<(), String> {
    let done = sibling(cwd, "setup-done");
    if script.trim().is_empty() || done.exists() {
        return Ok(());
    }
    let child = tokio::process::Command::new("/bin/bash")
        .arg("-lc")
        .arg(script)
        .current_dir(cwd)
        .envs(env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("setup_script could not start: {e}"))?;
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(result) => result.map_err(|e| format!("setup_script failed to run: {e}"))?,
        Err(_) => {
            return Err(format!(
                "setup_script did not finish within {} seconds and was stopped.",
                limit.as_secs()
            ));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let log = format!(
        "exit: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    if let Err(error) = std::fs::write(sibling(cwd, "setup.log"), log) {
        tracing::warn!(%error, "cannot keep the setup_script output");
    }
    if !output.status.success() {
        let code = output
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| c.to_string());
        return Err(format!(
            "setup_script exited with {code}: {}",
            tail(&stderr)
        ));
    }
    std::fs::write(&done, "").map_err(|e| format!("cannot record the setup_script run: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_once_and_reports_failures() {
        let root = tempfile::tempdir().unwrap();
        let cwd = root.path().join("sess_1");
        std::fs::create_dir_all(&cwd).unwrap();
        let env = BTreeMap::from([("GREETING".to_owned(), "hi".to_owned())]);
        let script = "echo \"$GREETING\" >> ran.txt";
        ensure(&cwd, script, &env, TIME_LIMIT).await.unwrap();
        ensure(&cwd, script, &env, TIME_LIMIT).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(cwd.join("ran.txt")).unwrap(),
            "hi\n"
        );

        let other = root.path().join("sess_2");
        std::fs::create_dir_all(&other).unwrap();
        let error = ensure(&other, "echo oops >&2; exit 3", &env, TIME_LIMIT)
            .await
            .unwrap_err();
        assert_eq!(error, "setup_script exited with 3: oops");
        let log = std::fs::read_to_string(root.path().join("sess_2.setup.log")).unwrap();
        assert!(log.contains("oops"));
        let slow = ensure(&other, "sleep 30", &env, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(slow.contains("did not finish"), "{slow}");
    }
}
