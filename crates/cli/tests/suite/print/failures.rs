//! Provider failures and limits end in a result: retried 429s, a stalled
//! stream hit by the timeout, `--max-turns`.

use std::time::Duration;

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, Reply, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, run};

#[tokio::test]
async fn a_429_is_retried_then_succeeds() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::error(429, "slow down").retry_after("0"));
    server.mount(openai::text_reply("Second time lucky."));
    let project = Project::new(&[])?;
    let out = run(project.openai(&server.base_url(), &["-p", "hi", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json()?["result"], "Second time lucky.");
    assert_eq!(server.requests().len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_stalled_stream_times_out_with_an_error_result() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let mut frames = openai::text_frames("I am thinking about", 2);
    frames.truncate(1);
    server.mount(Reply::sse(frames).stall());
    let project = Project::new(&[])?;
    let mut command = project.openai(
        &server.base_url(),
        &["-p", "hi", "-o", "json", "--max-model-request-retries", "0"],
    );
    command.env("FERRULE_STREAM_STALL_TIMEOUT_MS", "300");
    let started = std::time::Instant::now();
    let out = run(command).await?;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let result = out.json()?;
    assert_eq!(result["is_error"], true);
    assert_eq!(result["subtype"], "error_during_execution");
    let text = result["result"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        text.contains("stall") || text.contains("timed out") || text.contains("timeout"),
        "{result}"
    );
    Ok(())
}

#[tokio::test]
async fn max_turns_stops_the_loop_with_an_error_result() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    for id in ["call_1", "call_2"] {
        server.mount(openai::tool_calls_reply(
            &[(id, "Glob", r#"{"pattern":"*.txt"}"#)],
            1,
        ));
    }
    let project = Project::new(&[("a.txt", "a\n")])?;
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "look", "-o", "json", "--max-turns", "1"],
    ))
    .await?;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let result = out.json()?;
    assert_eq!(result["subtype"], "error_max_turns");
    assert_eq!(result["is_error"], true);
    assert_eq!(result["terminal_reason"], "max_turns");
    assert_eq!(server.requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_missing_model_is_a_clear_usage_error() -> Result<()> {
    let project = Project::new(&[])?;
    let out = run(project.command(&["-p", "hi"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("no model configured"), "{}", out.stderr);
    Ok(())
}
