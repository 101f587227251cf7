//! Glob: newest first, absolute paths, the 100-path limit, errors.

use std::time::{Duration, SystemTime};

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

fn touch(session: &Session, relative: &str, seconds_ago: u64) {
    let path = session.write_file(relative, relative);
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago))
        .unwrap();
}

#[tokio::test]
async fn results_are_absolute_and_newest_first() {
    let session = Session::new();
    touch(&session, "old.rs", 300);
    touch(&session, "src/new.rs", 10);
    touch(&session, "src/mid.rs", 100);
    touch(&session, "notes.md", 5);
    let out = session
        .call("Glob", json!({"pattern": "**/*.rs"}))
        .await
        .unwrap();
    let files = vec![
        session.path_str("src/new.rs"),
        session.path_str("src/mid.rs"),
        session.path_str("old.rs"),
    ];
    assert_eq!(
        out.structured,
        json!({"files": files, "totalMatches": 3, "truncated": false})
    );
    assert_eq!(out.text_content(), files.join("\n"));
    let below = session
        .call("Glob", json!({"pattern": "*.rs", "path": "src"}))
        .await
        .unwrap();
    assert_eq!(below.structured["files"], json!(files[..2]));
    let absolute = format!("{}/src/*.rs", session.root().display());
    let out = session
        .call("Glob", json!({"pattern": absolute}))
        .await
        .unwrap();
    assert_eq!(out.structured["files"], json!(files[..2]));
}

#[tokio::test]
async fn at_most_100_paths_are_returned() {
    let session = Session::new();
    for n in 0..120 {
        session.write_file(&format!("f{n:03}.txt"), "");
    }
    let out = session
        .call("Glob", json!({"pattern": "*.txt"}))
        .await
        .unwrap();
    assert_eq!(out.structured["files"].as_array().unwrap().len(), 100);
    assert_eq!(out.structured["totalMatches"], json!(120));
    assert_eq!(out.structured["truncated"], json!(true));
    assert!(out.text_content().ends_with(
        "(Results are truncated: showing the 100 most recently modified of 120 files. Use a more specific path or pattern.)"
    ));
}

#[tokio::test]
async fn glob_errors_name_the_problem() {
    let session = Session::new();
    let none = session
        .call("Glob", json!({"pattern": "*.zig"}))
        .await
        .unwrap();
    assert_eq!(none.text_content(), "No files found");
    let error = model_error(session.call("Glob", json!({"pattern": "src/{a,b"})).await);
    assert!(
        error.starts_with("Invalid input for Glob: invalid glob `src/{a,b`"),
        "{error}"
    );
    let error = model_error(
        session
            .call("Glob", json!({"pattern": "/etc/*.conf"}))
            .await,
    );
    assert!(error.contains("outside the allowed directories"), "{error}");
    let error = model_error(session.call("Glob", json!({"pattern": "../*"})).await);
    assert!(error.contains("outside the allowed directories"), "{error}");
    let error = model_error(
        session
            .call("Glob", json!({"pattern": "*", "path": "missing"}))
            .await,
    );
    assert!(error.starts_with("Glob failed: cannot search"), "{error}");
}
