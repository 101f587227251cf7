//! Model-backed hooks in print mode: a `prompt` hook's one model call and an
//! `agent` hook's short subagent decide about a tool call.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::json;

use super::harness::{Project, openai_tool_results, run};

fn settings(hook: serde_json::Value) -> String {
    json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [hook]}]}}).to_string()
}

#[tokio::test]
async fn a_prompt_hook_that_says_no_blocks_the_call() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"touch marker"}"#)],
        2,
    ));
    // The hook's own model call.
    server.mount(openai::text_reply(
        r#"{"ok": false, "reason": "touching files is not allowed in this repo"}"#,
    ));
    server.mount(openai::text_reply("The hook stopped me."));
    let hook = json!({"type": "prompt", "prompt": "Is this safe? $ARGUMENTS"});
    let project = Project::new(&[(".qoder/settings.json", &settings(hook))])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "touch it",
            "--allowed-tools",
            "Bash(touch marker)",
            "-o",
            "json",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!project.path("marker").exists(), "the blocked command ran");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "main, hook, main");
    let hook_request = requests[1].body.to_string();
    assert!(hook_request.contains("touch marker"), "{hook_request}");
    let told = openai_tool_results(&requests[2].body);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("touching files is not allowed"),
        "{told:?}"
    );
    let result = out.json()?;
    assert_eq!(result["result"], "The hook stopped me.");
    Ok(())
}

#[tokio::test]
async fn a_prompt_hook_that_says_yes_lets_the_call_run() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"touch marker"}"#)],
        2,
    ));
    server.mount(openai::text_reply(r#"{"ok": true}"#));
    server.mount(openai::text_reply("Touched."));
    let hook = json!({"type": "prompt", "prompt": "Is this safe? $ARGUMENTS"});
    let project = Project::new(&[(".qoder/settings.json", &settings(hook))])?;
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "touch it", "--allowed-tools", "Bash(touch marker)"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(project.path("marker").exists());
    assert_eq!(server.requests().len(), 3);
    Ok(())
}

#[tokio::test]
async fn session_start_adds_context_and_session_end_fires_after_the_run() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("first"));
    server.mount(openai::text_reply("second"));
    let project = Project::new(&[])?;
    let start = project.base.join("start.json");
    let end = project.base.join("end.json");
    let hooks = json!({"hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command":
            format!("cat >> '{0}'; echo >> '{0}'; echo 'the deploy day is Friday'", start.display())}]}],
        "SessionEnd": [{"hooks": [{"type": "command", "command":
            format!("cat >> '{}'", end.display())}]}],
    }});
    project.write(".qoder/settings.json", &hooks.to_string())?;
    let first = run(project.openai(&server.base_url(), &["-p", "hi", "-o", "json"])).await?;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let sent = server.requests()[0].body.to_string();
    assert!(sent.contains("the deploy day is Friday"), "{sent}");
    let started: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&start)?.trim())?;
    assert_eq!(started["hook_event_name"], "SessionStart");
    assert_eq!(started["source"], "startup");
    let ended: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&end)?)?;
    assert_eq!(ended["hook_event_name"], "SessionEnd");
    assert_eq!(ended["reason"], "other");

    let second = run(project.openai(&server.base_url(), &["-p", "again", "-c"])).await?;
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let starts = std::fs::read_to_string(&start)?;
    let last: serde_json::Value = serde_json::from_str(starts.lines().last().unwrap_or_default())?;
    assert_eq!(last["source"], "resume");
    Ok(())
}
