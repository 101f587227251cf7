//! Background hooks in print mode: what an `async` hook reports reaches the
//! model with its next request, and an `asyncRewake` hook that exits 2
//! after the answer wakes the model for one more turn.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::json;

use super::harness::{Project, run};

#[tokio::test]
async fn an_async_hooks_context_goes_with_a_later_request() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"notes.txt"}"#)],
        2,
    ));
    // Gives the background hook time to finish before the next request.
    server.mount(openai::tool_calls_reply(
        &[("call_2", "Bash", r#"{"command":"sleep 2"}"#)],
        2,
    ));
    server.mount(openai::text_reply("All read."));
    let output = json!({"hookSpecificOutput": {
        "hookEventName": "PostToolUse",
        "additionalContext": "the notes are three weeks old"
    }});
    let settings = json!({"hooks": {"PostToolUse": [{
        "matcher": "Read",
        "async": true,
        // Slow enough to still be running when the request after the Read
        // goes out (a finished hook's context would rightly go with it).
        "hooks": [{"type": "command", "command": format!("sleep 0.7; echo '{output}'")}]
    }]}});
    let project = Project::new(&[
        (".qoder/settings.json", &settings.to_string()),
        ("notes.txt", "buy milk\n"),
    ])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "read the notes",
            "--allowed-tools",
            "Bash(sleep 2)",
            "-o",
            "json",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // Not in the request right after the Read: the hook runs beside it.
    let second = requests[1].body["messages"].to_string();
    assert!(!second.contains("three weeks old"), "{second}");
    let third = requests[2].body["messages"].to_string();
    assert!(third.contains("the notes are three weeks old"), "{third}");
    assert!(third.contains("background PostToolUse hook"), "{third}");
    assert_eq!(out.json()?["result"], "All read.");
    Ok(())
}

#[tokio::test]
async fn an_async_rewake_hook_that_exits_2_wakes_the_model() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"notes.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Done reading."));
    server.mount(openai::text_reply("I will fix the lint errors."));
    let settings = json!({"hooks": {"PostToolUse": [{
        "matcher": "Read",
        "hooks": [{
            "type": "command",
            "command": "sleep 1; echo 'lint: 3 errors in notes.txt' >&2; exit 2",
            "asyncRewake": true,
            "rewakeMessage": "The background lint found problems"
        }]
    }]}});
    let project = Project::new(&[
        (".qoder/settings.json", &settings.to_string()),
        ("notes.txt", "buy milk\n"),
    ])?;
    let out =
        run(project.openai(&server.base_url(), &["-p", "read the notes", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "read, answer, woken");
    let woken = requests[2].body["messages"].to_string();
    assert!(
        woken.contains("The background lint found problems"),
        "{woken}"
    );
    assert!(woken.contains("lint: 3 errors in notes.txt"), "{woken}");
    assert!(woken.contains("Done reading."), "{woken}");
    assert_eq!(out.json()?["result"], "I will fix the lint errors.");
    Ok(())
}

#[tokio::test]
async fn an_async_rewake_hook_that_succeeds_lets_the_run_end() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"notes.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Done reading."));
    let marker = "rewake-ran";
    let settings = json!({"hooks": {"PostToolUse": [{
        "matcher": "Read",
        "hooks": [{
            "type": "command",
            "command": format!("sleep 1; touch {marker}; exit 0"),
            "asyncRewake": true
        }]
    }]}});
    let project = Project::new(&[
        (".qoder/settings.json", &settings.to_string()),
        ("notes.txt", "buy milk\n"),
    ])?;
    let out =
        run(project.openai(&server.base_url(), &["-p", "read the notes", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(server.requests().len(), 2);
    // The run waited for the hook before it ended.
    assert!(project.path(marker).exists());
    assert_eq!(out.json()?["result"], "Done reading.");
    Ok(())
}
