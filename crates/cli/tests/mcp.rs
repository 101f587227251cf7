//! `ferrule mcp ...` end to end: the config commands on real files, `list`
//! connecting to the Python test server, and `ferrule mcp serve` driven by
//! the official Python MCP client.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../../mcp/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn ferrule(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrule"))
        .args(args)
        .current_dir(cwd)
        .env("FERRULE_HOME", home)
        .env("HOME", home)
        .env("FERRULE_POLICY_SETTINGS", home.join("no-policy.json"))
        .output()
        .expect("run ferrule")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ferrule failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file")).expect("json")
}

#[test]
fn add_list_get_remove_write_the_documented_files() {
    let Some(py) = common::python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (proj, home) = (dir.path().join("proj"), dir.path().join("home"));
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let py = py.display().to_string();
    let script = common::script("basic.py");

    stdout(&ferrule(
        &proj,
        &home,
        &[
            "mcp", "add", "-e", "K=V", "basic", "--", &py, &script, "stdio",
        ],
    ));
    let local = read_json(&proj.join(".qoder/settings.local.json"));
    assert_eq!(local["mcpServers"]["basic"]["args"][1], "stdio");
    assert_eq!(local["mcpServers"]["basic"]["env"]["K"], "V");
    stdout(&ferrule(
        &proj,
        &home,
        &[
            "mcp",
            "add",
            "-s",
            "user",
            "-t",
            "http",
            "-H",
            "X-Key: abc",
            "web",
            "http://127.0.0.1:9/mcp",
        ],
    ));
    let user = read_json(&home.join("settings.json"));
    assert_eq!(
        user["mcpServers"]["web"],
        serde_json::json!({"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"X-Key": "abc"}})
    );
    stdout(&ferrule(
        &proj,
        &home,
        &[
            "mcp",
            "add-json",
            "-s",
            "project",
            "shared",
            r#"{"command": "true"}"#,
        ],
    ));
    assert_eq!(
        read_json(&proj.join(".mcp.json"))["mcpServers"]["shared"]["command"],
        "true"
    );

    let bad = ferrule(
        &proj,
        &home,
        &["mcp", "add-json", "x", r#"{"type": "ws", "url": "ws://h"}"#],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("WebSocket"));

    let list = stdout(&ferrule(&proj, &home, &["mcp", "list"]));
    assert!(
        list.contains("basic: ") && list.contains("[local] - connected (10 tools)"),
        "{list}"
    );
    assert!(
        list.contains("web: http://127.0.0.1:9/mcp (HTTP) [user] - failed"),
        "{list}"
    );
    assert!(list.contains("shared: true [project] - failed"), "{list}");

    let get = stdout(&ferrule(&proj, &home, &["mcp", "get", "basic", "--json"]));
    let get: Value = serde_json::from_str(&get).unwrap();
    assert_eq!(get["mcpServers"][0]["status"], "connected");
    assert_eq!(get["mcpServers"][0]["serverInfo"]["name"], "basic");
    assert!(
        get["mcpServers"][0]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "echo")
    );

    stdout(&ferrule(&proj, &home, &["mcp", "reject", "shared"]));
    let list = stdout(&ferrule(&proj, &home, &["mcp", "list"]));
    assert!(
        list.contains("shared: true [project] - disabled: rejected"),
        "{list}"
    );

    stdout(&ferrule(&proj, &home, &["mcp", "disable", "basic"]));
    let list = stdout(&ferrule(&proj, &home, &["mcp", "list"]));
    assert!(
        list.contains("[local] - disabled: disabled in settings"),
        "{list}"
    );
    stdout(&ferrule(&proj, &home, &["mcp", "enable", "basic"]));
    stdout(&ferrule(&proj, &home, &["mcp", "enable", "shared"]));
    let list = stdout(&ferrule(&proj, &home, &["mcp", "list"]));
    assert!(list.contains("[local] - connected"), "{list}");
    assert!(list.contains("shared: true [project] - failed"), "{list}");

    stdout(&ferrule(&proj, &home, &["mcp", "remove", "basic"]));
    assert!(
        read_json(&proj.join(".qoder/settings.local.json"))["mcpServers"]
            .get("basic")
            .is_none()
    );
    let missing = ferrule(&proj, &home, &["mcp", "remove", "basic"]);
    assert!(!missing.status.success());
}

#[test]
fn serve_answers_the_python_mcp_client_under_the_project_policy() {
    let Some(py) = common::python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (proj, home) = (dir.path().join("proj"), dir.path().join("home"));
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(proj.join("notes.txt"), "served by ferrule\n").unwrap();
    let out = Command::new(py)
        .arg(common::script("client_of_serve.py"))
        .arg(env!("CARGO_BIN_EXE_ferrule"))
        .arg(&proj)
        .env("FERRULE_HOME", &home)
        .env("HOME", &home)
        .env("FERRULE_POLICY_SETTINGS", home.join("no-policy.json"))
        .output()
        .expect("python client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("client output");
    let tools: Vec<&str> = result["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in ["Bash", "Edit", "Glob", "Grep", "Read", "Write"] {
        assert!(tools.contains(&name), "{name} missing from {tools:?}");
    }
    assert_eq!(result["read"]["is_error"], false);
    assert!(
        result["read"]["text"]
            .as_str()
            .unwrap()
            .contains("served by ferrule")
    );
    // Bash with no allow rule asks, and nobody can answer.
    assert_eq!(result["bash"]["is_error"], true);
    assert!(
        result["bash"]["text"]
            .as_str()
            .unwrap()
            .contains("cannot ask"),
        "{result}"
    );
    assert!(!proj.join("made.txt").exists());
}
