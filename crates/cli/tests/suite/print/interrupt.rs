//! SIGINT during a long Bash call: the child dies, the result is an error,
//! the exit status is 1, and the session can be resumed.

use std::time::Duration;

use anyhow::{Context as _, Result};
use ferrule_test_support::{FakeModelServer, openai};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pretty_assertions::assert_eq;

use super::harness::{Project, alive, openai_tool_results, run, wait_for_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_long_bash_kills_the_child_and_exits_1() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command":"sleep 30 & echo $! > sleep.pid; wait"}"#,
        )],
        2,
    ));
    let project = Project::new(&[])?;
    let child = project
        .openai(
            &server.base_url(),
            &[
                "-p",
                "wait a while",
                "-o",
                "json",
                "--allowed-tools",
                "Bash",
            ],
        )
        .spawn()?;
    let pid_file = project.path("sleep.pid");
    assert!(
        wait_for_file(&pid_file, Duration::from_secs(20)).await,
        "the Bash call never started"
    );
    let sleep_pid: i32 = std::fs::read_to_string(&pid_file)?.trim().parse()?;
    assert!(alive(sleep_pid));
    let ferrule = child.id().context("no pid")?;
    kill(Pid::from_raw(i32::try_from(ferrule)?), Signal::SIGINT)?;
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .context("ferrule did not stop after SIGINT")??;
    assert_eq!(output.status.code(), Some(1));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout)
        .with_context(|| String::from_utf8_lossy(&output.stderr).into_owned())?;
    assert_eq!(result["is_error"], true);
    assert_eq!(result["subtype"], "error_during_execution");
    let start = std::time::Instant::now();
    while alive(sleep_pid) && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(sleep_pid), "the Bash child survived the interrupt");

    // The transcript is consistent: the session resumes, and the model
    // sees the interrupted call answered.
    let id = result["session_id"].as_str().context("no session id")?;
    server.mount(openai::text_reply("Stopped waiting."));
    let resumed = run(project.openai(&server.base_url(), &["-p", "go on", "--resume", id])).await?;
    assert_eq!(resumed.code, Some(0), "{}", resumed.stderr);
    assert_eq!(resumed.stdout, "Stopped waiting.\n");
    let requests = server.requests();
    let results = openai_tool_results(&requests[requests.len() - 1].body);
    assert_eq!(results.len(), 1, "{results:?}");
    Ok(())
}
