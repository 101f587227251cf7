//! Read of PDF files: text per page, the `pages` parameter and its limits.
//! The PDFs are made here with lopdf (one Courier text line per page).

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{Session, model_error};

/// A PDF whose page `n` shows the line `texts[n - 1]`.
pub(crate) fn pdf(texts: &[String]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Courier",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids: Vec<Object> = Vec::new();
    for text in texts {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 18.into()]),
                Operation::new("Td", vec![72.into(), 700.into()]),
                Operation::new("Tj", vec![Object::string_literal(text.as_str())]),
                Operation::new("ET", vec![]),
            ],
        };
        let stream = Stream::new(dictionary! {}, content.encode().unwrap());
        let content_id = doc.add_object(stream);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = i64::try_from(texts.len()).unwrap();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn numbered(pages: usize) -> Vec<String> {
    (1..=pages)
        .map(|n| format!("Page text number {n}"))
        .collect()
}

/// The page numbers and contents of a pdf result, contents trimmed.
fn pages_of(structured: &serde_json::Value) -> Vec<(u64, String)> {
    structured["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|page| {
            (
                page["page_number"].as_u64().unwrap(),
                page["content"].as_str().unwrap().trim().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_short_pdf_is_read_whole_as_text_per_page() {
    let session = Session::new();
    session.write_file("doc.pdf", pdf(&numbered(3)));
    let out = session.read("doc.pdf").await;
    assert_eq!(out.structured["type"], json!("pdf"));
    assert_eq!(out.structured["totalPages"], json!(3));
    assert_eq!(
        out.structured["file_path"],
        json!(session.path_str("doc.pdf"))
    );
    assert_eq!(
        pages_of(&out.structured),
        [
            (1, "Page text number 1".to_owned()),
            (2, "Page text number 2".to_owned()),
            (3, "Page text number 3".to_owned()),
        ]
    );
    let text = out.text_content();
    assert!(
        text.starts_with("--- Page 1 of 3 ---\nPage text number 1\n--- Page 2 of 3 ---\n"),
        "{text}"
    );
}

#[tokio::test]
async fn pages_selects_pages_and_long_pdfs_need_it() {
    let session = Session::new();
    session.write_file("long.pdf", pdf(&numbered(12)));
    let file_path = session.path_str("long.pdf");

    let error = model_error(session.call("Read", json!({"file_path": file_path})).await);
    assert!(
        error.starts_with(&format!(
            "Cannot read PDF {file_path}: it has 12 pages, more than the 10 Read returns \
             without a range. Give `pages`"
        )),
        "{error}"
    );

    let out = session
        .call("Read", json!({"file_path": file_path, "pages": "11-12,3"}))
        .await
        .unwrap();
    assert_eq!(out.structured["totalPages"], json!(12));
    assert_eq!(
        pages_of(&out.structured),
        [
            (3, "Page text number 3".to_owned()),
            (11, "Page text number 11".to_owned()),
            (12, "Page text number 12".to_owned()),
        ]
    );

    let refused = [
        ("13", "it has 12 pages, so page 13 does not exist"),
        ("1-21", "asks for more than 20 pages"),
        ("0", "pages are numbered from 1"),
        ("4-2", "the range 4-2 runs backwards"),
        ("first", "is not a page number or range"),
    ];
    for (pages, expected) in refused {
        let input = json!({"file_path": file_path, "pages": pages});
        let error = model_error(session.call("Read", input).await);
        assert!(
            error.starts_with(&format!("Cannot read PDF {file_path}: "))
                && error.contains(expected),
            "{pages}: {error}"
        );
    }
}

#[tokio::test]
async fn a_broken_pdf_and_pages_on_other_files_are_errors() {
    let session = Session::new();
    session.write_file("broken.pdf", b"%PDF-1.4\nnot really");
    session.write_file("notes.txt", "text\n");
    let error = model_error(session.read_result("broken.pdf").await);
    assert!(
        error.starts_with(&format!(
            "Cannot read PDF {}: it is not a readable PDF (",
            session.path_str("broken.pdf")
        )),
        "{error}"
    );
    let input = json!({"file_path": session.path_str("notes.txt"), "pages": "1"});
    assert_eq!(
        model_error(session.call("Read", input).await),
        format!(
            "`pages` applies to PDF files only, and {} is not one; use `offset` and `limit` \
             for a part of a text file",
            session.path_str("notes.txt")
        )
    );
}

#[tokio::test]
async fn a_read_pdf_may_then_be_overwritten() {
    let session = Session::new();
    session.write_file("doc.pdf", pdf(&numbered(1)));
    session.read("doc.pdf").await;
    let input = json!({"file_path": session.path_str("doc.pdf"), "content": "replaced"});
    session.call("Write", input).await.unwrap();
    assert_eq!(session.file_bytes("doc.pdf"), b"replaced");
}
