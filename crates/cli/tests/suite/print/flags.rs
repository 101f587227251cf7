//! Flags that shape the agent: system prompt, extra directories, inline
//! settings, subagents, forking a session.

use anyhow::{Context as _, Result};
use ferrule_protocol::sdk::{StreamMessage, SystemMessage};
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, openai_tool_results, run};

#[tokio::test]
async fn system_prompt_flags_replace_and_extend_the_prompt() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    server.mount(openai::text_reply("ok"));
    let project = Project::new(&[("AGENTS.md", "Project memory: use tabs.\n")])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "hi",
            "--system-prompt",
            "You are a test double.",
            "--append-system-prompt",
            "Answer in haiku.",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = run(project.openai(&server.base_url(), &["-p", "hi", "--system-prompt", ""])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let requests = server.requests();
    let system = |n: usize| {
        requests[n].body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let replaced = system(0);
    assert!(replaced.starts_with("You are a test double."), "{replaced}");
    assert!(replaced.contains("Project memory: use tabs."), "{replaced}");
    assert!(
        replaced.trim_end().ends_with("Answer in haiku."),
        "{replaced}"
    );
    let default = system(1);
    assert!(!default.contains("test double"));
    assert!(default.contains("Project memory: use tabs."));
    Ok(())
}

#[tokio::test]
async fn add_dir_lets_tools_read_outside_the_project() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let project = Project::new(&[])?;
    let other = project.base.join("other");
    std::fs::create_dir_all(&other)?;
    std::fs::write(other.join("x.txt"), "outside\n")?;
    let input = format!(r#"{{"file_path":"{}"}}"#, other.join("x.txt").display());
    for _ in 0..2 {
        server.mount(openai::tool_calls_reply(&[("call_1", "Read", &input)], 2));
        server.mount(openai::text_reply("done"));
    }
    let denied = run(project.openai(&server.base_url(), &["-p", "read", "-o", "json"])).await?;
    assert_eq!(denied.code, Some(0), "{}", denied.stderr);
    let refused = openai_tool_results(&server.requests()[1].body);
    assert!(!refused[0].contains("outside\n"), "{refused:?}");
    assert!(
        refused[0].contains("outside the working directories"),
        "{refused:?}"
    );
    let other_arg = other.display().to_string();
    let allowed = run(project.openai(
        &server.base_url(),
        &["-p", "read", "-o", "json", "--add-dir", &other_arg],
    ))
    .await?;
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    let told = openai_tool_results(&server.requests()[3].body);
    assert!(told[0].contains("outside"), "{told:?}");
    Ok(())
}

#[tokio::test]
async fn inline_settings_rules_apply_and_agents_are_listed() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"touch made"}"#)],
        2,
    ));
    server.mount(openai::text_reply("made it"));
    let project = Project::new(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "make it",
            "-o",
            "stream-json",
            "--settings",
            r#"{"permissions": {"allow": ["Bash(touch made)"]}}"#,
            "--agents",
            r#"{"reviewer": {"description": "Reviews diffs", "prompt": "You review."}}"#,
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(project.path("made").exists());
    let lines = out.lines()?;
    let Some(StreamMessage::System(SystemMessage::Init(init))) = lines.first() else {
        panic!("no init line: {}", out.stdout);
    };
    let agents = init.agents.clone().unwrap_or_default();
    assert!(agents.contains(&"reviewer".to_owned()), "{agents:?}");
    assert_eq!(init.permission_mode.as_str(), "default");
    Ok(())
}

#[tokio::test]
async fn fork_session_copies_the_history_under_a_new_id() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("first answer"));
    server.mount(openai::text_reply("forked answer"));
    let project = Project::new(&[])?;
    let first = run(project.openai(&server.base_url(), &["-p", "one", "-o", "json"])).await?;
    let id = first.json()?["session_id"]
        .as_str()
        .context("no id")?
        .to_owned();
    let fork_id = "0f1e2d3c-4b5a-4697-8877-665544332211";
    let forked = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "two",
            "-o",
            "json",
            "--resume",
            &id,
            "--fork-session",
            "--session-id",
            fork_id,
        ],
    ))
    .await?;
    assert_eq!(forked.code, Some(0), "{}", forked.stderr);
    assert_eq!(forked.json()?["session_id"], fork_id);
    let sent = server.requests()[1].body["messages"].to_string();
    assert!(sent.contains("first answer"), "{sent}");
    Ok(())
}

#[tokio::test]
async fn mcp_config_servers_offer_their_tools() -> Result<()> {
    let Some(python) = super::mcp_common::python() else {
        return Ok(());
    };
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "mcp__basic__add", r#"{"a":2,"b":40}"#)],
        2,
    ));
    server.mount(openai::text_reply("the sum is 42"));
    let config = serde_json::json!({"mcpServers": {"basic": {
        "command": python,
        "args": [super::mcp_common::script("basic.py")],
    }}})
    .to_string();
    let project = Project::new(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "add via mcp",
            "-o",
            "stream-json",
            "--mcp-config",
            &config,
            "--allowed-tools",
            "mcp__basic",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines()?;
    let Some(StreamMessage::System(SystemMessage::Init(init))) = lines.first() else {
        panic!("no init line: {}", out.stdout);
    };
    assert!(
        init.tools.contains(&"mcp__basic__add".to_owned()),
        "{:?}",
        init.tools
    );
    assert_eq!(init.mcp_servers.len(), 1);
    assert_eq!(init.mcp_servers[0].name, "basic");
    let told = openai_tool_results(&server.requests()[1].body);
    assert!(told[0].contains("42"), "{told:?}");
    Ok(())
}
