//! What goes to stderr: plain text (no ANSI colour) when stderr is not a
//! terminal, and no warnings for the tool names the Agent SDKs pass.

use std::process::Stdio;

use anyhow::{Context as _, Result};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

use super::harness::{Project, run};

const SCRIPT: &str = r#"{"turns": [{"blocks": [{"type": "text", "text": "hi"}]}]}"#;

#[tokio::test]
async fn sdk_mode_skips_the_sdks_tool_names_quietly() -> Result<()> {
    let project = Project::new(&[("s.json", SCRIPT)])?;
    let mut command = project.command(&[
        "--model",
        "scripted/s.json",
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--tools",
        "Read,ImageGen,WebSearch,TaskCreate,Skill,NoSuchTool",
    ]);
    command.stdin(Stdio::piped());
    let mut child = command.spawn()?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut stderr = child.stderr.take().context("no stderr")?;
    let init =
        r#"{"type":"control_request","request_id":"init","request":{"subtype":"initialize"}}"#;
    stdin.write_all(format!("{init}\n").as_bytes()).await?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if line.contains("control_response") {
            break;
        }
    }
    drop(stdin);
    let status = child.wait().await?;
    let mut logs = String::new();
    stderr.read_to_string(&mut logs).await?;
    assert!(status.success(), "{logs}");
    assert!(logs.contains("NoSuchTool"), "{logs}");
    for name in ["ImageGen", "WebSearch", "TaskCreate", "Skill"] {
        assert!(!logs.contains(name), "{name} warned about: {logs}");
    }
    assert!(!logs.contains('\u{1b}'), "ANSI escapes in {logs:?}");
    Ok(())
}

#[tokio::test]
async fn print_mode_warns_about_unknown_tools_in_plain_text() -> Result<()> {
    let project = Project::new(&[("s.json", SCRIPT)])?;
    let out = run(project.command(&[
        "-p",
        "hi",
        "--model",
        "scripted/s.json",
        "--tools",
        "Read,ImageGen",
    ]))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("no built-in tool is called `ImageGen`"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains('\u{1b}'),
        "ANSI escapes in {:?}",
        out.stderr
    );
    Ok(())
}
