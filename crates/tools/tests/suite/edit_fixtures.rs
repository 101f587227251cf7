//! Edit behaviour as a table of fixture directories under
//! `tests/fixtures/edit/NNN_name/`: `before` (file bytes), `input.json` (the
//! Edit input without `file_path`), then `after` (expected bytes) or
//! `error.txt` (expected message, `{path}` standing for the file). Each case
//! also runs through MultiEdit as a one-edit list, which must agree.

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::common::{Session, model_error};

struct Case {
    name: String,
    before: Vec<u8>,
    input: Value,
    expected: Expected,
}

enum Expected {
    After(Vec<u8>),
    Error(String),
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edit");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 15,
        "fixture cases missing in {}",
        root.display()
    );
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let before = std::fs::read(dir.join("before")).unwrap();
            let input =
                serde_json::from_slice(&std::fs::read(dir.join("input.json")).unwrap()).unwrap();
            let expected = match std::fs::read(dir.join("after")) {
                Ok(after) => Expected::After(after),
                Err(_) => Expected::Error(
                    std::fs::read_to_string(dir.join("error.txt"))
                        .unwrap()
                        .trim_end()
                        .to_owned(),
                ),
            };
            Case {
                name,
                before,
                input,
                expected,
            }
        })
        .collect()
}

async fn run(tool: &str, case: &Case) {
    let session = Session::new();
    session.write_file("file.txt", &case.before);
    session.read("file.txt").await;
    let path = session.path_str("file.txt");
    let mut edit = case.input.clone();
    let input = match tool {
        "Edit" => {
            edit["file_path"] = json!(path);
            edit
        }
        _ => json!({"file_path": path, "edits": [edit]}),
    };
    let result = session.call(tool, input).await;
    match &case.expected {
        Expected::After(after) => {
            result.unwrap_or_else(|error| panic!("{tool} {}: {error}", case.name));
            assert_eq!(
                &session.file_bytes("file.txt"),
                after,
                "{tool} {}",
                case.name
            );
        }
        Expected::Error(message) => {
            assert_eq!(
                model_error(result),
                message.replace("{path}", &path),
                "{tool} {}",
                case.name
            );
            assert_eq!(
                session.file_bytes("file.txt"),
                case.before,
                "{tool} {}: the file must not change",
                case.name
            );
        }
    }
}

#[tokio::test]
async fn edit_fixture_cases_give_the_expected_file_or_error() {
    for case in cases() {
        run("Edit", &case).await;
    }
}

#[tokio::test]
async fn multi_edit_with_one_edit_agrees_with_edit_on_every_fixture() {
    for case in cases() {
        run("MultiEdit", &case).await;
    }
}
