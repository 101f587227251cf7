//! Sessions across runs (`--resume`, `--continue`, `--list-sessions`) and
//! `--record` replayed offline with the scripted provider.

use anyhow::Result;
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;
use serde_json::Value;

use super::harness::{Project, run};

/// Every message text the model was sent, in order.
fn sent_texts(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] != "system")
        .map(|m| match &m["content"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn resume_and_continue_carry_the_conversation() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Noted: the codeword is kiwi."));
    server.mount(openai::text_reply("It was kiwi."));
    server.mount(openai::text_reply("Still kiwi."));
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
    assert!(!id.is_empty());

    let second = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "what was the codeword?",
            "-o",
            "json",
            "--resume",
            &id,
        ],
    ))
    .await?;
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(second.json()?["session_id"], id.as_str());
    let texts = sent_texts(&server.requests()[1].body);
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("remember the codeword kiwi"));
    assert!(texts[1].contains("Noted: the codeword is kiwi."));
    assert!(texts[2].contains("what was the codeword?"));

    let third =
        run(project.openai(&server.base_url(), &["-p", "and now?", "-c", "-o", "json"])).await?;
    assert_eq!(third.code, Some(0), "{}", third.stderr);
    assert_eq!(third.json()?["session_id"], id.as_str());
    let texts = sent_texts(&server.requests()[2].body);
    assert_eq!(texts.len(), 5, "{texts:?}");
    assert!(texts[3].contains("It was kiwi."));

    let listed = run(project.command(&["--list-sessions", "-o", "json"])).await?;
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let sessions = listed.json()?;
    assert_eq!(sessions[0]["session_id"], id.as_str());
    Ok(())
}

#[tokio::test]
async fn resume_of_an_unknown_session_fails() -> Result<()> {
    let project = Project::new(&[(
        "s.json",
        r#"{"turns": [{"blocks": [{"type": "text", "text": "hi"}]}]}"#,
    )])?;
    let out = run(project.command(&[
        "-p",
        "hi",
        "--model",
        "scripted/s.json",
        "--resume",
        "123e4567-e89b-42d3-a456-426614174000",
    ]))
    .await?;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("no session with id"), "{}", out.stderr);
    Ok(())
}

#[tokio::test]
async fn a_recorded_session_replays_offline_with_the_same_result() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Write",
            r#"{"file_path":"out.txt","content":"recorded\n"}"#,
        )],
        3,
    ));
    server.mount(openai::text_reply("Wrote out.txt."));
    let project = Project::new(&[])?;
    let script = project.base.join("session.json");
    let script_arg = script.display().to_string();
    let recorded = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "write it",
            "-o",
            "json",
            "--permission-mode",
            "acceptEdits",
            "--record",
            &script_arg,
        ],
    ))
    .await?;
    assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
    assert_eq!(project.read("out.txt")?, "recorded\n");
    std::fs::remove_file(project.path("out.txt"))?;
    drop(server);

    let model = format!("scripted/{script_arg}");
    let replayed = run(project.command(&[
        "-p",
        "write it",
        "-o",
        "json",
        "--permission-mode",
        "acceptEdits",
        "--model",
        &model,
    ]))
    .await?;
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_eq!(project.read("out.txt")?, "recorded\n");
    let (a, b) = (recorded.json()?, replayed.json()?);
    for key in ["result", "num_turns", "usage", "is_error", "stop_reason"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    Ok(())
}

#[tokio::test]
async fn name_titles_the_session_and_no_persistence_writes_nothing() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("kept"));
    server.mount(openai::text_reply("forgotten"));
    let project = Project::new(&[])?;
    let named =
        run(project.openai(&server.base_url(), &["-p", "one", "-n", "release prep"])).await?;
    assert_eq!(named.code, Some(0), "{}", named.stderr);
    let unsaved = run(project.openai(
        &server.base_url(),
        &["-p", "two", "--no-session-persistence"],
    ))
    .await?;
    assert_eq!(unsaved.code, Some(0), "{}", unsaved.stderr);
    let listed = run(project.command(&["--list-sessions"])).await?;
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let rows: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(rows.len(), 1, "{}", listed.stdout);
    assert!(rows[0].trim_start().starts_with("1  "), "{}", rows[0]);
    assert!(rows[0].ends_with("release prep"), "{}", rows[0]);
    Ok(())
}
