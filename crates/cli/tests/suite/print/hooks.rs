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
