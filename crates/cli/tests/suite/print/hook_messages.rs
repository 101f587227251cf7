//! What hooks tell the user in print mode: a `systemMessage` and a hook's
//! error go to stderr in text mode; with `--include-hook-events`,
//! stream-json carries `system` `hook_started` / `hook_response` lines.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::{Value, json};

use super::harness::{Project, run};

/// Two PreToolUse hooks on Read: one says something to the user, one fails.
fn settings() -> String {
    json!({"hooks": {"PreToolUse": [{"matcher": "Read", "hooks": [
        {"type": "command", "command": "echo '{\"systemMessage\": \"notes.txt is checked by the linter\"}'"},
        {"type": "command", "command": "echo 'lint server down' >&2; exit 1"}
    ]}]}})
    .to_string()
}

fn mount_read(server: &FakeModelServer) {
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"notes.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Read it."));
}

#[tokio::test]
async fn text_mode_writes_system_messages_and_hook_errors_to_stderr() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    mount_read(&server);
    let project = Project::new(&[
        (".qoder/settings.json", &settings()),
        ("notes.txt", "buy milk\n"),
    ])?;
    let out = run(project.openai(&server.base_url(), &["-p", "read the notes"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "Read it.");
    assert!(
        out.stderr.contains("notes.txt is checked by the linter"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("PreToolUse:Read hook error")
            && out.stderr.contains("lint server down"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn include_hook_events_puts_hook_runs_in_stream_json() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    mount_read(&server);
    let project = Project::new(&[
        (".qoder/settings.json", &settings()),
        ("notes.txt", "buy milk\n"),
    ])?;
    let args = [
        "-p",
        "read the notes",
        "-o",
        "stream-json",
        "--verbose",
        "--include-hook-events",
    ];
    let out = run(project.openai(&server.base_url(), &args)).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let of = |subtype: &str| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["type"] == "system" && l["subtype"] == subtype)
            .cloned()
            .collect()
    };
    let started = of("hook_started");
    let responses = of("hook_response");
    assert_eq!(started.len(), 2, "{}", out.stdout);
    assert_eq!(responses.len(), 2, "{}", out.stdout);
    for line in started.iter().chain(&responses) {
        assert_eq!(line["hook_event"], "PreToolUse");
        assert_eq!(line["hook_name"], "PreToolUse:Read");
        assert!(line["session_id"].is_string(), "{line}");
    }
    let ids = |list: &[Value]| -> Vec<Value> {
        let mut ids: Vec<Value> = list.iter().map(|l| l["hook_id"].clone()).collect();
        ids.sort_by_key(Value::to_string);
        ids
    };
    assert_eq!(ids(&started), ids(&responses));
    let ok = responses
        .iter()
        .find(|r| r["outcome"] == "success")
        .expect("a successful hook");
    assert_eq!(ok["exit_code"], 0);
    assert!(
        ok["stdout"]
            .as_str()
            .unwrap_or_default()
            .contains("checked by the linter")
    );
    let failed = responses
        .iter()
        .find(|r| r["outcome"] == "error")
        .expect("a failed hook");
    assert_eq!(failed["exit_code"], 1);
    assert_eq!(failed["stderr"], "lint server down\n");

    // Without the flag, no hook lines.
    let server = FakeModelServer::openai().await?;
    mount_read(&server);
    let out = run(project.openai(&server.base_url(), &args[..5])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stdout.contains("hook_started"), "{}", out.stdout);
    assert!(!out.stdout.contains("hook_response"), "{}", out.stdout);
    Ok(())
}
