//! Background shells: commands started with `run_in_background`, their
//! accumulated output, exit notifications, and stopping them.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::sync::{mpsc, watch};

use super::output::{MAX_OUTPUT_CHARS, elide_middle};
use super::process::{KILL_GRACE, exit_code, read_into, signal_group, spawn};

/// Bytes of each stream a background task keeps; older output is dropped
/// first.
pub const TASK_BUFFER_BYTES: usize = 1024 * 1024;

/// Where a background task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskStatus {
    /// Still running.
    Running,
    /// Exited by itself with this code (128 + signal when killed by one).
    Completed {
        /// The exit code.
        #[serde(rename = "exitCode")]
        exit_code: i32,
    },
    /// Stopped by `TaskStop` or the session.
    Killed {
        /// The exit code the shell reported.
        #[serde(rename = "exitCode")]
        exit_code: i32,
    },
}

/// The notice sent when a background task exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskExit {
    /// The task's id.
    pub task_id: String,
    /// The command it ran.
    pub command: String,
    /// How it ended ([`TaskStatus::Completed`] or [`TaskStatus::Killed`]).
    pub status: TaskStatus,
}

/// What a background task has done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSnapshot {
    /// The task's id.
    pub task_id: String,
    /// The command it runs.
    pub command: String,
    /// Running or how it ended.
    pub status: TaskStatus,
    /// Its standard output so far, at most [`MAX_OUTPUT_CHARS`] characters
    /// (older bytes beyond [`TASK_BUFFER_BYTES`] dropped, the middle of the
    /// rest elided, both with a marker).
    pub stdout: String,
    /// Its standard error, bounded the same way.
    pub stderr: String,
}

/// Why [`BackgroundTasks::stop`] did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StopError {
    /// No task has this id in the session.
    #[error("no background task with id `{0}`")]
    UnknownTask(String),
    /// The task had already ended.
    #[error("background task `{task_id}` is not running (it exited with code {exit_code})")]
    NotRunning {
        /// The task's id.
        task_id: String,
        /// Its exit code.
        exit_code: i32,
    },
}

/// A bounded byte buffer keeping the newest bytes.
#[derive(Debug, Default)]
struct Ring {
    bytes: VecDeque<u8>,
    dropped: u64,
}

impl Ring {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend(bytes);
        let excess = self.bytes.len().saturating_sub(TASK_BUFFER_BYTES);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    fn to_text(&self) -> String {
        let bytes: Vec<u8> = self.bytes.iter().copied().collect();
        let text = elide_middle(&String::from_utf8_lossy(&bytes), MAX_OUTPUT_CHARS, 0);
        if self.dropped == 0 {
            text
        } else {
            format!(
                "[... {} earlier bytes of output dropped ...]\n{text}",
                self.dropped
            )
        }
    }
}

#[derive(Debug)]
struct Task {
    id: String,
    command: String,
    pgid: i32,
    stdout: Arc<Mutex<Ring>>,
    stderr: Arc<Mutex<Ring>>,
    /// `Running` until the shell exits.
    status: watch::Sender<TaskStatus>,
    /// Set before the group is signalled by `stop`.
    stopping: std::sync::atomic::AtomicBool,
    /// Output pipes still open (children may outlive the shell).
    open_streams: Arc<AtomicU64>,
}

impl Task {
    fn snapshot(&self) -> TaskSnapshot {
        let text = |ring: &Arc<Mutex<Ring>>| {
            ring.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .to_text()
        };
        TaskSnapshot {
            task_id: self.id.clone(),
            command: self.command.clone(),
            status: *self.status.borrow(),
            stdout: text(&self.stdout),
            stderr: text(&self.stderr),
        }
    }
}

#[derive(Debug)]
struct Registry {
    tasks: Mutex<BTreeMap<String, Arc<Task>>>,
    next_id: AtomicU64,
    exits_tx: mpsc::UnboundedSender<TaskExit>,
    exits_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<TaskExit>>,
}

impl Drop for Registry {
    /// The session is over: every background process group still alive is
    /// killed (`cli-core.md` §2.8).
    fn drop(&mut self) {
        let tasks = self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner);
        for task in tasks.values() {
            let running = matches!(*task.status.borrow(), TaskStatus::Running);
            if running || task.open_streams.load(Ordering::SeqCst) > 0 {
                signal_group(task.pgid, Signal::SIGKILL);
            }
        }
    }
}

/// Reads `pipe` into `ring` until it closes, counting it in `open` while
/// it is open (children can keep a pipe open after the shell exited).
fn collect<R>(pipe: R, ring: &Arc<Mutex<Ring>>, open: &Arc<AtomicU64>)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    open.fetch_add(1, Ordering::SeqCst);
    let reader = read_into(pipe, Arc::clone(ring), Ring::push);
    let open = Arc::clone(open);
    tokio::spawn(async move {
        // The reader ends at end of file or on a read error; either way the
        // pipe is done.
        let _ = reader.await;
        open.fetch_sub(1, Ordering::SeqCst);
    });
}

/// The background shells of one session, shared by `Bash`, `TaskOutput` and
/// `TaskStop` (clones share the tasks). When the last clone is dropped, every
/// task still running is killed with its whole process group.
#[derive(Debug, Clone)]
pub struct BackgroundTasks {
    inner: Arc<Registry>,
}

impl Default for BackgroundTasks {
    fn default() -> Self {
        Self::new()
    }
}

impl BackgroundTasks {
    /// An empty registry.
    pub fn new() -> Self {
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(Registry {
                tasks: Mutex::new(BTreeMap::new()),
                next_id: AtomicU64::new(1),
                exits_tx,
                exits_rx: tokio::sync::Mutex::new(exits_rx),
            }),
        }
    }

    /// Starts `shell -c script` in `cwd` detached in its own process group
    /// and returns its task id at once. Needs a tokio runtime.
    pub(crate) fn start(
        &self,
        shell: &Path,
        command: &str,
        script: &str,
        cwd: &Path,
        env: &BTreeMap<String, String>,
    ) -> io::Result<String> {
        let (mut child, pgid) = spawn(shell, script, cwd, env)?;
        let number = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("bash_{number}");
        let (status, _) = watch::channel(TaskStatus::Running);
        let task = Arc::new(Task {
            id: id.clone(),
            command: command.to_owned(),
            pgid,
            stdout: Arc::default(),
            stderr: Arc::default(),
            status,
            stopping: std::sync::atomic::AtomicBool::new(false),
            open_streams: Arc::new(AtomicU64::new(0)),
        });
        if let Some(pipe) = child.stdout.take() {
            collect(pipe, &task.stdout, &task.open_streams);
        }
        if let Some(pipe) = child.stderr.take() {
            collect(pipe, &task.stderr, &task.open_streams);
        }
        let waiter_task = Arc::clone(&task);
        let exits = self.inner.exits_tx.clone();
        tokio::spawn(async move {
            let code = match child.wait().await {
                Ok(status) => exit_code(status),
                Err(error) => {
                    tracing::warn!(task_id = %waiter_task.id, %error, "waiting for a background task failed");
                    -1
                }
            };
            let status = if waiter_task.stopping.load(Ordering::SeqCst) {
                TaskStatus::Killed { exit_code: code }
            } else {
                TaskStatus::Completed { exit_code: code }
            };
            waiter_task.status.send_replace(status);
            // The receiver lives in the registry; once it is gone nobody
            // is listening and the notice can go.
            let _ = exits.send(TaskExit {
                task_id: waiter_task.id.clone(),
                command: waiter_task.command.clone(),
                status,
            });
        });
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), task);
        tracing::debug!(task_id = %id, pgid, "background task started");
        Ok(id)
    }

    fn task(&self, task_id: &str) -> Option<Arc<Task>> {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(task_id)
            .cloned()
    }

    /// The task's output and status now, or `None` for an unknown id.
    pub fn snapshot(&self, task_id: &str) -> Option<TaskSnapshot> {
        self.task(task_id).map(|task| task.snapshot())
    }

    /// Waits until the task exits or `timeout` passes, then returns its
    /// snapshot; `None` for an unknown id.
    pub async fn wait(&self, task_id: &str, timeout: Duration) -> Option<TaskSnapshot> {
        let task = self.task(task_id)?;
        let mut status = task.status.subscribe();
        // The sender lives in `task`, so `wait_for` only ends by the
        // predicate or the timeout.
        let _ = tokio::time::timeout(
            timeout,
            status.wait_for(|status| !matches!(status, TaskStatus::Running)),
        )
        .await;
        Some(task.snapshot())
    }

    /// Every task of the session, oldest first (for `/tasks`).
    pub fn list(&self) -> Vec<TaskSnapshot> {
        let tasks: Vec<Arc<Task>> = self
            .inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        let mut snapshots: Vec<TaskSnapshot> = tasks.iter().map(|task| task.snapshot()).collect();
        snapshots.sort_by_key(|snapshot| {
            snapshot
                .task_id
                .trim_start_matches("bash_")
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        });
        snapshots
    }

    /// Stops a running task: SIGTERM to its process group, SIGKILL after
    /// two seconds if it is still there. Returns its final status.
    pub async fn stop(&self, task_id: &str) -> Result<TaskStatus, StopError> {
        let task = self
            .task(task_id)
            .ok_or_else(|| StopError::UnknownTask(task_id.to_owned()))?;
        let current = *task.status.borrow();
        match current {
            TaskStatus::Running => {}
            TaskStatus::Completed { exit_code } | TaskStatus::Killed { exit_code } => {
                return Err(StopError::NotRunning {
                    task_id: task_id.to_owned(),
                    exit_code,
                });
            }
        }
        task.stopping.store(true, Ordering::SeqCst);
        signal_group(task.pgid, Signal::SIGTERM);
        let mut status = task.status.subscribe();
        let ended = tokio::time::timeout(
            KILL_GRACE,
            status.wait_for(|status| !matches!(status, TaskStatus::Running)),
        )
        .await
        .is_ok();
        // Grandchildren that ignored SIGTERM (or a shell that did) go now.
        signal_group(task.pgid, Signal::SIGKILL);
        if !ended {
            let _ = status
                .wait_for(|status| !matches!(status, TaskStatus::Running))
                .await;
        }
        Ok(*task.status.borrow())
    }

    /// The next exit notice if one is waiting.
    pub fn try_next_exit(&self) -> Option<TaskExit> {
        self.inner.exits_rx.try_lock().ok()?.try_recv().ok()
    }

    /// Waits for the next task to exit and returns its notice.
    pub async fn next_exit(&self) -> Option<TaskExit> {
        self.inner.exits_rx.lock().await.recv().await
    }
}
