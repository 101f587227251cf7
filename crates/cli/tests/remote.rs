//! `ferrule --remote` / `--remote-session` against a live `ferrule-server`
//! process on 127.0.0.1 (temp data dir, bootstrap key) whose model is the
//! fake OpenAI-compatible server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use ferrule_test_support::{FakeModelServer, openai};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};

const FERRULE: &str = env!("CARGO_BIN_EXE_ferrule");
const KEY: &str = "remote-test-key";

/// The `ferrule-server` binary: `$FERRULE_SERVER_BIN`, else the one next
/// to `ferrule`, brought up to date once (`cargo build -p ferrule-server` is
/// a no-op when it is). When that build fails (say the crate is mid-edit)
/// an existing binary is used.
fn server_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("FERRULE_SERVER_BIN") {
            return PathBuf::from(bin);
        }
        let profile = Path::new(FERRULE).parent().unwrap().to_path_buf();
        let bin = profile.join("ferrule-server");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--quiet",
                "-p",
                "ferrule-server",
                "--bin",
                "ferrule-server",
            ])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", profile.parent().unwrap())
            .status()
            .is_ok_and(|status| status.success());
        assert!(
            built || bin.exists(),
            "cargo build -p ferrule-server failed and there is no {}",
            bin.display()
        );
        if !built {
            eprintln!("warning: cargo build -p ferrule-server failed; using the existing binary");
        }
        bin
    })
}

struct Server {
    child: Child,
    base: String,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(model: &FakeModelServer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let port = free_port();
        let child = Command::new(server_bin())
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .env("FERRULE_MODEL", "openai/fake-model")
            .env("OPENAI_BASE_URL", model.base_url())
            .env("OPENAI_API_KEY", "test")
            .env("FERRULE_API_KEY", KEY)
            .env("RUST_LOG", "warn")
            .env("FERRULE_HOME", dir.path())
            .env("HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..500 {
            let ready = client
                .get(format!("{}/api/v1/cloud/agents?limit=1", self.base))
                .bearer_auth(KEY)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("ferrule-server at {} never became ready", self.base);
    }

    /// Every event of `session`, oldest first.
    async fn events(&self, session: &str) -> Vec<Value> {
        let url = format!(
            "{}/api/v1/cloud/sessions/{session}/events?limit=100",
            self.base
        );
        let body = reqwest::Client::new()
            .get(url)
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let list: Value = serde_json::from_str(&body).unwrap();
        list["data"].as_array().unwrap().clone()
    }

    /// The files named `name` in the session working directories.
    fn workspace_files(&self, name: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.data.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.file_name().is_some_and(|n| n == name) {
                    found.push(path);
                }
            }
        }
        found
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ferrule ARGS` in cloud mode against `url`, with a private user dir.
fn ferrule(home: &Path, url: &str, key: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(FERRULE);
    command
        .args(args)
        .current_dir(home)
        .env("FERRULE_REMOTE_URL", url)
        .env("FERRULE_API_KEY", key)
        .env("FERRULE_HOME", home)
        .env("HOME", home)
        .env_remove("QODER_CONFIG_DIR")
        .env_remove("FERRULE_LOG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn output(mut command: tokio::process::Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("ferrule did not finish in time")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test]
async fn a_remote_run_writes_a_file_in_the_environment_and_ends_with_the_text() {
    let model = FakeModelServer::openai().await.unwrap();
    model.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command": "echo cloud-made > made.txt && cat made.txt"}"#,
        )],
        2,
    ));
    model.mount(openai::text_reply("I wrote made.txt in the cloud."));
    model.mount(openai::text_reply("Second answer."));
    let server = Server::start(&model).await;
    let home = tempfile::tempdir().unwrap();

    let run = output(ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote", "write made.txt"],
    ))
    .await;
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with("Cloud remote session created. Session ID: sess_"),
        "{stdout}"
    );
    assert!(first.contains(" Environment: default (env_"), "{first}");
    assert!(
        first.contains(&format!(
            " URL: {}/api/v1/cloud/sessions/sess_",
            server.base
        )),
        "{first}"
    );
    assert!(
        stdout.contains("● Bash(echo cloud-made > made.txt && cat made.txt)"),
        "{stdout}"
    );
    assert!(stdout.contains("  ⎿ cloud-made"), "{stdout}");
    assert!(stdout.contains("· idle (end_turn)"), "{stdout}");
    assert!(
        stdout.trim_end().lines().rev().nth(1) == Some("I wrote made.txt in the cloud."),
        "{stdout}"
    );
    let made = server.workspace_files("made.txt");
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(std::fs::read_to_string(&made[0]).unwrap(), "cloud-made\n");
    assert!(
        !home.path().join("made.txt").exists(),
        "nothing runs locally"
    );

    // -o json: only the result object, the session line goes to stderr.
    let run = output(ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote", "again", "-o", "json"],
    ))
    .await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    let lines = json_lines(&run.stdout);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["type"], "result");
    assert_eq!(lines[0]["subtype"], "success");
    assert_eq!(lines[0]["is_error"], false);
    assert_eq!(lines[0]["result"], "Second answer.");
    assert_eq!(lines[0]["num_turns"], 1);
    assert!(
        lines[0]["session_id"]
            .as_str()
            .unwrap()
            .starts_with("sess_")
    );
    assert!(text(&run.stderr).contains("Cloud remote session created."));
}

#[tokio::test]
async fn detach_then_reattach_sees_the_remaining_events_exactly_once() {
    let model = FakeModelServer::openai().await.unwrap();
    model.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command": "sleep 1.5 && echo slept"}"#,
        )],
        2,
    ));
    model.mount(openai::text_reply("Finished after the nap."));
    let server = Server::start(&model).await;
    let home = tempfile::tempdir().unwrap();

    let mut child = ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote", "nap", "-o", "stream-json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut before = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line).unwrap();
            let tool_use = event["type"] == "agent.tool_use";
            before.push(event);
            if tool_use {
                return;
            }
        }
        panic!("stdout ended before the tool call: {before:?}");
    })
    .await
    .expect("no tool call streamed");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    while let Some(line) = lines.next_line().await.unwrap() {
        before.push(serde_json::from_str(&line).unwrap());
    }
    let detached = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detached.status.code(), Some(130));
    let stderr = text(&detached.stderr);
    let session = stderr
        .split("Session ID: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(
        stderr.contains(&format!(
            "Reattach with: ferrule --remote-session {session}"
        )),
        "{stderr}"
    );
    assert!(
        before.iter().all(|e| e["type"] != "session.status_idle"),
        "detached before the end: {before:?}"
    );

    let reattached = output(ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote-session", &session, "-o", "stream-json"],
    ))
    .await;
    assert!(reattached.status.success(), "{}", text(&reattached.stderr));
    let mut after = json_lines(&reattached.stdout);
    let result = after.pop().unwrap();
    assert_eq!(result["type"], "result");
    assert_eq!(result["result"], "Finished after the nap.");
    assert_eq!(after.last().unwrap()["type"], "session.status_idle");

    // Together, the two runs showed every event after the prompt once, in order.
    let all = server.events(&session).await;
    let ids = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = ids(&before);
    seen.extend(ids(&after));
    assert_eq!(all[0]["type"], "user.message");
    assert_eq!(seen, ids(&all[1..]));

    // Nothing is left: a second reattach says so and ends at once.
    let again = output(ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote-session", &session],
    ))
    .await;
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("No new events since then."));
}

#[tokio::test]
async fn a_wrong_key_fails_and_names_the_variable() {
    let model = FakeModelServer::openai().await.unwrap();
    let server = Server::start(&model).await;
    let home = tempfile::tempdir().unwrap();
    let run = output(ferrule(
        home.path(),
        &server.base,
        "not-the-key",
        &["--remote", "hello"],
    ))
    .await;
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("refused the API key (401"), "{stderr}");
    assert!(stderr.contains("set FERRULE_API_KEY"), "{stderr}");

    // An unknown --remote-env is the server's 404, with the id.
    let run = output(ferrule(
        home.path(),
        &server.base,
        KEY,
        &["--remote", "hello", "--remote-env", "env_nope"],
    ))
    .await;
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("404") && stderr.contains("env_nope"),
        "{stderr}"
    );
    assert!(model.requests().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_or_a_missing_key_fails_with_what_to_fix() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let run = output(ferrule(home.path(), &url, KEY, &["--remote", "hello"])).await;
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot reach the ferrule-server at {url}/api/v1/cloud"
        )),
        "{stderr}"
    );

    let mut command = ferrule(home.path(), &url, KEY, &["--remote-session", "sess_x"]);
    command.env_remove("FERRULE_API_KEY");
    let run = output(command).await;
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("no API key"), "{stderr}");
    assert!(stderr.contains("FERRULE_API_KEY"), "{stderr}");
}
