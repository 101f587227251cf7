//! `Bash`: runs a command in the user's shell (`cli-core.md` §2.8), in the
//! foreground with a timeout or in the background as a task that `TaskOutput`
//! reads and `TaskStop` stops.

mod background;
mod output;
mod process;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub use background::{
    BackgroundTasks, StopError, TASK_BUFFER_BYTES, TaskExit, TaskSnapshot, TaskStatus,
};
pub use output::MAX_OUTPUT_CHARS;

use process::{Ending, Finished};

/// Timeout of a foreground command when the call gives none, in ms.
pub const DEFAULT_BASH_TIMEOUT_MS: u64 = 120_000;

/// The longest timeout a call may ask for, in ms; larger values are clamped
/// to it (with a note in the result).
pub const MAX_BASH_TIMEOUT_MS: u64 = 600_000;

/// Input of `Bash`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BashInput {
    /// The command to run.
    pub command: String,
    /// What the command does, in 5-10 words, for the user.
    #[serde(default)]
    pub description: Option<String>,
    /// Timeout in milliseconds (default 120000, at most 600000).
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Run the command in the background and return a task id at once; read
    /// its output with TaskOutput and stop it with TaskStop.
    #[serde(default)]
    pub run_in_background: Option<bool>,
    /// A directory inside the workspace to run this one command in (default:
    /// the shell's current directory).
    #[serde(default)]
    pub dir_path: Option<String>,
    /// The SDK's `BashInput` field asking to run outside the sandbox.
    /// Accepted so SDK hosts can send it, and ignored: ferrule runs commands
    /// without a sandbox, under the permission rules. Not advertised.
    #[serde(default, rename = "dangerouslyDisableSandbox")]
    #[schemars(skip)]
    pub dangerously_disable_sandbox: Option<bool>,
}

/// The `Bash` tool of one session: it remembers the shell's working
/// directory between calls and owns the session's [`BackgroundTasks`].
///
/// Each call starts a fresh shell, so environment variables and functions do
/// not carry over; only the directory does. It is tracked by an `EXIT` trap
/// that writes `pwd -P` to a private temporary file, never by reading the
/// command's output. A directory outside the allowed ones is not kept: the
/// next call starts in the session's cwd again and the result says so.
/// When the session's cwd itself moves (a worktree was entered, or a
/// subagent runs in its own), the next command starts there.
#[derive(Debug, Clone, Default)]
pub struct BashTool {
    /// The session cwd the directory was remembered under, and the directory.
    shell_cwd: Arc<Mutex<Option<(PathBuf, PathBuf)>>>,
    tasks: BackgroundTasks,
}

impl BashTool {
    /// A tool whose background commands go into `tasks` (share it with
    /// [`crate::TaskOutputTool`] and [`crate::TaskStopTool`]).
    pub fn new(tasks: BackgroundTasks) -> Self {
        Self {
            shell_cwd: Arc::default(),
            tasks,
        }
    }

    /// The session's background tasks.
    pub fn tasks(&self) -> &BackgroundTasks {
        &self.tasks
    }

    /// The directory the next command starts in, and a note when the
    /// remembered one was dropped.
    fn start_dir(&self, ctx: &ToolContext) -> (PathBuf, Option<String>) {
        let remembered = self
            .shell_cwd
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match remembered {
            Some((base, _)) if base != ctx.cwd() => (ctx.cwd().to_path_buf(), None),
            Some((_, dir)) if dir.is_dir() && ctx.is_allowed(&dir) => (dir, None),
            Some((_, dir)) => (
                ctx.cwd().to_path_buf(),
                Some(format!(
                    "The shell's directory {} is gone; this command ran in {}.",
                    dir.display(),
                    ctx.cwd().display()
                )),
            ),
            None => (ctx.cwd().to_path_buf(), None),
        }
    }

    /// Keeps the directory the command ended in, when it is allowed.
    fn remember_dir(&self, ended_in: &Path, ctx: &ToolContext) -> Option<String> {
        let mut remembered = self
            .shell_cwd
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let base = ctx.cwd().to_path_buf();
        if ctx.is_allowed(ended_in) {
            *remembered = Some((base, ended_in.to_path_buf()));
            None
        } else {
            *remembered = Some((base.clone(), base));
            Some(format!(
                "The command changed directory to {}, which is outside the allowed directories; \
                 the shell's directory was reset to {}.",
                ended_in.display(),
                ctx.cwd().display()
            ))
        }
    }

    fn dir_path(input: &BashInput, ctx: &ToolContext) -> Result<Option<PathBuf>, ToolError> {
        let Some(raw) = &input.dir_path else {
            return Ok(None);
        };
        let dir = ctx.resolve_path("dir_path", raw)?;
        if dir.is_dir() {
            Ok(Some(dir))
        } else {
            Err(ToolError::respond(format!(
                "`dir_path` {raw} is not a directory"
            )))
        }
    }
}

const DESCRIPTION: &str = "\
Runs a shell command and returns its stdout, stderr and exit code.
- Each call starts a new shell: the working directory carries over between calls, environment \
variables and shell functions do not.
- `timeout` is in milliseconds: 120000 by default, at most 600000. On timeout the command and \
everything it started are killed.
- Output longer than 30000 characters is cut in the middle.
- Set `run_in_background` for servers and long jobs: you get a task id at once; read its output \
with TaskOutput and stop it with TaskStop.
- Interactive commands (editors, `git rebase -i`, prompts) cannot get input and are not supported.
- Prefer Read, Grep, Glob and Edit over cat, grep, find and sed.";

#[async_trait]
impl TypedTool for BashTool {
    type Input = BashInput;

    fn name(&self) -> &str {
        "Bash"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(&self, input: &BashInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        let mut targets = vec![ToolTarget::Command {
            command: input.command.clone(),
        }];
        if let Some(dir) = Self::dir_path(input, ctx)? {
            targets.push(ToolTarget::read(dir));
        }
        Ok(targets)
    }

    async fn call(&self, input: BashInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if input.command.trim().is_empty() {
            return Err(ToolError::respond(
                "`command` is empty; give a shell command",
            ));
        }
        let dir_path = Self::dir_path(&input, ctx)?;
        let tracks_dir = dir_path.is_none();
        let (start_dir, mut notes) = match dir_path {
            Some(dir) => (dir, Vec::new()),
            None => {
                let (dir, note) = self.start_dir(ctx);
                (dir, note.into_iter().collect())
            }
        };
        let shell = process::shell_program();
        if input.run_in_background.unwrap_or(false) {
            return self.start_background(&shell, &input.command, &start_dir, ctx);
        }
        let timeout_ms = match input.timeout {
            None => DEFAULT_BASH_TIMEOUT_MS,
            Some(0) => {
                return Err(ToolError::respond(
                    "`timeout` must be a positive number of milliseconds",
                ));
            }
            Some(ms) if ms > MAX_BASH_TIMEOUT_MS => {
                notes.push(format!(
                    "The timeout {ms} ms was lowered to the maximum, {MAX_BASH_TIMEOUT_MS} ms."
                ));
                MAX_BASH_TIMEOUT_MS
            }
            Some(ms) => ms,
        };
        let cwd_file = tempfile::NamedTempFile::new().map_err(|error| {
            ToolError::fatal(format!(
                "cannot create the file that tracks the shell's directory: {error}"
            ))
        })?;
        let script = format!(
            "trap 'pwd -P >| {} 2>/dev/null' EXIT\n{}\n",
            single_quoted(&cwd_file.path().to_string_lossy()),
            input.command
        );
        tracing::debug!(command = %input.command, cwd = %start_dir.display(), timeout_ms, "running Bash command");
        let finished = process::run(
            &shell,
            &script,
            &start_dir,
            ctx.env(),
            Duration::from_millis(timeout_ms),
            ctx.cancel_token(),
        )
        .await
        .map_err(|error| {
            ToolError::respond(format!(
                "cannot start {} in {}: {error}",
                shell.display(),
                start_dir.display()
            ))
        })?;
        if tracks_dir {
            let ended_in = std::fs::read_to_string(cwd_file.path()).unwrap_or_default();
            let ended_in = ended_in.trim_end_matches('\n');
            if !ended_in.is_empty()
                && let Some(note) = self.remember_dir(Path::new(ended_in), ctx)
            {
                notes.push(note);
            }
        }
        let mut output = foreground_output(&input.command, &finished, timeout_ms, &notes);
        // The directory the next command starts in, for hosts that report
        // working-directory changes (the CwdChanged hook).
        if tracks_dir
            && let Some((_, dir)) = self
                .shell_cwd
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
            && let Some(fields) = output.structured.as_object_mut()
        {
            fields.insert("cwd".to_owned(), json!(dir.display().to_string()));
        }
        Ok(output)
    }
}

impl BashTool {
    fn start_background(
        &self,
        shell: &Path,
        command: &str,
        dir: &Path,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let task_id = self
            .tasks
            .start(shell, command, command, dir, ctx.env())
            .map_err(|error| {
                ToolError::respond(format!(
                    "cannot start {} in {}: {error}",
                    shell.display(),
                    dir.display()
                ))
            })?;
        Ok(ToolOutput::text(
            format!(
                "Command running in the background with task id {task_id}. Read its output with \
                 TaskOutput and stop it with TaskStop."
            ),
            json!({
                "stdout": "",
                "stderr": "",
                "exitCode": 0,
                "interrupted": false,
                "backgroundTaskId": task_id,
            }),
        ))
    }
}

/// The result of a foreground command: both streams, the exit code, and
/// notes on how it ended.
fn foreground_output(
    command: &str,
    finished: &Finished,
    timeout_ms: u64,
    notes: &[String],
) -> ToolOutput {
    let stdout = finished.stdout.to_text(MAX_OUTPUT_CHARS);
    let stderr = finished.stderr.to_text(MAX_OUTPUT_CHARS);
    // The model reads both streams within one budget: split it when both
    // have output.
    let budget = if stdout.is_empty() || stderr.is_empty() {
        MAX_OUTPUT_CHARS
    } else {
        MAX_OUTPUT_CHARS / 2
    };
    let interrupted = match finished.ending {
        Ending::Exited => false,
        Ending::TimedOut | Ending::Cancelled => true,
    };
    let mut parts: Vec<String> = Vec::new();
    for (text, buffer) in [(&stdout, &finished.stdout), (&stderr, &finished.stderr)] {
        if !text.is_empty() {
            let text = if budget < MAX_OUTPUT_CHARS {
                buffer.to_text(budget)
            } else {
                text.clone()
            };
            parts.push(text.trim_end_matches('\n').to_owned());
        }
    }
    match finished.ending {
        Ending::Exited => {}
        Ending::TimedOut => parts.push(format!(
            "Command timed out after {timeout_ms} ms; it was killed with everything it started."
        )),
        Ending::Cancelled => parts
            .push("Command was interrupted; it was killed with everything it started.".to_owned()),
    }
    if finished.exit_code != 0 {
        match no_match_program(command) {
            Some(program) if finished.exit_code == 1 && !interrupted => parts.push(format!(
                "Exit code 1 (for {program} this means no match or a difference, not a failure)"
            )),
            _ => parts.push(format!("Exit code {}", finished.exit_code)),
        }
    }
    if finished.killed_leftovers {
        parts.push(
            "Processes the command left running still held its output and were killed; use \
             run_in_background for servers and watchers."
                .to_owned(),
        );
    }
    parts.extend(notes.iter().cloned());
    let text = if parts.is_empty() {
        "(no output)".to_owned()
    } else {
        parts.join("\n")
    };
    ToolOutput::text(
        text,
        json!({
            "stdout": stdout,
            "stderr": stderr,
            "exitCode": finished.exit_code,
            "interrupted": interrupted,
        }),
    )
}

/// The program whose exit code 1 means "no match" when it decides the
/// command's status (`cli-core.md` §2.8: grep/rg 1, diff 1, test 1).
fn no_match_program(command: &str) -> Option<&str> {
    if command.contains(';')
        || command.contains("&&")
        || command.contains("||")
        || command.contains('\n')
    {
        return None;
    }
    // A pipeline's status is its last command's.
    let last = command.rsplit('|').next()?;
    let word = last
        .split_whitespace()
        .find(|word| !word.contains('=') || word.starts_with('-'))?;
    let program = word.rsplit('/').next()?;
    matches!(
        program,
        "grep" | "egrep" | "fgrep" | "rg" | "diff" | "cmp" | "test" | "["
    )
    .then_some(program)
}

/// `text` as one single-quoted shell word.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_match_program_sees_the_last_command_of_a_pipeline() {
        assert_eq!(no_match_program("rg foo src"), Some("rg"));
        assert_eq!(no_match_program("cat x | /usr/bin/grep -q y"), Some("grep"));
        assert_eq!(no_match_program("LC_ALL=C diff a b"), Some("diff"));
        assert_eq!(no_match_program("grep x f && false"), None);
        assert_eq!(no_match_program("false"), None);
    }

    #[test]
    fn single_quoted_escapes_quotes() {
        assert_eq!(single_quoted("a'b"), r"'a'\''b'");
    }
}
