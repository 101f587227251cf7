//! Edit: the rules that need a session (Read first, creation, diff output).

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn edit_requires_a_prior_read() {
    let session = Session::new();
    session.write_file("a.txt", "one\n");
    let input =
        json!({"file_path": session.path_str("a.txt"), "old_string": "one", "new_string": "two"});
    assert_eq!(
        model_error(session.call("Edit", input.clone()).await),
        format!(
            "File has not been read yet: {}. Read it first before writing to it.",
            session.path_str("a.txt")
        )
    );
    session.read("a.txt").await;
    session.write_file("a.txt", "one\nmore\n");
    let error = model_error(session.call("Edit", input).await);
    assert!(
        error.starts_with("File has been modified since it was last read"),
        "{error}"
    );
}

#[tokio::test]
async fn edit_returns_a_unified_diff() {
    let session = Session::new();
    session.write_file("a.txt", "one\ntwo\nthree\n");
    session.read("a.txt").await;
    let path = session.path_str("a.txt");
    let input = json!({"file_path": path, "old_string": "two", "new_string": "2"});
    let out = session.call("Edit", input).await.unwrap();
    let diff = format!("--- {path}\n+++ {path}\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n");
    assert_eq!(
        out.structured,
        json!({"success": true, "file_path": path, "diff": diff})
    );
    assert_eq!(
        out.text_content(),
        format!("The file {path} has been updated (1 replacement).\n{diff}")
    );
    // The edit's own write counts as seen; a second edit needs no Read.
    let again = json!({"file_path": path, "old_string": "2", "new_string": "II"});
    session.call("Edit", again).await.unwrap();
    assert_eq!(session.file_bytes("a.txt"), b"one\nII\nthree\n");
}

#[tokio::test]
async fn empty_old_string_creates_a_missing_file() {
    let session = Session::new();
    let input =
        json!({"file_path": "new/file.rs", "old_string": "", "new_string": "fn main() {}\n"});
    let out = session.call("Edit", input).await.unwrap();
    assert_eq!(session.file_bytes("new/file.rs"), b"fn main() {}\n");
    assert!(
        out.text_content()
            .starts_with("File created successfully at: ")
    );
    let missing = json!({"file_path": "nope.txt", "old_string": "x", "new_string": "y"});
    assert_eq!(
        model_error(session.call("Edit", missing).await),
        format!(
            "File does not exist: {}. To create it, use Write, or Edit with an empty `old_string`.",
            session.path_str("nope.txt")
        )
    );
}

#[tokio::test]
async fn allow_multiple_is_an_alias_of_replace_all() {
    let session = Session::new();
    session.write_file("a.txt", "x x x");
    session.read("a.txt").await;
    let input = json!({"file_path": session.path_str("a.txt"), "old_string": "x", "new_string": "y", "allow_multiple": true});
    session.call("Edit", input).await.unwrap();
    assert_eq!(session.file_bytes("a.txt"), b"y y y");
}

#[tokio::test]
async fn non_text_files_cannot_be_edited() {
    let session = Session::new();
    session.write_file("latin1.txt", b"caf\xe9");
    session.read("latin1.txt").await;
    let input = json!({"file_path": session.path_str("latin1.txt"), "old_string": "caf", "new_string": "tea"});
    assert_eq!(
        model_error(session.call("Edit", input).await),
        format!(
            "Cannot edit {}: it is not valid UTF-8 (invalid byte at offset 3). Only UTF-8 and UTF-16 text files can be edited.",
            session.path_str("latin1.txt")
        )
    );
    assert_eq!(session.file_bytes("latin1.txt"), b"caf\xe9");
}
