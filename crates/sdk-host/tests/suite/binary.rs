//! Control requests the SDKs have no public method for (or only the
//! TypeScript one), spoken as NDJSON to the real `ferrule` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions; a failure should panic"
)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::real_sdks::ferrule_bin;
use ferrule_test_support::{FakeModelServer, anthropic};

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
        Self::launch(Launch::scripted(turns)).await
    }

    /// Starts `ferrule` in `launch.dir`'s `project` folder (`home` beside
    /// it) and initializes the session.
    async fn launch(launch: Launch) -> Self {
        let dir = launch.dir;
        let (project, home) = (dir.path().join("project"), dir.path().join("home"));
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let mut child = Command::new(ferrule_bin())
            .args(["--print", "--input-format", "stream-json"])
            .args(["--output-format", "stream-json", "--model"])
            .arg(&launch.model)
            .args(&launch.args)
            .envs(launch.env)
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

    /// Sends a prompt; every line through its `result`.
    async fn turn(&mut self, prompt: &str) -> Vec<Value> {
        self.send(
            json!({"type": "user", "session_id": "", "parent_tool_use_id": null,
                         "message": {"role": "user", "content": prompt}}),
        )
        .await;
        let mut lines = Vec::new();
        loop {
            let line = self.next().await;
            let done = line["type"] == "result";
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// The success payload of a control request.
    async fn ok(&mut self, request: Value) -> Value {
        let answer = self.ask(request.clone()).await;
        assert_eq!(answer["subtype"], "success", "{request} → {answer}");
        answer["response"].clone()
    }

    async fn error_of(&mut self, request: Value) -> String {
        let answer = self.ask(request.clone()).await;
        assert_eq!(answer["subtype"], "error", "{request} → {answer}");
        answer["error"].as_str().unwrap().to_owned()
    }
}

/// How to start `ferrule`: a temp folder (the test may fill
/// `project/` first), the model, more flags and environment.
struct Launch {
    dir: tempfile::TempDir,
    model: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Launch {
    fn new(model: impl Into<String>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("project")).unwrap();
        Self {
            dir,
            model: model.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The scripted model answering with `turns`.
    fn scripted(turns: Value) -> Self {
        let mut launch = Self::new("");
        let script = launch.dir.path().join("script.json");
        std::fs::write(&script, json!({"turns": turns}).to_string()).unwrap();
        launch.model = format!("scripted/{}", script.display());
        launch
    }

    /// A fake Anthropic server's model.
    fn anthropic(server: &FakeModelServer) -> Self {
        let mut launch = Self::new("anthropic/fake-claude");
        launch.env = vec![
            ("ANTHROPIC_BASE_URL".into(), server.base_url()),
            ("ANTHROPIC_API_KEY".into(), "test-key".into()),
        ];
        launch
    }

    fn project(&self) -> std::path::PathBuf {
        self.dir.path().join("project")
    }

    fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }
}

/// Writes `text` to `path`, creating its folders.
fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
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
async fn kinds_ferrule_cannot_serve_and_bad_requests_are_refused_with_the_reason() {
    let mut cli = Cli::start(json!([text("unused")])).await;
    for (request, says) in [
        (
            json!({"type": "seed_read_state", "path": "a.txt", "mtime": 1}),
            "cannot open a.txt",
        ),
        (
            json!({"type": "seed_read_state", "path": "a.txt", "mtime": "soon"}),
            "`mtime` must be",
        ),
        (
            json!({"type": "add_directories", "directories": "/x"}),
            "`directories` must be a list",
        ),
        (
            json!({"type": "set_max_thinking_tokens", "max_thinking_tokens": -9}),
            "not -9",
        ),
        (
            json!({"type": "set_max_thinking_tokens"}),
            "`max_thinking_tokens` is missing",
        ),
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

/// The text of the tool results in a turn's lines.
fn tool_results(lines: &[Value]) -> String {
    lines
        .iter()
        .filter(|line| line["type"] == "user")
        .flat_map(|line| {
            line["message"]["content"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|block| block["type"] == "tool_result")
        .map(|block| block["content"].to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn tool(id: &str, name: &str, input: Value) -> Value {
    json!({"blocks": [{"type": "tool_use", "id": id, "name": name, "input": input}]})
}

#[tokio::test]
async fn added_directories_are_working_directories_for_the_rest_of_the_session() {
    let launch = Launch::scripted(json!([]));
    let outside = launch.dir.path().join("outside");
    put(&outside.join("notes.txt"), "far away words\n");
    let notes = outside.join("notes.txt").display().to_string();
    let script = launch.dir.path().join("script.json");
    let turns = json!([
        tool("call_1", "Read", json!({"file_path": notes})),
        text("first"),
        tool("call_2", "Read", json!({"file_path": notes})),
        text("second"),
    ]);
    std::fs::write(&script, json!({"turns": turns}).to_string()).unwrap();
    let mut cli = Cli::launch(launch).await;

    let before = cli.turn("read it").await;
    let results = tool_results(&before);
    assert!(!results.contains("far away words"), "{results}");

    let answer = cli
        .ok(json!({"type": "add_directories",
                   "directories": [outside.display().to_string(), "missing-dir", notes, 7]}))
        .await;
    let canonical = outside.canonicalize().unwrap().display().to_string();
    assert_eq!(answer["added"], json!([canonical]), "{answer}");
    let failed = answer["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{answer}");
    assert_eq!(failed[0]["path"], "missing-dir");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{answer}"
    );
    assert!(
        failed[1]["error"]
            .as_str()
            .unwrap()
            .contains("is not a directory"),
        "{answer}"
    );
    assert_eq!(failed[2]["path"], "7");
    assert_eq!(answer["directories"], json!([canonical]), "{answer}");

    let after = cli.turn("read it again").await;
    let results = tool_results(&after);
    assert!(results.contains("far away words"), "{results}");
    assert_eq!(after.last().unwrap()["result"], "second");
}

#[tokio::test]
async fn the_thinking_budget_set_mid_session_goes_with_the_next_request() {
    let server = FakeModelServer::anthropic().await.unwrap();
    for reply in ["one", "two", "three"] {
        server.mount(anthropic::text_reply(reply));
    }
    let launch = Launch::anthropic(&server)
        .arg("--thinking-budget")
        .arg("1500");
    let mut cli = Cli::launch(launch).await;
    cli.ok(json!({"type": "set_max_thinking_tokens", "max_thinking_tokens": 2048}))
        .await;
    assert_eq!(cli.turn("one").await.last().unwrap()["result"], "one");
    cli.ok(json!({"type": "set_max_thinking_tokens", "max_thinking_tokens": 0}))
        .await;
    assert_eq!(cli.turn("two").await.last().unwrap()["result"], "two");
    cli.ok(json!({"type": "set_max_thinking_tokens", "max_thinking_tokens": null}))
        .await;
    assert_eq!(cli.turn("three").await.last().unwrap()["result"], "three");
    let thinking: Vec<Value> = server
        .requests()
        .iter()
        .map(|request| request.body["thinking"].clone())
        .collect();
    assert_eq!(
        thinking,
        [
            json!({"type": "enabled", "budget_tokens": 2048}),
            Value::Null,
            json!({"type": "enabled", "budget_tokens": 1500}),
        ]
    );
    assert_eq!(server.take_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_seeded_file_can_be_edited_without_reading_it_when_its_mtime_matches() {
    let launch = Launch::scripted(json!([
        tool(
            "call_1",
            "Edit",
            json!({"file_path": "notes.txt", "old_string": "old", "new_string": "new"})
        ),
        text("refused"),
        tool(
            "call_2",
            "Edit",
            json!({"file_path": "notes.txt", "old_string": "old", "new_string": "new"})
        ),
        text("edited"),
    ]));
    let notes = launch.project().join("notes.txt");
    put(&notes, "old text\n");
    let mut cli = Cli::launch(launch).await;
    cli.ok(json!({"subtype": "set_permission_mode", "mode": "acceptEdits"}))
        .await;

    let refused = cli.turn("edit it").await;
    let results = tool_results(&refused);
    assert!(results.contains("has not been read yet"), "{results}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "old text\n");

    let modified = std::fs::metadata(&notes).unwrap().modified().unwrap();
    let millis = modified
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let stale = cli
        .error_of(json!({"type": "seed_read_state", "path": "notes.txt",
                         "mtime": u64::try_from(millis).unwrap() - 5000}))
        .await;
    assert!(stale.contains("changed since the host read it"), "{stale}");
    let seeded = cli
        .ok(json!({"type": "seed_read_state", "path": "notes.txt",
                   "mtime": u64::try_from(millis).unwrap()}))
        .await;
    assert_eq!(seeded, json!({}));

    let edited = cli.turn("edit it now").await;
    assert_eq!(edited.last().unwrap()["result"], "edited", "{edited:#?}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "new text\n");
}

#[tokio::test]
async fn reload_plugins_applies_what_was_added_to_a_plugin_on_disk() {
    let server = FakeModelServer::anthropic().await.unwrap();
    server.mount(anthropic::text_reply("ok"));
    let launch = Launch::anthropic(&server);
    let plugin = launch.project().join("devkit");
    put(
        &plugin.join(".qoder-plugin/plugin.json"),
        r#"{"name": "devkit"}"#,
    );
    let missing = launch.dir.path().join("no-such-plugin");
    let launch = launch
        .arg("--plugin-dir")
        .arg(plugin.display().to_string())
        .arg("--plugin-dir")
        .arg(missing.display().to_string());
    let mut cli = Cli::launch(launch).await;

    put(
        &plugin.join("commands/deploy.md"),
        "---\ndescription: Ship the build\nargument-hint: \"[env]\"\n---\nDeploy to $ARGUMENTS.\n",
    );
    put(
        &plugin.join("agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reviews diffs\n---\nReview the diff.\n",
    );
    put(
        &plugin.join("skills/tidy/SKILL.md"),
        "---\nname: tidy\ndescription: Tidy the imports of a file\n---\nSort them.\n",
    );
    let reloaded = cli.ok(json!({"subtype": "reload_plugins"})).await;
    let commands = reloaded["commands"].as_array().unwrap();
    let deploy = commands
        .iter()
        .find(|c| c["name"].as_str().unwrap().ends_with("deploy"))
        .unwrap_or_else(|| panic!("no deploy command: {reloaded}"));
    assert_eq!(deploy["description"], "Ship the build");
    assert_eq!(deploy["argumentHint"], "[env]");
    assert!(
        reloaded["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"].as_str().unwrap().ends_with("reviewer")
                && a["description"] == "Reviews diffs"),
        "{reloaded}"
    );
    assert_eq!(
        reloaded["plugins"].as_array().unwrap().len(),
        1,
        "{reloaded}"
    );
    assert_eq!(reloaded["plugins"][0]["name"], "devkit");
    assert_eq!(reloaded["mcpServers"], json!([]));
    assert_eq!(
        reloaded["error_count"], 1,
        "the missing plugin folder: {reloaded}"
    );

    let skills = cli.ok(json!({"type": "reload_skills"})).await;
    let tidy = skills["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().ends_with("tidy"))
        .cloned()
        .unwrap_or_else(|| panic!("no tidy skill: {skills}"));
    assert_eq!(tidy["description"], "Tidy the imports of a file");

    let listed = cli.ok(json!({"subtype": "list_plugins"})).await;
    assert_eq!(listed["plugins"][0]["name"], "devkit");

    assert_eq!(cli.turn("hello").await.last().unwrap()["result"], "ok");
    let system = server.requests()[0].body["system"].to_string();
    assert!(system.contains("Tidy the imports of a file"), "{system}");
}

#[tokio::test]
async fn the_settings_watcher_runs_for_the_whole_sdk_session() {
    let launch = Launch::scripted(json!([text("first"), text("second")]));
    let log = launch.dir.path().join("config-changes.log");
    let hook = format!("cat >> '{}'; echo >> '{}'", log.display(), log.display());
    put(
        &launch.project().join(".qoder/settings.json"),
        &json!({"hooks": {"ConfigChange": [{"hooks": [{"type": "command", "command": hook}]}]}})
            .to_string(),
    );
    let mut cli = Cli::launch(launch).await;
    assert_eq!(cli.turn("one").await.last().unwrap()["result"], "first");

    // Long after initialize, an edit of the local settings still fires
    // the ConfigChange hook.
    let local = cli._dir.path().join("project/.qoder/settings.local.json");
    put(&local, r#"{"permissions": {"allow": ["Bash(ls)"]}}"#);
    let started = std::time::Instant::now();
    let logged = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if !text.trim().is_empty() {
            break text;
        }
        assert!(started.elapsed() < WAIT, "no ConfigChange within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let input: Value = serde_json::from_str(logged.lines().next().unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "ConfigChange");
    assert_eq!(input["source"], "local_settings");
    assert_eq!(cli.turn("two").await.last().unwrap()["result"], "second");
}
