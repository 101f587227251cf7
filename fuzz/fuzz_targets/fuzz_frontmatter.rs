//! Arbitrary bytes as a Markdown file with YAML frontmatter.
//!
//! Properties: parsing never panics, as a generic value or as the typed
//! skill/command and subagent fields; every error points at a line of the
//! input; a parsed frontmatter written back out parses to the same value,
//! and the body survives the round trip. The body then goes through
//! argument substitution (arguments taken from the input's first line) and
//! prompt expansion: neither panics, substitution with no arguments and no
//! placeholders is the identity, and expansion of a text without `!` or `@`
//! is the identity.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ferrule_memory::frontmatter::{self, FrontmatterError};
use ferrule_memory::{CommandHost, PromptMeta, SubagentMeta, expand, substitute};
use libfuzzer_sys::fuzz_target;

/// A host whose answers are ready at once: shell output is the command
/// upper-cased, and every file read fails.
struct Host;

impl CommandHost for Host {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        Ok(command.to_uppercase())
    }
    async fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!("{path}: no files here"))
    }
}

/// Polls a future whose every await is ready; it must finish in one poll.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("expansion waited on a host that never blocks"),
    }
}

fn check_prompt(text: &str) {
    let doc = frontmatter::parse::<PromptMeta>(text).unwrap_or_else(|_| frontmatter::Document {
        fields: PromptMeta::default(),
        has_frontmatter: false,
        body: text.to_string(),
        body_line: 1,
    });
    let args = text.lines().next().unwrap_or("");
    let _ = substitute(&doc.body, args, &doc.fields.arguments);
    if !doc.body.contains('$') {
        assert_eq!(substitute(&doc.body, "", &[]).as_deref(), Ok(doc.body.as_str()));
    }
    if let Ok(out) = ready(expand(&doc.body, &Host)) {
        if !doc.body.contains('!') && !doc.body.contains('@') {
            assert_eq!(out.text, doc.body);
        }
    }
}

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
    check_prompt(&text);
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
