//! Write: creation, Read-before-overwrite, changed-since-Read, encodings.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn write_creates_a_file_and_its_parent_directories() {
    let session = Session::new();
    let input = json!({"file_path": "deep/er/new.txt", "content": "hi\n"});
    let out = session.call("Write", input).await.unwrap();
    let path = session.path_str("deep/er/new.txt");
    assert_eq!(
        out.text_content(),
        format!("File created successfully at: {path}")
    );
    assert_eq!(
        out.structured,
        json!({"success": true, "file_path": path, "bytesWritten": 3})
    );
    assert_eq!(session.file_bytes("deep/er/new.txt"), b"hi\n");
}

#[tokio::test]
async fn overwriting_an_unread_file_is_refused() {
    let session = Session::new();
    session.write_file("a.txt", "old");
    let input = json!({"file_path": session.path_str("a.txt"), "content": "new"});
    assert_eq!(
        model_error(session.call("Write", input).await),
        format!(
            "File has not been read yet: {}. Read it first before writing to it.",
            session.path_str("a.txt")
        )
    );
    assert_eq!(session.file_bytes("a.txt"), b"old");
}

#[tokio::test]
async fn a_file_changed_since_read_must_be_read_again() {
    let session = Session::new();
    session.write_file("a.txt", "old");
    session.read("a.txt").await;
    session.write_file("a.txt", "changed by the user");
    let input = json!({"file_path": session.path_str("a.txt"), "content": "new"});
    assert_eq!(
        model_error(session.call("Write", input.clone()).await),
        format!(
            "File has been modified since it was last read (by the user or another program): {}. Read it again before writing to it.",
            session.path_str("a.txt")
        )
    );
    session.read("a.txt").await;
    let out = session.call("Write", input).await.unwrap();
    assert_eq!(
        out.text_content(),
        format!("The file {} has been updated.", session.path_str("a.txt"))
    );
    // The session's own write counts as seen: a second write needs no Read.
    let again = json!({"file_path": session.path_str("a.txt"), "content": "newer"});
    session.call("Write", again).await.unwrap();
    assert_eq!(session.file_bytes("a.txt"), b"newer");
}

#[tokio::test]
async fn overwrite_keeps_line_endings_and_encoding() {
    let utf16le = |text: &str| -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    };
    let utf16be = |text: &str| -> Vec<u8> {
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        bytes
    };
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("lf.txt", b"a\nb\n".to_vec(), b"x\ny\n".to_vec()),
        ("crlf.txt", b"a\r\nb\r\n".to_vec(), b"x\r\ny\r\n".to_vec()),
        (
            "bom.txt",
            b"\xEF\xBB\xBFa\r\n".to_vec(),
            b"\xEF\xBB\xBFx\r\ny\r\n".to_vec(),
        ),
        ("le.txt", utf16le("a\r\n"), utf16le("x\r\ny\r\n")),
        ("be.txt", utf16be("a\n"), utf16be("x\ny\n")),
    ];
    let session = Session::new();
    for (name, before, expected) in cases {
        session.write_file(name, &before);
        session.read(name).await;
        let input = json!({"file_path": session.path_str(name), "content": "x\ny\n"});
        session.call("Write", input).await.unwrap();
        assert_eq!(session.file_bytes(name), expected, "{name}");
    }
}

#[tokio::test]
async fn writing_to_a_directory_is_an_error() {
    let session = Session::new();
    std::fs::create_dir(session.path("d")).unwrap();
    let input = json!({"file_path": session.path_str("d"), "content": "x"});
    assert_eq!(
        model_error(session.call("Write", input).await),
        format!("{} is a directory, not a file", session.path_str("d"))
    );
}

#[tokio::test]
async fn overwriting_a_non_text_file_writes_utf8_and_says_so() {
    let session = Session::new();
    session.write_file("latin1.txt", b"caf\xe9\n");
    session.read("latin1.txt").await;
    let input = json!({"file_path": session.path_str("latin1.txt"), "content": "café\n"});
    let out = session.call("Write", input).await.unwrap();
    assert_eq!(
        out.text_content(),
        format!(
            "The file {} has been updated. The old content was not UTF-8 or UTF-16 text (it is not valid UTF-8 (invalid byte at offset 3)); the file is now UTF-8.",
            session.path_str("latin1.txt")
        )
    );
    assert_eq!(session.file_bytes("latin1.txt"), "café\n".as_bytes());
}
