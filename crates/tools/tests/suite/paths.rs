//! Path safety shared by every file tool: relative paths, outside refusal,
//! targets for the permission engine.

use ferrule_tool::ToolTarget;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn every_file_tool_refuses_paths_outside_the_allowed_directories() {
    let session = Session::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().canonicalize().unwrap().join("x.txt");
    std::fs::write(&target, "secret").unwrap();
    let raw = target.display().to_string();
    let cases = [
        ("Read", json!({"file_path": raw})),
        ("Write", json!({"file_path": raw, "content": "x"})),
        (
            "Edit",
            json!({"file_path": raw, "old_string": "secret", "new_string": "x"}),
        ),
        (
            "MultiEdit",
            json!({"file_path": raw, "edits": [{"old_string": "s", "new_string": "x"}]}),
        ),
        (
            "NotebookEdit",
            json!({"notebook_path": raw, "new_source": "x"}),
        ),
        ("LS", json!({"path": outside.path().display().to_string()})),
    ];
    for (tool, input) in cases {
        let error = model_error(session.call(tool, input.clone()).await);
        assert!(
            error.contains("which is outside the allowed directories"),
            "{tool}: {error}"
        );
        assert!(
            session
                .registry
                .targets(tool, &input, &session.ctx)
                .is_err(),
            "{tool}"
        );
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"secret");
}

#[tokio::test]
async fn relative_paths_resolve_against_the_working_directory() {
    let session = Session::new();
    session.write_file("sub/a.txt", "x\n");
    let out = session
        .call("Read", json!({"file_path": "sub/../sub/a.txt"}))
        .await
        .unwrap();
    assert_eq!(
        out.structured["file_path"],
        json!(session.path_str("sub/a.txt"))
    );
}

#[test]
fn targets_tell_what_each_call_touches() {
    let session = Session::new();
    let path = session.path("a.txt");
    let cases = [
        (
            "Read",
            json!({"file_path": "a.txt"}),
            vec![ToolTarget::read(&path)],
        ),
        (
            "Write",
            json!({"file_path": "a.txt", "content": ""}),
            vec![ToolTarget::write(&path)],
        ),
        (
            "Edit",
            json!({"file_path": "a.txt", "old_string": "a", "new_string": "b"}),
            vec![ToolTarget::write(&path)],
        ),
        (
            "LS",
            json!({"path": "."}),
            vec![ToolTarget::read(session.root())],
        ),
        (
            "Grep",
            json!({"pattern": "x"}),
            vec![ToolTarget::read(session.root())],
        ),
        (
            "Glob",
            json!({"pattern": "src/**/*.rs"}),
            vec![ToolTarget::read(session.path("src"))],
        ),
        ("TodoWrite", json!({"todos": []}), vec![]),
    ];
    for (tool, input, expected) in cases {
        assert_eq!(
            session
                .registry
                .targets(tool, &input, &session.ctx)
                .unwrap(),
            expected,
            "{tool}"
        );
    }
}

#[test]
fn only_reading_tools_declare_themselves_read_only() {
    let session = Session::new();
    let read_only: Vec<(&str, bool)> = session
        .registry
        .iter()
        .map(|tool| (tool.name(), tool.is_read_only()))
        .collect();
    assert_eq!(
        read_only,
        vec![
            ("Read", true),
            ("Write", false),
            ("Edit", false),
            ("MultiEdit", false),
            ("Glob", true),
            ("Grep", true),
            ("LS", true),
            ("Bash", false),
            ("WebFetch", true),
            ("NotebookEdit", false),
            ("TaskOutput", true),
            ("TaskStop", false),
            ("TodoWrite", false),
        ]
    );
}
