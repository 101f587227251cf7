//! Read's `file_unchanged` answer: given for a second Read of the same part
//! of an unchanged file, never when the file, the part or the session's
//! record of it changed.

use std::sync::Arc;

use ferrule_tool::{FileState, ToolContext, ToolOutput};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::Session;
use super::read_pdf::pdf;

fn is_unchanged(out: &ToolOutput) -> bool {
    out.structured["type"] == json!("file_unchanged")
}

#[tokio::test]
async fn a_second_read_of_an_unchanged_file_returns_a_note() {
    let session = Session::new();
    session.write_file("a.txt", "one\ntwo\n");
    let first = session.read("a.txt").await;
    assert_eq!(first.structured["type"], json!("text"));
    let second = session.read("a.txt").await;
    let message = "File unchanged since last read. The content from the earlier Read result in \
                   this conversation is still current; refer to that instead of reading it again.";
    assert_eq!(second.text_content(), message);
    assert_eq!(
        second.structured,
        json!({"type": "file_unchanged", "file_path": session.path_str("a.txt"), "message": message})
    );
    // A touched file with the same content is still unchanged.
    let file = std::fs::File::options()
        .write(true)
        .open(session.path("a.txt"))
        .unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH)
        .unwrap();
    assert!(is_unchanged(&session.read("a.txt").await));
}

#[tokio::test]
async fn another_part_a_change_or_a_write_gives_the_content_again() {
    let session = Session::new();
    session.write_file("a.txt", "one\ntwo\nthree\n");
    let path = session.path_str("a.txt");
    session.read("a.txt").await;

    // Another line window.
    let ranged = json!({"file_path": path, "offset": 2, "limit": 1});
    let out = session.call("Read", ranged.clone()).await.unwrap();
    assert_eq!(out.structured["text"], json!("two"));
    assert!(is_unchanged(&session.call("Read", ranged).await.unwrap()));
    // The whole file again: the last thing shown was the window.
    assert_eq!(
        session.read("a.txt").await.structured["type"],
        json!("text")
    );

    // Changed on disk, even to the same size within the same second.
    session.write_file("a.txt", "ONE\ntwo\nthree\n");
    let out = session.read("a.txt").await;
    assert_eq!(out.structured["text"], json!("ONE\ntwo\nthree"));

    // Written through the tools: the model wrote it, but a Read shows it.
    let write = json!({"file_path": path, "content": "four\n"});
    session.call("Write", write).await.unwrap();
    assert_eq!(
        session.read("a.txt").await.structured["text"],
        json!("four")
    );
    assert!(is_unchanged(&session.read("a.txt").await));
}

#[tokio::test]
async fn forgetting_reads_or_another_session_gives_the_content_again() {
    let session = Session::new();
    session.write_file("a.txt", "one\n");
    session.read("a.txt").await;
    assert!(is_unchanged(&session.read("a.txt").await));
    ferrule_tools::forget_reads(&session.ctx.file_state_handle());
    assert_eq!(
        session.read("a.txt").await.structured["type"],
        json!("text")
    );

    // Another session (its own file state) over the same directory.
    let other = ToolContext::builder(session.root())
        .file_state(Arc::new(FileState::new()))
        .build()
        .unwrap();
    let input = json!({"file_path": session.path_str("a.txt")});
    let out = session.registry.call("Read", input, &other).await.unwrap();
    assert_eq!(out.structured["type"], json!("text"));

    // Forgetting a path in the file state also ends the note.
    assert!(is_unchanged(&session.read("a.txt").await));
    session.ctx.file_state().forget(&session.path("a.txt"));
    assert_eq!(
        session.read("a.txt").await.structured["type"],
        json!("text")
    );
}

#[tokio::test]
async fn images_and_pdf_pages_are_not_sent_twice() {
    let session = Session::new();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    session.write_file("dot.png", png);
    assert_eq!(
        session.read("dot.png").await.structured["type"],
        json!("image")
    );
    assert!(is_unchanged(&session.read("dot.png").await));

    let texts: Vec<String> = (1..=3).map(|n| format!("Page {n}")).collect();
    session.write_file("doc.pdf", pdf(&texts));
    let path = session.path_str("doc.pdf");
    let page = |pages: &str| json!({"file_path": path, "pages": pages});
    let out = session.call("Read", page("2")).await.unwrap();
    assert_eq!(out.structured["type"], json!("pdf"));
    assert!(is_unchanged(
        &session.call("Read", page("2")).await.unwrap()
    ));
    let out = session.call("Read", page("3")).await.unwrap();
    assert_eq!(out.structured["type"], json!("pdf"));
}
