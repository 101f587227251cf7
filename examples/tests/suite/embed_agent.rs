//! `embed_agent`: a custom tool and asker around the agent loop.

use std::process::Command;

use pretty_assertions::assert_eq;

#[test]
fn embed_agent_runs_the_custom_tool_after_the_custom_asker_allows_it() {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary.parent().unwrap().parent().unwrap();
    let path = profile_dir.join("examples").join("embed_agent");
    assert!(path.exists(), "{} not built", path.display());
    let output = Command::new(path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "example failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "asked about Note",
            "Completed: I noted it.",
            "notes.txt: buy milk"
        ]
    );
}
