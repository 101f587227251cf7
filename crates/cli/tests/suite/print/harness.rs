//! A temp project, home and user directory, and the `ferrule` binary run
//! in it with a clean environment (no model variables from the machine).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, Result};
use ferrule_protocol::sdk::StreamMessage;
use serde_json::Value;
use tokio::process::Command;

/// `proj/` (the `-w` directory), `home/` and `user/` (FERRULE_HOME).
pub(crate) struct Project {
    _dir: tempfile::TempDir,
    pub(crate) base: PathBuf,
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout as one JSON value (`-o json`).
    pub(crate) fn json(&self) -> Result<Value> {
        serde_json::from_str(self.stdout.trim())
            .with_context(|| format!("stdout is not one JSON value: {self:?}"))
    }

    /// stdout as stream-json lines, each parsed by the protocol crate.
    pub(crate) fn lines(&self) -> Result<Vec<StreamMessage>> {
        self.stdout
            .lines()
            .map(|line| StreamMessage::from_line(line).with_context(|| format!("bad line: {line}")))
            .collect()
    }
}

impl Project {
    /// A project holding `files` (paths relative to `proj/`).
    pub(crate) fn new(files: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let base = dir.path().canonicalize()?;
        for sub in ["proj", "home", "user"] {
            std::fs::create_dir_all(base.join(sub))?;
        }
        let project = Self { _dir: dir, base };
        for (rel, text) in files {
            project.write(rel, text)?;
        }
        Ok(project)
    }

    /// The project directory.
    pub(crate) fn dir(&self) -> PathBuf {
        self.base.join("proj")
    }

    /// A path inside the project.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir().join(rel)
    }

    /// Writes a project file.
    pub(crate) fn write(&self, rel: &str, text: &str) -> Result<()> {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().context("no parent")?)?;
        std::fs::write(path, text)?;
        Ok(())
    }

    /// Reads a project file.
    pub(crate) fn read(&self, rel: &str) -> Result<String> {
        Ok(std::fs::read_to_string(self.path(rel))?)
    }

    /// `ferrule -w proj ARGS` with HOME and FERRULE_HOME in the temp tree.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferrule"));
        command
            .arg("-w")
            .arg(self.dir())
            .args(args)
            .current_dir(&self.base)
            .env("HOME", self.base.join("home"))
            .env("FERRULE_HOME", self.base.join("user"))
            .env("FERRULE_POLICY_SETTINGS", self.base.join("no-policy.json"))
            .env("FERRULE_RETRY_BASE_DELAY_MS", "10")
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in [
            "FERRULE_MODEL",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
            "QODER_CONFIG_DIR",
            "RUST_LOG",
            "FERRULE_LOG",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// `command` pointed at a fake OpenAI server.
    pub(crate) fn openai(&self, base_url: &str, args: &[&str]) -> Command {
        let mut command = self.command(&["--model", "openai/fake-gpt"]);
        command.args(args).env("OPENAI_BASE_URL", base_url);
        command
    }

    /// `command` pointed at a fake Anthropic server.
    pub(crate) fn anthropic(&self, base_url: &str, args: &[&str]) -> Command {
        let mut command = self.command(&["--model", "anthropic/fake-claude"]);
        command
            .args(args)
            .env("ANTHROPIC_BASE_URL", base_url)
            .env("ANTHROPIC_API_KEY", "test-key");
        command
    }
}

/// Runs `command` to completion.
pub(crate) async fn run(mut command: Command) -> Result<Run> {
    let output = command.output().await.context("running ferrule")?;
    Ok(Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout)?,
        stderr: String::from_utf8(output.stderr)?,
    })
}

/// The text of every `tool_result` in a recorded OpenAI request (the
/// `tool` role messages), in order.
pub(crate) fn openai_tool_results(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .map(|m| match &m["content"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Whether a process is still alive.
pub(crate) fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Waits for a file to appear, up to `limit`.
pub(crate) async fn wait_for_file(path: &Path, limit: std::time::Duration) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if std::fs::read_to_string(path).is_ok_and(|text| text.ends_with('\n')) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}
