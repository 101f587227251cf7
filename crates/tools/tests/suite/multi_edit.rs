//! MultiEdit: edits in order on the running result, all or nothing.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn edits_apply_in_order_to_the_running_result() {
    let session = Session::new();
    session.write_file("a.rs", "let a = 1;\nlet b = a;\n");
    session.read("a.rs").await;
    let input = json!({
        "file_path": session.path_str("a.rs"),
        "edits": [
            {"old_string": "let a = 1;", "new_string": "let first = 1;"},
            // Sees the result of the first edit.
            {"old_string": "let first = 1;\nlet b = a;", "new_string": "let first = 1;\nlet b = first;"},
            {"old_string": "first", "new_string": "one", "replace_all": true}
        ]
    });
    let out = session.call("MultiEdit", input).await.unwrap();
    assert_eq!(session.file_bytes("a.rs"), b"let one = 1;\nlet b = one;\n");
    assert!(
        out.text_content().contains("(4 replacements)"),
        "{}",
        out.text_content()
    );
}

#[tokio::test]
async fn a_failing_edit_leaves_the_file_unchanged() {
    let session = Session::new();
    session.write_file("a.txt", "one two three\n");
    session.read("a.txt").await;
    let input = json!({
        "file_path": session.path_str("a.txt"),
        "edits": [
            {"old_string": "one", "new_string": "1"},
            {"old_string": "two", "new_string": "2"},
            {"old_string": "four", "new_string": "4"}
        ]
    });
    assert_eq!(
        model_error(session.call("MultiEdit", input).await),
        format!(
            "Edit 3 of 3 (`edits[2]`) failed: could not find the string to replace; `old_string` must match the file exactly, including whitespace and indentation, without the line-number prefixes Read shows (in {}). No edits were applied.",
            session.path_str("a.txt")
        )
    );
    assert_eq!(session.file_bytes("a.txt"), b"one two three\n");
}

#[tokio::test]
async fn a_later_edit_made_ambiguous_by_an_earlier_one_fails_whole() {
    let session = Session::new();
    session.write_file("a.txt", "cat dog\n");
    session.read("a.txt").await;
    let input = json!({
        "file_path": session.path_str("a.txt"),
        "edits": [
            {"old_string": "dog", "new_string": "cat"},
            {"old_string": "cat", "new_string": "bird"}
        ]
    });
    let error = model_error(session.call("MultiEdit", input).await);
    assert!(
        error.starts_with("Edit 2 of 2 (`edits[1]`) failed: expected 1 occurrence but found 2"),
        "{error}"
    );
    assert_eq!(session.file_bytes("a.txt"), b"cat dog\n");
}

#[tokio::test]
async fn multi_edit_can_create_a_file_and_validates_its_input() {
    let session = Session::new();
    let input = json!({
        "file_path": "fresh.txt",
        "edits": [
            {"old_string": "", "new_string": "hello world\n"},
            {"old_string": "world", "new_string": "there"}
        ]
    });
    session.call("MultiEdit", input).await.unwrap();
    assert_eq!(session.file_bytes("fresh.txt"), b"hello there\n");
    let empty = json!({"file_path": "fresh.txt", "edits": []});
    assert_eq!(
        model_error(session.call("MultiEdit", empty).await),
        "`edits` is empty; give at least one edit"
    );
    let bad = json!({"file_path": "fresh.txt", "edits": [{"old_string": "a"}]});
    assert_eq!(
        model_error(session.call("MultiEdit", bad).await),
        "Invalid input for MultiEdit: field `edits[0]`: missing field `new_string`"
    );
}
