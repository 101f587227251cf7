//! Arbitrary bytes as a Markdown file with YAML frontmatter.
//!
//! Properties: parsing never panics, as a generic value or as the typed
//! skill/command and subagent fields; every error points at a line of the
//! input; a parsed frontmatter written back out parses to the same value,
//! and the body survives the round trip.

#![no_main]

use ferrule_memory::frontmatter::{self, FrontmatterError};
use ferrule_memory::{PromptMeta, SubagentMeta};
use libfuzzer_sys::fuzz_target;

fn check_position(err: &FrontmatterError, text: &str) {
    let lines = text.lines().count().max(1);
    assert!(
        err.line >= 1 && err.line <= lines + 1,
        "error line {} outside 1..={} : {err}",
        err.line,
        lines + 1
    );
    assert!(!err.message.is_empty());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = frontmatter::parse::<PromptMeta>(&text) {
        check_position(&e, &text);
    }
    if let Err(e) = frontmatter::parse::<SubagentMeta>(&text) {
        check_position(&e, &text);
    }
    let value = match frontmatter::parse_value(&text) {
        Ok(value) => value,
        Err(e) => {
            check_position(&e, &text);
            return;
        }
    };
    if !value.is_object() {
        return;
    }
    let body = frontmatter::split(&text).map(|s| s.body.to_string()).unwrap_or_default();
    let printed = frontmatter::render(&value, &body).expect("a parsed value can be written");
    let again = frontmatter::parse_value(&printed)
        .unwrap_or_else(|e| panic!("re-parse failed: {e}\n--- printed ---\n{printed}"));
    assert_eq!(again, value, "round trip changed the value\n--- printed ---\n{printed}");
    let split = frontmatter::split(&printed).expect("printed text splits");
    assert_eq!(split.body, body);
});
