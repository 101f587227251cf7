//! Slash commands in print mode: `/compact` on a resumed session, custom
//! commands (expanded before the run), unknown `/x` sent as written.

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

#[tokio::test]
async fn a_custom_command_expands_with_its_shell_part_checked() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Reviewed."));
    server.mount(openai::text_reply("Plain."));
    let project = Project::new(&[
        (
            ".qoder/commands/review.md",
            "Review $ARGUMENTS. Marker: !`echo from-the-shell`\n",
        ),
        (
            ".qoder/commands/touchy.md",
            "Then: !`touch made-by-command`\n",
        ),
    ])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "/review src/a.rs",
            "--allowed-tools",
            "Bash(echo:*)",
            "-o",
            "json",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let sent = server.requests()[0].body.to_string();
    assert!(
        sent.contains("Review src/a.rs. Marker: from-the-shell"),
        "{sent}"
    );

    let refused = run(project.openai(&server.base_url(), &["-p", "/touchy", "-o", "json"])).await?;
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert_eq!(refused.json()?["is_error"], true);
    assert!(
        refused.stdout.contains("this session cannot ask"),
        "{}",
        refused.stdout
    );
    assert!(!project.path("made-by-command").exists());
    assert_eq!(
        server.requests().len(),
        1,
        "a refused command reaches no model"
    );

    let plain = run(project.openai(&server.base_url(), &["-p", "/nosuch thing"])).await?;
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    let sent = server.requests()[1].body.to_string();
    assert!(sent.contains("/nosuch thing"), "{sent}");
    Ok(())
}

#[tokio::test]
async fn a_commands_allowed_tools_cover_its_shell_parts_and_the_models_calls() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[
            ("c1", "Bash", r#"{"command":"touch by-model"}"#),
            ("c2", "Bash", r#"{"command":"mkdir not-allowed"}"#),
        ],
        2,
    ));
    server.mount(openai::text_reply("Done."));
    let project = Project::new(&[(
        ".qoder/commands/stamp.md",
        "---\ndescription: Stamp the tree\nallowed-tools: Bash(touch:*), Read\n---\n\
         Stamped: !`touch by-command && echo yes`\n",
    )])?;
    let out = run(project.openai(&server.base_url(), &["-p", "/stamp", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(project.path("by-command").exists(), "the shell part ran");
    let sent = server.requests()[0].body.to_string();
    assert!(sent.contains("Stamped: yes"), "{sent}");
    assert!(project.path("by-model").exists(), "the allowed call ran");
    assert!(
        !project.path("not-allowed").exists(),
        "a call the command does not allow still needs permission"
    );
    let denials = out.json()?["permission_denials"].clone();
    let denied: Vec<&str> = denials
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["tool_use_id"].as_str())
        .collect();
    assert_eq!(denied, ["c2"], "{denials}");

    // Without the command the same call is not allowed.
    server.mount(openai::tool_calls_reply(
        &[("c3", "Bash", r#"{"command":"touch plain"}"#)],
        1,
    ));
    server.mount(openai::text_reply("Refused."));
    let plain = run(project.openai(&server.base_url(), &["-p", "stamp it", "-o", "json"])).await?;
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(!project.path("plain").exists());
    Ok(())
}
