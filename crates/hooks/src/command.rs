//! Running a `command` hook: shell form (`bash -c`) or exec form, the input
//! JSON on stdin, the documented environment variables, and its own process
//! group, killed with every child on timeout (cli-core.md §5.2, §5.4).

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::input::HookInput;
use crate::run::{RawResult, RunStatus};
use crate::source::{HookSource, SourceKind};
use crate::spec::{CommandHook, Shell};

/// The most bytes kept of each of stdout and stderr; the rest is read and
/// dropped so the hook never blocks on a full pipe.
pub const MAX_CAPTURE: usize = 1024 * 1024;

/// How long to wait for the pipes to close after the group was killed.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

/// The environment variables a command hook gets on top of the process
/// environment and the settings' `env` (cli-core.md §5.4; the IDE's
/// `QODER_*` variables are set too, and `CLAUDE_PROJECT_DIR` for hooks
/// imported from Claude Code).
pub fn hook_env(
    input: &HookInput,
    source: &HookSource,
    project_dir: &Path,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let project = project_dir.display().to_string();
    env.insert("QODER_PROJECT_DIR".to_owned(), project.clone());
    env.insert("CLAUDE_PROJECT_DIR".to_owned(), project);
    env.insert(
        "QODER_SESSION_ID".to_owned(),
        input.common.session_id.clone(),
    );
    env.insert("QODER_CWD".to_owned(), input.common.cwd.clone());
    env.insert(
        "QODER_TRANSCRIPT_PATH".to_owned(),
        input.common.transcript_path.clone(),
    );
    if let Some((tool, tool_input)) = input.tool() {
        env.insert("QODER_TOOL_NAME".to_owned(), tool.to_owned());
        let file = ["file_path", "notebook_path", "path"]
            .iter()
            .find_map(|k| tool_input.get(k).and_then(Value::as_str));
        if let Some(file) = file {
            env.insert("QODER_TOOL_INPUT_FILE_PATH".to_owned(), file.to_owned());
        }
    }
    if let SourceKind::Plugin { root, data, .. } = &source.kind {
        env.insert("QODER_PLUGIN_ROOT".to_owned(), root.display().to_string());
        env.insert("QODER_PLUGIN_DATA".to_owned(), data.display().to_string());
    }
    env
}

/// Replaces `${QODER_PROJECT_DIR}`, `${QODER_PLUGIN_ROOT}` and
/// `${QODER_PLUGIN_DATA}` in `text` (for PowerShell and the exec form,
/// where no POSIX shell expands them).
fn substitute(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for name in [
        "QODER_PROJECT_DIR",
        "QODER_PLUGIN_ROOT",
        "QODER_PLUGIN_DATA",
    ] {
        if let Some(value) = env.get(name) {
            out = out.replace(&format!("${{{name}}}"), value);
        }
    }
    out
}

/// Runs `hook` with `stdin` as its input and `env` on top of the inherited
/// environment, in `cwd`, for at most `timeout`.
pub async fn run_command(
    hook: &CommandHook,
    stdin: Vec<u8>,
    env: &BTreeMap<String, String>,
    cwd: &Path,
    timeout: Duration,
) -> RawResult {
    let mut env = env.clone();
    env.extend(hook.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    match spawn(hook, &env, cwd, "bash") {
        Err(e)
            if e.kind() == io::ErrorKind::NotFound
                && hook.args.is_none()
                && hook.shell == Shell::Bash =>
        {
            match spawn(hook, &env, cwd, "sh") {
                Ok(child) => finish(child, stdin, timeout).await,
                Err(e) => failed(hook, &e),
            }
        }
        Err(e) => failed(hook, &e),
        Ok(child) => finish(child, stdin, timeout).await,
    }
}

fn failed(hook: &CommandHook, e: &io::Error) -> RawResult {
    RawResult {
        status: RunStatus::Failed(format!("cannot start `{}`: {e}", hook.command)),
        stdout: String::new(),
        stderr: String::new(),
    }
}

fn spawn(
    hook: &CommandHook,
    env: &BTreeMap<String, String>,
    cwd: &Path,
    posix_shell: &str,
) -> io::Result<tokio::process::Child> {
    let mut command = match (&hook.args, hook.shell) {
        (Some(args), _) => {
            let mut c = Command::new(substitute(&hook.command, env));
            c.args(args.iter().map(|a| substitute(a, env)));
            c
        }
        (None, Shell::Bash) => {
            let mut c = Command::new(posix_shell);
            c.arg("-c").arg(&hook.command);
            c
        }
        (None, Shell::PowerShell) => {
            let mut c = Command::new("pwsh");
            c.args(["-NoProfile", "-NonInteractive", "-Command"])
                .arg(substitute(&hook.command, env));
            c
        }
    };
    command
        .envs(env)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    command.spawn()
}

/// Kills the hook's process group when dropped while armed, so that a
/// cancelled dispatch leaves no process behind.
struct GroupGuard {
    pid: Option<Pid>,
}

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pid) = self.pid.take() {
            // ESRCH (the group is already gone) is fine.
            let _ = killpg(pid, Signal::SIGKILL);
        }
    }

    fn disarm(&mut self) {
        self.pid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn finish(mut child: tokio::process::Child, stdin: Vec<u8>, timeout: Duration) -> RawResult {
    let mut guard = GroupGuard {
        pid: child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw),
    };
    if let Some(mut pipe) = child.stdin.take() {
        tokio::spawn(async move {
            // A hook that does not read its input closes the pipe early.
            let _ = pipe.write_all(&stdin).await;
            let _ = pipe.shutdown().await;
        });
    }
    let mut stdout = child.stdout.take().map(|p| tokio::spawn(read_capped(p)));
    let mut stderr = child.stderr.take().map(|p| tokio::spawn(read_capped(p)));
    let waited = tokio::time::timeout(timeout, async {
        let status = child.wait().await;
        let out = collect(&mut stdout).await;
        let err = collect(&mut stderr).await;
        (status, out, err)
    })
    .await;
    match waited {
        Ok((status, out, err)) => {
            guard.disarm();
            let status = match status {
                Ok(s) => match (s.code(), s.signal()) {
                    (Some(code), _) => RunStatus::Exited(code),
                    (None, Some(signal)) => RunStatus::Signaled(signal),
                    (None, None) => RunStatus::Failed("ended without an exit code".to_owned()),
                },
                Err(e) => RunStatus::Failed(format!("waiting for the hook failed: {e}")),
            };
            RawResult {
                status,
                stdout: out,
                stderr: err,
            }
        }
        Err(_) => {
            guard.kill();
            let _ = child.wait().await;
            let drained = tokio::time::timeout(DRAIN_AFTER_KILL, async {
                (collect(&mut stdout).await, collect(&mut stderr).await)
            })
            .await;
            let (out, err) = drained.unwrap_or_default();
            RawResult {
                status: RunStatus::TimedOut,
                stdout: out,
                stderr: err,
            }
        }
    }
}

type Reader = tokio::task::JoinHandle<String>;

/// Awaits a pipe reader; a reader already collected (or never started)
/// gives an empty string.
async fn collect(handle: &mut Option<Reader>) -> String {
    let Some(reader) = handle.as_mut() else {
        return String::new();
    };
    let text = reader.await.unwrap_or_default();
    *handle = None;
    text
}

async fn read_capped(mut pipe: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}
