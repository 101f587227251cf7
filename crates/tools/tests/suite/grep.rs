//! Grep: modes, defaults, absolute paths, filters, limits, errors.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::common::{Session, model_error};

fn fixture() -> Session {
    let session = Session::new();
    session.write_file("src/main.rs", "fn main() {\n    helper();\n}\n");
    session.write_file("src/lib.rs", "pub fn helper() {}\n// TODO: Helper docs\n");
    session.write_file("notes.md", "nothing to see\n");
    session.write_file("skipped/ignored.rs", "fn helper() {}\n");
    session.write_file(".ignore", "skipped/\n");
    session
}

async fn grep(session: &Session, input: Value) -> (String, Value) {
    let out = session.call("Grep", input).await.unwrap();
    (out.text_content(), out.structured)
}

#[tokio::test]
async fn files_with_matches_is_the_default_and_paths_are_absolute() {
    let session = fixture();
    let (text, structured) = grep(&session, json!({"pattern": "helper"})).await;
    let lib = session.path_str("src/lib.rs");
    let main = session.path_str("src/main.rs");
    assert_eq!(
        structured,
        json!({"results": format!("{lib}\n{main}"), "matchCount": 2, "truncated": false})
    );
    assert_eq!(text, format!("Found 2 files\n{lib}\n{main}"));
}

#[tokio::test]
async fn content_mode_numbers_lines_by_default() {
    let session = fixture();
    let lib = session.path_str("src/lib.rs");
    let main = session.path_str("src/main.rs");
    let (_, numbered) = grep(
        &session,
        json!({"pattern": "helper", "output_mode": "content"}),
    )
    .await;
    assert_eq!(
        numbered["results"],
        json!(format!(
            "{lib}:1:pub fn helper() {{}}\n{main}:2:    helper();"
        ))
    );
    assert_eq!(numbered["matchCount"], json!(2));
    let (_, plain) = grep(
        &session,
        json!({"pattern": "helper", "output_mode": "content", "-n": false, "-i": true}),
    )
    .await;
    assert_eq!(
        plain["results"],
        json!(format!(
            "{lib}:pub fn helper() {{}}\n{lib}:// TODO: Helper docs\n{main}:    helper();"
        ))
    );
}

#[tokio::test]
async fn context_lines_and_separators_follow_rg() {
    let session = fixture();
    let main = session.path_str("src/main.rs");
    let lib = session.path_str("src/lib.rs");
    let (_, structured) = grep(
        &session,
        json!({"pattern": "helper\\(\\)", "output_mode": "content", "-C": 1}),
    )
    .await;
    assert_eq!(
        structured["results"],
        json!(format!(
            "{lib}:1:pub fn helper() {{}}\n{lib}-2-// TODO: Helper docs\n--\n{main}-1-fn main() {{\n{main}:2:    helper();\n{main}-3-}}"
        ))
    );
    // `context` is the same as `-C`; `-A`/`-B` win over it per side.
    let (_, after_only) = grep(
        &session,
        json!({"pattern": "fn main", "output_mode": "content", "context": 2, "-A": 0, "path": "src/main.rs"}),
    )
    .await;
    assert_eq!(after_only["results"], json!("1:fn main() {"));
}

#[tokio::test]
async fn count_mode_reports_per_file_counts() {
    let session = fixture();
    let (text, structured) = grep(
        &session,
        json!({"pattern": "(?i)helper", "output_mode": "count"}),
    )
    .await;
    let lib = session.path_str("src/lib.rs");
    let main = session.path_str("src/main.rs");
    assert_eq!(structured["results"], json!(format!("{lib}:2\n{main}:1")));
    assert_eq!(structured["matchCount"], json!(3));
    assert!(
        text.ends_with("Found 3 total occurrences across 2 files."),
        "{text}"
    );
}

#[tokio::test]
async fn head_limit_defaults_to_250_and_offset_pages() {
    let session = Session::new();
    let body: String = (1..=300).map(|n| format!("match {n}\n")).collect();
    session.write_file("many.txt", body);
    let (text, structured) = grep(
        &session,
        json!({"pattern": "match", "output_mode": "content"}),
    )
    .await;
    let results = structured["results"].as_str().unwrap();
    assert_eq!(results.lines().count(), 250);
    assert_eq!(structured["truncated"], json!(true));
    assert_eq!(structured["matchCount"], json!(300));
    assert!(
        text.ends_with(
            "(Results are truncated at head_limit 250 of 300 entries; use offset to see more.)"
        ),
        "{text}"
    );
    let (_, all) = grep(
        &session,
        json!({"pattern": "match", "output_mode": "content", "head_limit": 0}),
    )
    .await;
    assert_eq!(all["results"].as_str().unwrap().lines().count(), 300);
    assert_eq!(all["truncated"], json!(false));
    let (_, page) = grep(
        &session,
        json!({"pattern": "match", "output_mode": "content", "head_limit": 2, "offset": 10, "-n": false}),
    )
    .await;
    let file = session.path_str("many.txt");
    assert_eq!(
        page["results"],
        json!(format!("{file}:match 11\n{file}:match 12"))
    );
}

#[tokio::test]
async fn glob_and_type_filters_restrict_files() {
    let session = fixture();
    let main = session.path_str("src/main.rs");
    let lib = session.path_str("src/lib.rs");
    let (_, by_glob) = grep(&session, json!({"pattern": "fn", "glob": "main.*"})).await;
    assert_eq!(by_glob["results"], json!(main));
    let (_, by_type) = grep(&session, json!({"pattern": "n", "type": "rust"})).await;
    assert_eq!(by_type["results"], json!(format!("{lib}\n{main}")));
    let (_, by_type) = grep(&session, json!({"pattern": "n", "type": "md"})).await;
    assert_eq!(by_type["results"], json!(session.path_str("notes.md")));
}

#[tokio::test]
async fn multiline_patterns_span_lines() {
    let session = fixture();
    let (_, single) = grep(&session, json!({"pattern": "main\\(\\) \\{.*helper"})).await;
    assert_eq!(single["matchCount"], json!(0));
    let (_, multi) = grep(
        &session,
        json!({"pattern": "main\\(\\) \\{.*helper", "multiline": true}),
    )
    .await;
    assert_eq!(multi["results"], json!(session.path_str("src/main.rs")));
}

#[tokio::test]
async fn a_changed_file_is_seen_by_the_next_call() {
    let session = fixture();
    let (_, before) = grep(&session, json!({"pattern": "brand_new"})).await;
    assert_eq!(before["matchCount"], json!(0));
    session.write_file("notes.md", "brand_new words\n");
    let (_, after) = grep(&session, json!({"pattern": "brand_new"})).await;
    assert_eq!(after["results"], json!(session.path_str("notes.md")));
}

#[tokio::test]
async fn grep_errors_name_the_problem() {
    let session = fixture();
    let empty = grep(&session, json!({"pattern": "zzz_absent"})).await;
    assert_eq!(empty.0, "No files found");
    let error = model_error(session.call("Grep", json!({"pattern": "fn (main"})).await);
    assert!(
        error.starts_with("Grep failed: invalid regex \"fn (main\""),
        "{error}"
    );
    let error = model_error(
        session
            .call("Grep", json!({"pattern": "x", "type": "nosuchtype"}))
            .await,
    );
    assert!(
        error.starts_with("Grep failed: unknown file type \"nosuchtype\""),
        "{error}"
    );
    let error = model_error(
        session
            .call("Grep", json!({"pattern": "x", "path": "/"}))
            .await,
    );
    assert!(error.contains("outside the allowed directories"), "{error}");
    let error = model_error(
        session
            .call("Grep", json!({"pattern": "x", "-C": "two"}))
            .await,
    );
    assert_eq!(
        error,
        "Invalid input for Grep: field `-C`: invalid type: string \"two\", expected u64"
    );
}
