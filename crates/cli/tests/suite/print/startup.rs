//! Startup flags: `--agent`, `--reasoning-effort`, `--context-window`,
//! `--list-models`, `--attachment` and `-i`.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, run};

const REVIEWER: &str = "---\nname: reviewer\ndescription: Reviews code\ntools: Read, Grep\n\
    initialPrompt: Review the open changes\n---\nYou are the reviewer. Never edit files.\n";

fn tool_names(body: &serde_json::Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn agent_runs_as_the_main_agent_with_its_initial_prompt() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Reviewed."));
    let project = Project::new(&[(".qoder/agents/reviewer.md", REVIEWER)])?;
    // No prompt at all: the definition's initialPrompt is sent.
    let out = run(project.openai(&server.base_url(), &["-p", "--agent", "reviewer"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "Reviewed.");
    let body = &server.requests()[0].body;
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(system.starts_with("You are the reviewer."), "{system}");
    let user = body["messages"][1].to_string();
    assert!(user.contains("Review the open changes"), "{user}");
    let mut tools = tool_names(body);
    tools.sort();
    assert_eq!(tools, vec!["Grep".to_owned(), "Read".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn an_unknown_agent_names_the_known_ones() -> Result<()> {
    let project = Project::new(&[(".qoder/agents/reviewer.md", REVIEWER)])?;
    let out = run(project.command(&["-p", "hi", "--agent", "writer"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("--agent writer: no subagent has that name (known: reviewer)"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn reasoning_effort_reaches_the_request_and_bad_values_are_refused() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let project = Project::new(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "hi", "--reasoning-effort", "high"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(server.requests()[0].body["reasoning_effort"], "high");
    let out = run(project.command(&["-p", "hi", "--reasoning-effort", "extreme"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("--reasoning-effort extreme: expected low, medium, high, xhigh, max or off"),
        "{}",
        out.stderr
    );
    let out = run(project.command(&["-p", "hi", "--context-window", "lots"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("--context-window lots"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn list_models_shows_the_model_in_use_and_the_aliases() -> Result<()> {
    let project = Project::new(&[(
        ".qoder/settings.json",
        r#"{"model": "fast", "modelAliases": {"fast": "openai/gpt-4.1-mini"}}"#,
    )])?;
    let out = run(project.command(&["--list-models"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("In use: openai/gpt-4.1-mini (from settings `model`, alias `fast`)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  fast = openai/gpt-4.1-mini"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("gpt-4.1"), "{}", out.stdout);
    let json = run(project.command(&["--list-models", "-o", "json"])).await?;
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout)?;
    assert_eq!(value["current"], "openai/gpt-4.1-mini");
    assert_eq!(value["aliases"]["fast"], "openai/gpt-4.1-mini");
    assert!(value["models"].as_array().is_some_and(|m| !m.is_empty()));
    Ok(())
}

#[tokio::test]
async fn attachments_go_with_the_prompt() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Seen."));
    let project = Project::new(&[("notes.txt", "attached-notes-text\n")])?;
    std::fs::write(project.path("pic.png"), b"\x89PNG\r\n\x1a\n0000")?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "look",
            "--attachment",
            "notes.txt",
            "--attachment",
            "pic.png",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let body = server.requests()[0].body.to_string();
    assert!(body.contains("attached-notes-text"), "{body}");
    assert!(body.contains("data:image/png;base64,"), "{body}");
    let missing = run(project.command(&["-p", "look", "--attachment", "gone.txt"])).await?;
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("--attachment gone.txt"),
        "{}",
        missing.stderr
    );
    Ok(())
}

#[tokio::test]
async fn prompt_interactive_needs_a_terminal() -> Result<()> {
    let project = Project::new(&[])?;
    let out = run(project.command(&["-i", "hello"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("-i/--prompt-interactive needs a terminal"),
        "{}",
        out.stderr
    );
    Ok(())
}

const RELEASE_SKILL: &str = "---\nname: release\ndescription: Cut a release\n---\nBump the version to $ARGUMENTS, then tag it.\n";

#[tokio::test]
async fn the_model_loads_a_listed_skill_with_the_skill_tool() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Skill",
            r#"{"skill": "release", "args": "2.0.0"}"#,
        )],
        2,
    ));
    server.mount(openai::text_reply("Released."));
    let project = Project::new(&[(".qoder/skills/release/SKILL.md", RELEASE_SKILL)])?;
    let out = run(project.openai(&server.base_url(), &["-p", "ship it"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "Released.");
    let first = &server.requests()[0].body;
    assert!(tool_names(first).contains(&"Skill".to_owned()));
    let system = first["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(system.contains("- release: Cut a release"), "{system}");
    assert!(
        !system.contains("Bump the version"),
        "the body loads on use: {system}"
    );
    // No rule covers the skill and print mode cannot ask: it is allowed.
    let result = server.requests()[1].body["messages"].to_string();
    assert!(
        result.contains("Bump the version to 2.0.0, then tag it."),
        "{result}"
    );
    Ok(())
}

#[tokio::test]
async fn without_skills_no_skill_tool_is_offered() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let project = Project::new(&[])?;
    let out = run(project.openai(&server.base_url(), &["-p", "hi"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!tool_names(&server.requests()[0].body).contains(&"Skill".to_owned()));
    Ok(())
}
