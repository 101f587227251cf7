//! MCP elicitation end to end: `ferrule -p` against the fake model server,
//! a real Python MCP server that elicits (`tests/mcp/servers/elicit.py`)
//! and real hook scripts: an Elicitation hook answers without asking, print
//! mode declines (and says so) when no hook does, an ElicitationResult hook
//! rewrites the answer, and Notification hooks see the elicitation types.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::harness::{Project, openai_tool_results, run};

/// A command hook appending its stdin as one line to `log`, then `then`.
fn hook(log: &std::path::Path, then: &str) -> Value {
    let log = log.display();
    json!({"type": "command", "command": format!("cat >> '{log}'; echo >> '{log}'; {then}")})
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

async fn ask_name(project: &Project, settings: &Value) -> Result<(super::harness::Run, String)> {
    let Some(python) = super::mcp_common::python() else {
        anyhow::bail!("no python");
    };
    project.write(".qoder/settings.json", &settings.to_string())?;
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "mcp__asker__ask_name", "{}")],
        2,
    ));
    server.mount(openai::text_reply("asked"));
    let config = json!({"mcpServers": {"asker": {
        "command": python,
        "args": [super::mcp_common::script("elicit.py")],
    }}})
    .to_string();
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "ask for a name",
            "--mcp-config",
            &config,
            "--allowed-tools",
            "mcp__asker",
        ],
    ))
    .await?;
    let told = openai_tool_results(&server.requests()[1].body);
    Ok((out, told.join("\n")))
}

#[tokio::test]
async fn an_elicitation_hook_answers_for_the_user() -> Result<()> {
    if super::mcp_common::python().is_none() {
        return Ok(());
    }
    let project = Project::new(&[])?;
    let log = project.path("elicit.jsonl");
    let answer = r#"{"hookSpecificOutput": {"hookEventName": "Elicitation", "action": "accept", "content": {"name": "Hook"}}}"#;
    let settings = json!({"hooks": {
        "Elicitation": [{"matcher": "asker", "hooks": [hook(&log, &format!("echo '{answer}'"))]}],
        "ElicitationResult": [{"matcher": "asker", "hooks": [hook(&log, "true")]}],
        "Notification": [{"matcher": "elicitation_dialog|elicitation_response|elicitation_complete", "hooks": [hook(&log, "true")]}]
    }});
    let (out, told) = ask_name(&project, &settings).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(told.contains("accept: Hook"), "{told}");
    let seen = lines(&log);
    let events: Vec<&str> = seen
        .iter()
        .map(|l| l["hook_event_name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        events,
        ["Elicitation", "ElicitationResult", "Notification"],
        "{seen:?}"
    );
    let asked = &seen[0];
    assert_eq!(asked["mcp_server_name"], "asker");
    assert_eq!(asked["message"], "What is your name?");
    assert_eq!(asked["mode"], "form");
    assert_eq!(asked["url"], Value::Null);
    assert!(
        asked["elicitation_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(
        asked["requested_schema"]["properties"]["name"]["type"],
        "string"
    );
    let result = &seen[1];
    assert_eq!(result["action"], "accept");
    assert_eq!(result["content"], json!({"name": "Hook"}));
    assert_eq!(result["elicitation_id"], asked["elicitation_id"]);
    assert_eq!(seen[2]["notification_type"], "elicitation_complete");
    Ok(())
}

#[tokio::test]
async fn print_mode_declines_and_an_elicitation_result_hook_can_rewrite() -> Result<()> {
    if super::mcp_common::python().is_none() {
        return Ok(());
    }
    let project = Project::new(&[])?;
    let log = project.path("notify.jsonl");
    let settings = json!({"hooks": {
        "Notification": [{"hooks": [hook(&log, "true")]}]
    }});
    let (out, told) = ask_name(&project, &settings).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(told.contains("decline"), "{told}");
    assert!(out.stderr.contains("no user is present"), "{}", out.stderr);
    let kinds: Vec<String> = lines(&log)
        .iter()
        .map(|l| {
            l["notification_type"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "elicitation_dialog",
            "elicitation_response",
            "elicitation_complete"
        ]
    );

    let rewrite = r#"{"hookSpecificOutput": {"hookEventName": "ElicitationResult", "action": "accept", "content": {"name": "Rewritten"}}}"#;
    let settings = json!({"hooks": {
        "ElicitationResult": [{"hooks": [{"type": "command", "command": format!("cat > /dev/null; echo '{rewrite}'")}]}]
    }});
    let (out, told) = ask_name(&project, &settings).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(told.contains("accept: Rewritten"), "{told}");
    Ok(())
}
