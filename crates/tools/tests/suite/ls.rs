//! LS: one directory, directories suffixed with `/`, ignore globs.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn ls_lists_sorted_entries_with_directory_slashes() {
    let session = Session::new();
    session.write_file("b.txt", "");
    session.write_file("a.log", "");
    session.write_file("src/main.rs", "");
    session.write_file(".hidden", "");
    let input = json!({"path": session.root().display().to_string(), "ignore": ["*.log"]});
    let out = session.call("LS", input).await.unwrap();
    let root = session.root().display().to_string();
    assert_eq!(
        out.structured,
        json!({"path": root, "entries": [".hidden", "b.txt", "src/"], "truncated": false})
    );
    assert_eq!(
        out.text_content(),
        format!("{root}/\n  - .hidden\n  - b.txt\n  - src/\n")
    );
}

#[tokio::test]
async fn ls_errors_name_the_problem() {
    let session = Session::new();
    session.write_file("f.txt", "");
    let cases = [
        (
            json!({"path": "f.txt"}),
            format!("{} is a file, not a directory; use Read to see it", session.path_str("f.txt")),
        ),
        (
            json!({"path": "missing"}),
            format!("Directory does not exist: {}", session.path_str("missing")),
        ),
        (
            json!({"path": ".", "ignore": ["a{b"]}),
            "Invalid input for LS: field `ignore[0]`: error parsing glob 'a{b': unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)".to_owned(),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            model_error(session.call("LS", input.clone()).await),
            expected,
            "{input}"
        );
    }
}
