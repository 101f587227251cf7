//! Arbitrary bytes as a fetched web page (ferrule-tools WebFetch).
//!
//! The first byte picks the `Content-Type` the server claimed; the rest is
//! the body. Properties: nothing panics; the conversion is deterministic;
//! a text type returns the body itself (invalid UTF-8 replaced); a binary
//! type is refused with a message naming it; HTML never passes the text of
//! a `<script>` element through to the Markdown.

#![no_main]

use ferrule_tools::{PageContent, page_content};
use libfuzzer_sys::fuzz_target;

const TYPES: [Option<&str>; 6] = [
    None,
    Some("text/html; charset=utf-8"),
    Some("text/plain"),
    Some("application/json"),
    Some("image/png"),
    Some("application/xhtml+xml"),
];

/// A marker the fuzzer's bytes are wrapped with inside a script element.
const SECRET: &str = "FERRULE_SCRIPT_ONLY_7f3a";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = TYPES[usize::from(selector) % TYPES.len()];
    let first = page_content(content_type, body);
    assert_eq!(first, page_content(content_type, body), "not deterministic");
    match content_type {
        Some("text/plain" | "application/json") => {
            assert_eq!(
                first,
                PageContent::Text(String::from_utf8_lossy(body).into_owned())
            );
        }
        Some("image/png") => match &first {
            PageContent::Binary(message) => assert!(message.contains("image/png"), "{message}"),
            PageContent::Text(_) => panic!("a PNG was returned as text"),
        },
        Some(_) | None => {}
    }
    // The same bytes as visible text of a page with a script: the script's
    // text never reaches the model.
    if content_type == Some("text/html; charset=utf-8") {
        let text = String::from_utf8_lossy(body).replace('<', " ");
        let html = format!("<html><body><p>{text}</p><script>{SECRET}</script></body></html>");
        match page_content(content_type, html.as_bytes()) {
            PageContent::Text(markdown) => {
                assert!(!markdown.contains(SECRET), "script text leaked: {markdown}");
            }
            PageContent::Binary(message) => panic!("HTML refused as binary: {message}"),
        }
    }
});
