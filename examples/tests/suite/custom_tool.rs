//! `custom_tool`: a user tool registered beside the built-ins.

use std::path::PathBuf;
use std::process::Command;

use pretty_assertions::assert_eq;

/// The example binary `cargo test` builds next to this test binary
/// (`target/<profile>/examples/`).
fn example_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary.parent().unwrap().parent().unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built; run through `cargo test -p ferrule-examples`",
        path.display()
    );
    path
}

#[test]
fn custom_tool_example_lists_schemas_and_dispatches_calls() {
    let output = Command::new(example_binary("custom_tool"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "example failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..13],
        [
            "tools offered to the model:",
            "- Read",
            "- Write",
            "- Edit",
            "- Glob",
            "- Grep",
            "- Bash",
            "- WebFetch",
            "- NotebookEdit",
            "- TaskOutput",
            "- TaskStop",
            "- TodoWrite",
            "- WordCount",
        ]
    );
    assert!(
        lines[13].starts_with("WordCount input schema: {")
            && lines[13].contains("\"file_path\"")
            && lines[13].contains("\"word\""),
        "{}",
        lines[13]
    );
    assert!(lines[14].ends_with("poem.txt has 5 words"), "{}", lines[14]);
    assert!(
        lines[15].starts_with("`the` occurs 2 times in ") && lines[15].ends_with("\"count\":2}"),
        "{}",
        lines[15]
    );
    assert_eq!(
        lines[16],
        "error for the model: Invalid input for WordCount: unknown field `file`, expected `file_path` or `word`"
    );
    assert!(
        lines[17].contains("which is outside the allowed directories"),
        "{}",
        lines[17]
    );
}
