//! Starting a shell command in its own process group, reading both output
//! streams at once, and killing the whole group.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::output::HeadTail;

/// How long a process group gets between SIGTERM and SIGKILL.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(2);

/// How long output is still read after the shell exited, for children that
/// flush late. Children still holding the pipes after that are killed.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// The shell commands run in: `$SHELL` when it is bash, zsh or sh, else
/// `bash` (`cli-core.md` §2.8: "the user's shell, `bash` on Unix").
pub(crate) fn shell_program() -> PathBuf {
    if let Some(shell) = std::env::var_os("SHELL") {
        let path = PathBuf::from(shell);
        let known = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| matches!(name, "bash" | "zsh" | "sh"));
        if known && path.is_absolute() && path.is_file() {
            return path;
        }
    }
    PathBuf::from("bash")
}

/// Starts `shell -c script` in `cwd` as the leader of a new process group,
/// stdin closed, stdout and stderr piped. Returns the child and its group id.
pub(crate) fn spawn(
    shell: &Path,
    script: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
) -> io::Result<(Child, i32)> {
    let mut command = Command::new(shell);
    command
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the shell exited before its pid was read"))?;
    let pgid = i32::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    Ok((child, pgid))
}

/// Sends `signal` to every process of group `pgid`. A group that is already
/// gone is not an error.
pub(crate) fn signal_group(pgid: i32, signal: Signal) {
    if let Err(error) = killpg(Pid::from_raw(pgid), signal)
        && error != nix::errno::Errno::ESRCH
    {
        tracing::warn!(pgid, %error, ?signal, "cannot signal process group");
    }
}

/// SIGTERM to the group, up to [`KILL_GRACE`] for the leader to exit, then
/// SIGKILL to whatever is left of the group (grandchildren included).
pub(crate) async fn terminate_group(pgid: i32, child: &mut Child) -> io::Result<ExitStatus> {
    signal_group(pgid, Signal::SIGTERM);
    let status = match tokio::time::timeout(KILL_GRACE, child.wait()).await {
        Ok(status) => status?,
        Err(_) => {
            signal_group(pgid, Signal::SIGKILL);
            child.wait().await?
        }
    };
    signal_group(pgid, Signal::SIGKILL);
    Ok(status)
}

/// The exit code a shell would report: the code, or 128 + the signal.
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Reads `stream` to its end into `sink`.
pub(crate) fn read_into<R, S>(
    mut stream: R,
    sink: Arc<Mutex<S>>,
    push: fn(&mut S, &[u8]),
) -> JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    S: Send + 'static,
{
    tokio::spawn(async move {
        let mut chunk = vec![0_u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => break,
                Ok(read) => {
                    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    push(&mut sink, &chunk[..read]);
                }
                Err(error) => {
                    tracing::debug!(%error, "reading command output stopped");
                    break;
                }
            }
        }
    })
}

/// How a foreground command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The shell exited by itself.
    Exited,
    /// The timeout passed; the group was killed.
    TimedOut,
    /// The call was cancelled; the group was killed.
    Cancelled,
}

/// A finished foreground command.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) stdout: HeadTail,
    pub(crate) stderr: HeadTail,
    pub(crate) exit_code: i32,
    pub(crate) ending: Ending,
    /// Children were still holding the output pipes after the shell exited
    /// and were killed.
    pub(crate) killed_leftovers: bool,
}

/// Runs `shell -c script` to its end, the timeout or cancellation, whichever
/// comes first; on the latter two the whole process group is killed.
pub(crate) async fn run(
    shell: &Path,
    script: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> io::Result<Finished> {
    let (mut child, pgid) = spawn(shell, script, cwd, env)?;
    let stdout = Arc::new(Mutex::new(HeadTail::default()));
    let stderr = Arc::new(Mutex::new(HeadTail::default()));
    let mut readers = Vec::new();
    if let Some(pipe) = child.stdout.take() {
        readers.push(read_into(pipe, Arc::clone(&stdout), HeadTail::push));
    }
    if let Some(pipe) = child.stderr.take() {
        readers.push(read_into(pipe, Arc::clone(&stderr), HeadTail::push));
    }
    let (status, ending) = tokio::select! {
        status = child.wait() => (status?, Ending::Exited),
        () = tokio::time::sleep(timeout) => (terminate_group(pgid, &mut child).await?, Ending::TimedOut),
        () = cancel.cancelled() => (terminate_group(pgid, &mut child).await?, Ending::Cancelled),
    };
    let mut killed_leftovers = false;
    let drained = tokio::time::timeout(DRAIN_GRACE, join_all(&mut readers)).await;
    if drained.is_err() {
        // Something the command started in the foreground still holds the
        // pipes (e.g. `server &`): it belongs to the call, so it goes too.
        killed_leftovers = true;
        signal_group(pgid, Signal::SIGTERM);
        if tokio::time::timeout(KILL_GRACE, join_all(&mut readers))
            .await
            .is_err()
        {
            signal_group(pgid, Signal::SIGKILL);
            if tokio::time::timeout(DRAIN_GRACE, join_all(&mut readers))
                .await
                .is_err()
            {
                readers.iter().for_each(JoinHandle::abort);
            }
        }
    }
    let take = |buffer: &Arc<Mutex<HeadTail>>| {
        std::mem::take(&mut *buffer.lock().unwrap_or_else(PoisonError::into_inner))
    };
    Ok(Finished {
        stdout: take(&stdout),
        stderr: take(&stderr),
        exit_code: exit_code(status),
        ending,
        killed_leftovers,
    })
}

async fn join_all(readers: &mut [JoinHandle<()>]) {
    for reader in readers.iter_mut() {
        if !reader.is_finished() {
            // A reader task never panics; a cancelled one just ends.
            let _ = reader.await;
        }
    }
}
