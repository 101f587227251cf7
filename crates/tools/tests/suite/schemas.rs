//! The specs the model sees, compared with the checked-in
//! `tests/fixtures/tool_specs.json`. After an intended change, regenerate it
//! with `FERRULE_BLESS=1 cargo test -p ferrule-tools --test all schemas`
//! and review the diff.

use std::path::Path;

use ferrule_tools::BuiltinOptions;
use pretty_assertions::assert_eq;
use serde_json::Value;

use super::common::Session;

#[test]
fn tool_specs_match_the_checked_in_snapshot() {
    let session = Session::new();
    let specs = serde_json::to_value(session.registry.specs()).unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tool_specs.json");
    if std::env::var_os("FERRULE_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&specs).unwrap() + "\n";
        std::fs::write(&file, text).unwrap();
    }
    let expected: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(specs, expected);
}

/// The reference's field names (`cli-core.md` §2, `[ts-ref]`), tool by tool.
#[test]
fn schemas_use_the_reference_field_names() {
    let session = Session::new();
    let expected: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "Read",
            vec!["file_path", "offset", "limit", "pages"],
            vec!["file_path"],
        ),
        (
            "Write",
            vec!["file_path", "content"],
            vec!["file_path", "content"],
        ),
        (
            "Edit",
            vec!["file_path", "old_string", "new_string", "replace_all"],
            vec!["file_path", "old_string", "new_string"],
        ),
        (
            "MultiEdit",
            vec!["file_path", "edits"],
            vec!["file_path", "edits"],
        ),
        ("Glob", vec!["pattern", "path"], vec!["pattern"]),
        (
            "Grep",
            vec![
                "pattern",
                "path",
                "glob",
                "type",
                "output_mode",
                "-A",
                "-B",
                "-C",
                "context",
                "-n",
                "-i",
                "-o",
                "multiline",
                "head_limit",
                "offset",
            ],
            vec!["pattern"],
        ),
        ("LS", vec!["path", "ignore"], vec!["path"]),
        (
            "Bash",
            vec![
                "command",
                "description",
                "timeout",
                "run_in_background",
                "dir_path",
            ],
            vec!["command"],
        ),
        ("WebFetch", vec!["url", "prompt"], vec!["url", "prompt"]),
        (
            "NotebookEdit",
            vec![
                "notebook_path",
                "cell_id",
                "cell_type",
                "new_source",
                "edit_mode",
            ],
            vec!["notebook_path", "new_source"],
        ),
        (
            "TaskOutput",
            vec!["task_id", "block", "timeout"],
            vec!["task_id"],
        ),
        ("TaskStop", vec!["task_id", "reason"], vec!["task_id"]),
        ("TodoWrite", vec!["todos"], vec!["todos"]),
    ];
    let actual: Vec<(String, Vec<String>, Vec<String>)> = session
        .registry
        .specs()
        .into_iter()
        .map(|spec| {
            let properties = spec.input_schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let required = spec.input_schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| name.as_str().unwrap().to_owned())
                .collect();
            (spec.name, properties, required)
        })
        .collect();
    let expected: Vec<(String, Vec<String>, Vec<String>)> = expected
        .into_iter()
        .map(|(name, properties, required)| {
            (
                name.to_owned(),
                properties.into_iter().map(str::to_owned).collect(),
                required.into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn default_set_leaves_out_the_extensions() {
    let session = Session::with_options(&BuiltinOptions::default());
    assert_eq!(
        session.registry.names(),
        vec![
            "Read",
            "Write",
            "Edit",
            "Glob",
            "Grep",
            "Bash",
            "WebFetch",
            "NotebookEdit",
            "TaskOutput",
            "TaskStop",
            "TodoWrite"
        ]
    );
}
