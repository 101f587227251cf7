//! Arbitrary bytes as a session transcript (ferrule-session).
//!
//! Properties: nothing panics; every non-blank line is either an entry or
//! exactly one diagnostic, in line order, with 1-based line numbers within
//! the input, and only the last line can be "torn"; the conversation walk
//! ends (no cycle hangs) and uses only parsed entries; and the entries
//! written back one per line parse to the same entries with no diagnostics
//! (unknown fields and types survive).

#![no_main]

use std::path::Path;

use ferrule_session::{DiagnosticKind, parse_transcript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.jsonl");
    let loaded = parse_transcript(path, data);

    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let non_blank: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, _)| i + 1)
        .collect();
    let mut seen: Vec<usize> = loaded
        .entries
        .iter()
        .map(|e| e.line)
        .chain(loaded.diagnostics.iter().map(|d| d.line))
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen, non_blank,
        "each non-blank line is an entry or a diagnostic"
    );
    for d in &loaded.diagnostics {
        assert_eq!(d.path, path);
        if matches!(d.kind, DiagnosticKind::TornLastLine { .. }) {
            assert_eq!(d.line, lines.len(), "only the last line is torn");
            assert!(!data.ends_with(b"\n"));
        }
        assert!(d.to_string().starts_with("fuzz.jsonl:"));
    }

    let conversation = loaded.conversation();
    assert!(conversation.chain.len() <= loaded.entries.len());
    assert!(conversation.messages.len() <= conversation.chain.len());
    if let Some(uuid) = loaded.entries.iter().find_map(|e| e.entry.uuid.clone()) {
        let _ = loaded.conversation_through(&uuid);
    }

    let mut printed = Vec::new();
    for e in &loaded.entries {
        serde_json::to_writer(&mut printed, &e.entry).expect("an entry serializes");
        printed.push(b'\n');
    }
    let again = parse_transcript(path, &printed);
    assert!(again.diagnostics.is_empty(), "{:?}", again.diagnostics);
    let before: Vec<_> = loaded.entries.iter().map(|e| &e.entry).collect();
    let after: Vec<_> = again.entries.iter().map(|e| &e.entry).collect();
    assert_eq!(before, after, "entries round-trip through their JSON lines");
});
