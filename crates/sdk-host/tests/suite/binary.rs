//! Control requests the SDKs have no public method for (or only the
//! TypeScript one), spoken as NDJSON to the real `ferrule` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions; a failure should panic"
)]

use std::process::Stdio;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::real_sdks::ferrule_bin;

/// Generous: CI builds and tests on two loaded cores.
const WAIT: Duration = Duration::from_secs(30);

struct Cli {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    _dir: tempfile::TempDir,
}

impl Cli {
    async fn start(turns: Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (project, home) = (dir.path().join("project"), dir.path().join("home"));
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let script = dir.path().join("script.json");
        std::fs::write(&script, json!({"turns": turns}).to_string()).unwrap();
        let mut child = Command::new(ferrule_bin())
            .args(["--print", "--input-format", "stream-json"])
            .args(["--output-format", "stream-json", "--model"])
            .arg(format!("scripted/{}", script.display()))
            .current_dir(&project)
            .env("HOME", &home)
            .env("FERRULE_HOME", &home)
            .env("QODER_CONFIG_DIR", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut cli = Self {
            child,
            stdin,
            stdout,
            _dir: dir,
        };
        let answer = cli.ask(json!({"subtype": "initialize"})).await;
        assert_eq!(answer["subtype"], "success", "{answer}");
        cli
    }

    async fn send(&mut self, line: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.stdout.next_line())
            .await
            .expect("ferrule wrote nothing for 30 s")
            .unwrap()
            .expect("stdout ended");
        serde_json::from_str(&line).unwrap()
    }

    async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let line = self.next().await;
            if pred(&line) {
                return line;
            }
        }
    }

    /// Sends one control request; its `response` object.
    async fn ask(&mut self, request: Value) -> Value {
        let id = uuid::Uuid::new_v4().to_string();
        self.send(json!({"type": "control_request", "request_id": id, "request": request}))
            .await;
        let answer = self
            .until(|l| l["type"] == "control_response" && l["response"]["request_id"] == id)
            .await;
        answer["response"].clone()
    }

    async fn error_of(&mut self, request: Value) -> String {
        let answer = self.ask(request.clone()).await;
        assert_eq!(answer["subtype"], "error", "{request} → {answer}");
        answer["error"].as_str().unwrap().to_owned()
    }
}

fn text(t: &str) -> Value {
    json!({"blocks": [{"type": "text", "text": t}]})
}

#[tokio::test]
async fn end_session_ends_the_process_while_stdin_stays_open() {
    let mut cli = Cli::start(json!([text("unused")])).await;
    let answer = cli
        .ask(json!({"type": "end_session", "reason": "host done"}))
        .await;
    assert_eq!(answer["subtype"], "success");
    let status = tokio::time::timeout(WAIT, cli.child.wait())
        .await
        .expect("ferrule did not exit after end_session")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(cli.stdin.is_some(), "stdin was never closed");
}

#[tokio::test]
async fn kinds_ferrule_cannot_serve_are_refused_with_the_reason() {
    let mut cli = Cli::start(json!([text("unused")])).await;
    for (request, says) in [
        (
            json!({"type": "seed_read_state", "path": "a.txt", "mtime": 1}),
            "a.txt",
        ),
        (
            json!({"type": "add_directories", "directories": ["/x"]}),
            "--add-dir",
        ),
        (
            json!({"type": "set_max_thinking_tokens", "max_thinking_tokens": 9}),
            "9",
        ),
        (json!({"type": "reload_plugins"}), "plugins"),
        (json!({"subtype": "flush_memory"}), "SDK memory"),
        (json!({"subtype": "get_byok_config"}), "BYOK"),
        (
            json!({"subtype": "set_proxy", "proxy": null}),
            "not supported",
        ),
        (
            json!({"subtype": "mcp_oauth_callback_url", "serverName": "srv", "callbackUrl": "http://127.0.0.1/cb"}),
            "`srv`",
        ),
        (
            json!({"subtype": "mcp_inject_token", "serverName": "nope", "token": {"accessToken": "t"}}),
            "`nope`",
        ),
        (
            json!({"subtype": "mcp_clear_auth", "serverName": "nope"}),
            "`nope`",
        ),
        (json!({"type": "resume_goal"}), "no goal"),
        (
            json!({"subtype": "set_goal", "objective": "x", "status": "done"}),
            "unknown status `done`",
        ),
        (
            json!({"type": "set_goal_max_turns", "max_turns": 0}),
            "max_turns",
        ),
        (
            json!({"subtype": "rewind", "user_message_id": "m", "scope": "all"}),
            "unknown scope `all`",
        ),
        (
            json!({"type": "channel_enable", "channel": "c", "enabled": true}),
            "Unsupported control request subtype: channel_enable",
        ),
    ] {
        let error = cli.error_of(request.clone()).await;
        assert!(error.contains(says), "{request} → {error}");
    }
    let settings = cli.ask(json!({"type": "get_settings"})).await;
    assert_eq!(settings["subtype"], "success");
    assert!(settings["response"]["settings"].is_object(), "{settings}");
}

#[tokio::test]
async fn a_paused_goal_resumes_and_runs_until_complete() {
    let mut cli = Cli::start(json!([text("done\nGOAL COMPLETE")])).await;
    let set = cli
        .ask(json!({"subtype": "set_goal", "objective": "tidy up", "status": "paused"}))
        .await;
    assert_eq!(set["response"]["goal"]["status"], "paused", "{set}");
    let resumed = cli.ask(json!({"type": "resume_goal"})).await;
    assert_eq!(resumed["response"]["goal"]["status"], "active", "{resumed}");
    let result = cli.until(|l| l["type"] == "result").await;
    assert_eq!(result["result"], "done\nGOAL COMPLETE");
    let complete = cli
        .until(|l| l["subtype"] == "goal_updated" && l["goal"]["status"] != "active")
        .await;
    assert_eq!(complete["goal"]["status"], "complete");
    assert_eq!(complete["goal"]["turns_used"], 1);
    drop(cli.stdin.take());
    let status = tokio::time::timeout(WAIT, cli.child.wait())
        .await
        .expect("ferrule did not exit at EOF")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
