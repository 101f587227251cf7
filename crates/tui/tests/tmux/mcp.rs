//! `/mcp` in the interface: `.mcp.json` servers wait for approval with a
//! notice that says how to give it, `/mcp approve`, `/mcp reload` and the
//! session-only switches (cli-core.md §8.1, §8.3).

use ferrule_test_support::openai;

use crate::harness::{Project, Tui};
use crate::{mcp_python, server};

/// A project whose `.mcp.json` has server `b` (the Python `basic.py`).
fn project_with_mcp_json() -> Project {
    let project = Project::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/mcp/servers/basic.py")
        .canonicalize()
        .expect("basic.py");
    let config = serde_json::json!({"mcpServers": {"b": {
        "command": mcp_python(), "args": [script, "stdio"]}}});
    std::fs::write(project.dir().join(".mcp.json"), config.to_string()).expect(".mcp.json");
    project
}

/// Runs `/mcp ...` and waits for `text`.
fn command(tui: &Tui, line: &str, text: &str) -> String {
    tui.type_text(line);
    tui.keys(&["Enter"]);
    tui.wait_text(text)
}

/// The state the last `/mcp` listing on screen gives server `b`.
fn last_state(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find_map(|line| line.trim_start().strip_prefix("b — "))
        .unwrap_or("")
}

/// Runs `/mcp` and waits until its listing gives `b` a state starting
/// with `state`.
fn listed(tui: &Tui, state: &str) {
    tui.type_text("/mcp");
    tui.keys(&["Enter"]);
    tui.wait_for(&format!("b listed as {state:?}"), |screen| {
        last_state(screen).starts_with(state)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_servers_wait_for_approval_and_slash_mcp_approves_them() {
    let server = server().await;
    let project = project_with_mcp_json();
    let local = project.dir().join(".qoder/settings.local.json");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    let screen = tui.wait_text("wait for your approval");
    assert!(screen.contains("not started: b."), "{screen}");
    assert!(screen.contains("/mcp approve NAME"), "{screen}");
    listed(&tui, "disabled: project server from .mcp.json");
    // The folder is not trusted: the approval holds for this session.
    command(
        &tui,
        "/mcp approve b",
        "Approved project MCP server b for this session",
    );
    listed(&tui, "connected");
    assert!(!local.exists(), "{}", local.display());
    command(
        &tui,
        "/mcp reject b",
        "Rejected project MCP server b for this session",
    );
    listed(&tui, "disabled");
    command(&tui, "/mcp approve nope", "no MCP server named `nope`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_switches_hold_until_the_session_ends_and_reload_keeps_them() {
    let server = server().await;
    server.mount(openai::text_reply("First answer."));
    server.mount(openai::text_reply("Second answer."));
    let project = project_with_mcp_json();
    let local = project.dir().join(".qoder/settings.local.json");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("remember the word kumquat");
    tui.keys(&["Enter"]);
    tui.wait_text("First answer.");
    tui.wait_for("the turn to end", |s| !s.contains("Working…"));
    // On for this session only: it starts, and nothing is written.
    command(
        &tui,
        "/mcp enable b --session",
        "Enabled MCP server b for this session.",
    );
    listed(&tui, "connected");
    assert!(
        !local.exists(),
        "a session switch wrote {}",
        local.display()
    );
    command(
        &tui,
        "/mcp disable b --session",
        "Disabled MCP server b for this session.",
    );
    listed(&tui, "disabled: disabled for this session");
    command(
        &tui,
        "/mcp enable b --session",
        "Enabled MCP server b for this session.",
    );
    listed(&tui, "connected");
    command(
        &tui,
        "/mcp disable b --session",
        "Disabled MCP server b for this session.",
    );
    command(&tui, "/mcp reload", "MCP servers reloaded.");
    listed(&tui, "disabled: disabled for this session");
    // The rebuilt sessions went on with the same conversation.
    tui.type_text("what was the word?");
    tui.keys(&["Enter"]);
    tui.wait_text("Second answer.");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let body = requests[1].body.to_string();
    assert!(body.contains("kumquat"), "{body}");
    command(&tui, "/mcp enable", "Usage: /mcp");
    command(
        &tui,
        "/mcp enable nope --session",
        "no MCP server named `nope`",
    );
}
