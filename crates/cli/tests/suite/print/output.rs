//! Output formats, the version probe, usage errors and the scripted demo.

use anyhow::Result;
use ferrule_protocol::sdk::{StreamMessage, SystemMessage};
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;

use super::harness::{Project, run};

#[tokio::test]
async fn version_prints_semver_first() -> Result<()> {
    let project = Project::new(&[])?;
    for flag in ["-v", "--version"] {
        let out = run(project.command(&[flag])).await?;
        assert_eq!(out.code, Some(0));
        assert_eq!(out.stdout, format!("{}\n", env!("CARGO_PKG_VERSION")));
    }
    Ok(())
}

#[tokio::test]
async fn bad_output_format_exits_1_with_the_documented_message() -> Result<()> {
    let project = Project::new(&[])?;
    let out = run(project.command(&["-p", "hi", "-o", "yaml"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(
            r#"Invalid values:
  Argument: output-format, Given: "yaml", Choices: "text", "json", "stream-json""#
        ),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn unknown_flags_and_unimplemented_flags_exit_1() -> Result<()> {
    let project = Project::new(&[])?;
    let out = run(project.command(&["-p", "hi", "--no-such-flag"])).await?;
    assert_eq!(out.code, Some(1));
    let out = run(project.command(&["-p", "hi", "--teleport"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("--teleport is not supported by ferrule yet"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn text_output_is_the_final_answer_and_prompt_may_come_from_stdin() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("All good."));
    let project = Project::new(&[])?;
    let mut command = project.openai(&server.base_url(), &[]);
    command.stdin(std::process::Stdio::piped());
    let mut child = command.spawn()?;
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(b"is it good?\n").await?;
    }
    let output = child.wait_with_output().await?;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout)?, "All good.\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let last = requests[0].body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or_default();
    assert!(last.to_string().contains("is it good?"), "{last}");
    Ok(())
}

#[tokio::test]
async fn json_output_is_one_result_object() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Done."));
    let project = Project::new(&[])?;
    let out = run(project.openai(&server.base_url(), &["-p", "go", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let result = out.json()?;
    assert_eq!(result["type"], "result");
    assert_eq!(result["subtype"], "success");
    assert_eq!(result["is_error"], false);
    assert_eq!(result["result"], "Done.");
    assert_eq!(result["num_turns"], 1);
    assert_eq!(result["usage"]["input_tokens"], 10);
    assert_eq!(result["usage"]["output_tokens"], 5);
    for key in [
        "duration_ms",
        "duration_api_ms",
        "session_id",
        "total_cost_usd",
        "modelUsage",
        "permission_denials",
        "uuid",
        "stop_reason",
    ] {
        assert!(result.get(key).is_some(), "missing {key}: {result}");
    }
    Ok(())
}

#[tokio::test]
async fn stream_json_is_init_then_messages_then_result() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", r#"{"file_path":"notes.txt"}"#)],
        3,
    ));
    server.mount(openai::text_reply("It says hi."));
    let project = Project::new(&[("notes.txt", "hi\n")])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "read notes.txt",
            "-o",
            "stream-json",
            "--include-partial-messages",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines()?;
    let Some(StreamMessage::System(SystemMessage::Init(init))) = lines.first() else {
        panic!("first line is not system/init: {}", out.stdout);
    };
    assert!(init.tools.contains(&"Read".to_owned()));
    assert_eq!(init.model, "openai/fake-gpt");
    assert_eq!(init.cwd, project.dir().display().to_string());
    let Some(StreamMessage::Result(result)) = lines.last() else {
        panic!("last line is not the result: {}", out.stdout);
    };
    assert_eq!(result.session_id, init.session_id);
    assert_eq!(result.num_turns, 2);
    let mut kinds = Vec::new();
    for line in &lines {
        match line {
            StreamMessage::Assistant(a) => {
                assert_eq!(a.session_id.as_deref(), Some(init.session_id.as_str()));
                assert!(a.uuid.is_some());
                assert_eq!(a.parent_tool_use_id, None);
                kinds.push("assistant");
            }
            StreamMessage::User(u) => {
                assert!(u.uuid.is_some());
                let blocks = serde_json::to_value(&u.message.content)?;
                assert_eq!(blocks[0]["type"], "tool_result", "{blocks}");
                assert_eq!(blocks[0]["tool_use_id"], "call_1");
                kinds.push("user");
            }
            StreamMessage::StreamEvent(_) => kinds.push("stream_event"),
            StreamMessage::System(_) => kinds.push("system"),
            StreamMessage::Result(_) => kinds.push("result"),
            _ => kinds.push("other"),
        }
    }
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "system",
            "stream_event",
            "assistant",
            "user",
            "stream_event",
            "assistant",
            "result"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn readme_scripted_demo_fixes_the_test() -> Result<()> {
    let project = Project::new(&[])?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let demo = root.join("examples/demo-project");
    for name in ["greet.sh", "test.sh", "AGENTS.md", ".qoder/settings.json"] {
        project.write(name, &std::fs::read_to_string(demo.join(name))?)?;
    }
    let script = root.join("examples/scripts/fix-test.json").canonicalize()?;
    let model = format!("scripted/{}", script.display());
    let out = run(project.command(&["-p", "fix the failing test", "--model", &model])).await?;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("sh test.sh` passes"), "{}", out.stdout);
    assert!(project.read("greet.sh")?.contains("Hello, %s!"));
    let test = std::process::Command::new("sh")
        .arg("test.sh")
        .current_dir(project.dir())
        .output()?;
    assert!(test.status.success());
    Ok(())
}
