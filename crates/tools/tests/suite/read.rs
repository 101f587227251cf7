//! Read: numbering, ranges, long lines, binary, images, notebooks, errors.

use base64::Engine as _;
use ferrule_protocol::{ImageBlock, ToolResultContentBlock};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

#[tokio::test]
async fn text_is_numbered_cat_n_style_with_width_six() {
    let session = Session::new();
    session.write_file("a.txt", "alpha\nbeta\r\ngamma");
    let out = session.read("a.txt").await;
    assert_eq!(
        out.text_content(),
        "     1\talpha\n     2\tbeta\n     3\tgamma\n"
    );
    assert_eq!(
        out.structured,
        json!({
            "type": "text",
            "text": "alpha\nbeta\ngamma",
            "file_path": session.path_str("a.txt"),
            "totalLines": 3
        })
    );
}

#[tokio::test]
async fn offset_and_limit_select_lines_and_say_what_is_left() {
    let session = Session::new();
    let body: String = (1..=10).map(|n| format!("line {n}\n")).collect();
    session.write_file("ten.txt", body);
    let input = json!({"file_path": session.path_str("ten.txt"), "offset": 4, "limit": 2});
    let out = session.call("Read", input).await.unwrap();
    assert_eq!(
        out.text_content(),
        "     4\tline 4\n     5\tline 5\n<system-reminder>Showing lines 4-5 of 10; use `offset` to read further.</system-reminder>\n"
    );
    let past = json!({"file_path": session.path_str("ten.txt"), "offset": 11});
    let out = session.call("Read", past).await.unwrap();
    assert_eq!(
        out.text_content(),
        "<system-reminder>Warning: the file has 10 lines, fewer than `offset` 11.</system-reminder>"
    );
    let zero = json!({"file_path": session.path_str("ten.txt"), "limit": 0});
    assert_eq!(
        model_error(session.call("Read", zero).await),
        "`limit` must be at least 1 (it is a number of lines)"
    );
}

#[tokio::test]
async fn default_limit_is_2000_lines() {
    let session = Session::new();
    let body: String = (1..=2500).map(|n| format!("{n}\n")).collect();
    session.write_file("long.txt", body);
    let out = session.read("long.txt").await;
    let text = out.text_content();
    assert!(text.contains("  2000\t2000\n"));
    assert!(!text.contains("\t2001\n"));
    assert!(text.contains("Showing lines 1-2000 of 2500"));
}

#[tokio::test]
async fn very_long_lines_are_cut_at_2000_characters() {
    let session = Session::new();
    session.write_file("wide.txt", "é".repeat(2500));
    let out = session.read("wide.txt").await;
    let expected = format!("     1\t{}… [line truncated]\n", "é".repeat(2000));
    assert_eq!(out.text_content(), expected);
}

#[tokio::test]
async fn empty_file_returns_a_reminder() {
    let session = Session::new();
    session.write_file("empty.txt", "");
    let out = session.read("empty.txt").await;
    assert_eq!(
        out.text_content(),
        "<system-reminder>Warning: the file exists but its contents are empty.</system-reminder>"
    );
    assert_eq!(out.structured["totalLines"], json!(0));
}

#[tokio::test]
async fn read_errors_name_the_problem() {
    let session = Session::new();
    session.write_file("bin.dat", b"ab\0cd");
    std::fs::create_dir(session.path("dir")).unwrap();
    session.write_file("fake.png", b"not a png");
    let cases = [
        (
            "missing.txt",
            format!("File does not exist: {}", session.path_str("missing.txt")),
        ),
        (
            "bin.dat",
            format!(
                "Cannot read {}: it looks binary (NUL byte at offset 2). Read shows text files, images (PNG, JPEG, GIF, WebP), notebooks and PDFs.",
                session.path_str("bin.dat")
            ),
        ),
        (
            "dir",
            format!(
                "{} is a directory, not a file. Use LS or Glob to list it.",
                session.path_str("dir")
            ),
        ),
        (
            "fake.png",
            format!(
                "{} has an image extension but is not a PNG, JPEG, GIF or WebP image",
                session.path_str("fake.png")
            ),
        ),
    ];
    for (file, expected) in cases {
        let input = json!({"file_path": session.path_str(file)});
        assert_eq!(
            model_error(session.call("Read", input).await),
            expected,
            "{file}"
        );
    }
    let error = model_error(session.call("Read", json!({"path": "x"})).await);
    assert_eq!(
        error,
        "Invalid input for Read: unknown field `path`, expected one of `file_path`, `offset`, `limit`, `pages`"
    );
}

#[tokio::test]
async fn large_files_need_a_range() {
    let session = Session::new();
    let line = "x".repeat(99) + "\n";
    session.write_file("big.txt", line.repeat(3000));
    let error = model_error(session.read_result("big.txt").await);
    assert!(
        error.contains("more than the 262144 bytes Read returns at once"),
        "{error}"
    );
    let input = json!({"file_path": session.path_str("big.txt"), "offset": 2999});
    let out = session.call("Read", input).await.unwrap();
    assert_eq!(out.structured["totalLines"], json!(3000));
}

#[tokio::test]
async fn non_utf8_text_is_shown_lossily_with_a_note() {
    let session = Session::new();
    session.write_file("latin1.txt", b"caf\xe9\n");
    let out = session.read("latin1.txt").await;
    assert_eq!(
        out.text_content(),
        "     1\tcaf\u{fffd}\n<system-reminder>The file is not valid UTF-8 (first invalid byte at offset 3); invalid bytes are shown as U+FFFD. Edit cannot change this file.</system-reminder>\n"
    );
}

#[tokio::test]
async fn utf16_files_are_decoded() {
    let session = Session::new();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("hi\r\nthere\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    session.write_file("wide16.txt", bytes);
    let out = session.read("wide16.txt").await;
    assert_eq!(out.text_content(), "     1\thi\n     2\tthere\n");
}

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn images_come_back_as_base64_image_blocks() {
    let session = Session::new();
    session.write_file("pixel.PNG", PNG);
    let out = session.read("pixel.PNG").await;
    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert_eq!(
        out.content,
        vec![ToolResultContentBlock::Image(ImageBlock::base64(
            "image/png",
            data.clone()
        ))]
    );
    assert_eq!(
        out.structured,
        json!({
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": data},
            "file_path": session.path_str("pixel.PNG")
        })
    );
    // Reading records the file, so it can be overwritten afterwards.
    let write = json!({"file_path": session.path_str("pixel.PNG"), "content": "x"});
    session.call("Write", write).await.unwrap();
}

#[tokio::test]
async fn notebooks_come_back_as_cells_with_outputs() {
    let session = Session::new();
    session.write_file("nb.ipynb", super::notebook::NOTEBOOK);
    let out = session.read("nb.ipynb").await;
    assert_eq!(
        out.structured,
        json!({
            "type": "notebook",
            "cells": [
                {"cell_number": 0, "cell_type": "markdown", "source": "# Title\nintro"},
                {"cell_number": 1, "cell_type": "code", "source": "print(1)\n1 + 1", "outputs": ["1\n", "2"]},
                {"cell_number": 2, "cell_type": "code", "source": "raise ValueError('x')", "outputs": ["ValueError: x"]}
            ],
            "file_path": session.path_str("nb.ipynb")
        })
    );
    assert_eq!(
        out.text_content(),
        "<cell number=\"0\" id=\"md1\" type=\"markdown\">\n# Title\nintro\n</cell>\n\
         <cell number=\"1\" id=\"code1\" type=\"code\">\nprint(1)\n1 + 1\n<outputs>\n1\n2\n</outputs>\n</cell>\n\
         <cell number=\"2\" id=\"code2\" type=\"code\">\nraise ValueError('x')\n<outputs>\nValueError: x\n</outputs>\n</cell>\n"
    );
}

#[tokio::test]
async fn files_over_the_memory_limit_are_refused_by_every_file_tool() {
    let session = Session::new();
    let path = session.write_file("huge.log", "");
    let size = ferrule_tools::MAX_FILE_BYTES + 1;
    // Sparse: no data is written.
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(size)
        .unwrap();
    let shown = session.path_str("huge.log");
    let ranged = json!({"file_path": shown, "offset": 1, "limit": 10});
    assert_eq!(
        model_error(session.call("Read", ranged).await),
        format!(
            "{shown} is too large to read ({size} bytes; the limit is {} bytes). Use Grep to find the part you need.",
            ferrule_tools::MAX_FILE_BYTES
        )
    );
    let edit = json!({"file_path": shown, "old_string": "a", "new_string": "b"});
    assert_eq!(
        model_error(session.call("Edit", edit).await),
        format!(
            "{shown} is too large ({size} bytes; the limit is {} bytes)",
            ferrule_tools::MAX_FILE_BYTES
        )
    );
}
