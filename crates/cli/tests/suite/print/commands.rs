//! Slash commands in print mode: `/compact` on a resumed session.

use anyhow::Result;
use ferrule_protocol::sdk::{StreamMessage, SystemMessage};
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, run};

#[tokio::test]
async fn compact_summarizes_the_resumed_session() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Noted: the codeword is kiwi."));
    server.mount(openai::text_reply("The user set the codeword kiwi."));
    server.mount(openai::text_reply("The user set the codeword kiwi."));
    let project = Project::new(&[])?;
    let first = run(project.openai(
        &server.base_url(),
        &["-p", "remember the codeword kiwi", "-o", "json"],
    ))
    .await?;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let id = first.json()?["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let text = run(project.openai(
        &server.base_url(),
        &["-p", "/compact keep the codeword", "--resume", &id],
    ))
    .await?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(text.stdout.contains("tokens before"), "{}", text.stdout);
    assert!(text.stdout.contains("codeword kiwi"), "{}", text.stdout);
    let summary_request = server.requests()[1].body.to_string();
    assert!(
        summary_request.contains("keep the codeword"),
        "{summary_request}"
    );

    let stream = run(project.openai(
        &server.base_url(),
        &["-p", "/compact", "-c", "-o", "stream-json", "--verbose"],
    ))
    .await?;
    assert_eq!(stream.code, Some(0), "{}", stream.stderr);
    let lines = stream.lines()?;
    let boundary = lines.iter().find_map(|line| match line {
        StreamMessage::System(SystemMessage::CompactBoundary(b)) => Some(b),
        _ => None,
    });
    let boundary =
        boundary.ok_or_else(|| anyhow::anyhow!("no compact_boundary: {}", stream.stdout))?;
    assert!(boundary.compact_metadata.pre_tokens > 0);
    let Some(StreamMessage::Result(result)) = lines.last() else {
        panic!("no result last: {}", stream.stdout);
    };
    assert!(!result.is_error);
    assert_eq!(result.session_id, id);
    Ok(())
}

#[tokio::test]
async fn compact_without_history_is_an_error_result() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let project = Project::new(&[])?;
    let out = run(project.openai(&server.base_url(), &["-p", "/compact", "-o", "json"])).await?;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let result = out.json()?;
    assert_eq!(result["is_error"], true);
    assert!(
        result["result"]
            .as_str()
            .unwrap_or_default()
            .contains("nothing to compact"),
        "{result}"
    );
    assert!(server.requests().is_empty());
    Ok(())
}
