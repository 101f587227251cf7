//! Grep patterns: any pattern over any text, never a panic; a pattern that
//! compiles finds exactly the lines the `regex` crate finds line by line
//! (with `^`/`$` at line boundaries, as rg uses it); a pattern that does
//! not compile is reported as a regex error naming the pattern.
//!
//! Input: the first byte picks the case mode, the first line after it is
//! the pattern, the rest is the text searched (NUL bytes are dropped, so
//! binary-file rules stay out of the comparison; the text is made valid
//! UTF-8 so `.` means the same in both engines).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use ferrule_search::{CaseMode, GrepEntry, GrepQuery, OutputMode, SearchError, SearchLimits, grep};
use libfuzzer_sys::fuzz_target;

fn scratch_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fuzz_grep_pattern-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("haystack.txt")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).replace('\0', "");
    let (pattern, haystack) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let case = if flags & 1 == 1 { CaseMode::Insensitive } else { CaseMode::Sensitive };
    let path = scratch_file();
    std::fs::write(path, haystack).expect("write haystack");

    let query = GrepQuery::new(pattern, path)
        .case(case)
        .output_mode(OutputMode::Content)
        .line_numbers(true);
    let out = match grep(&query, &SearchLimits::none()) {
        Ok(out) => out,
        Err(SearchError::Regex { pattern: named, message }) => {
            assert_eq!(named, pattern);
            assert!(!message.is_empty());
            return;
        }
        Err(other) => panic!("unexpected error for {pattern:?}: {other}"),
    };
    let found: Vec<u64> = out
        .entries
        .iter()
        .map(|entry| match entry {
            GrepEntry::Match(line) => line.line_number,
            other => panic!("unexpected entry {other:?}"),
        })
        .collect();

    let Ok(reference) = regex::bytes::RegexBuilder::new(pattern)
        .multi_line(true)
        .case_insensitive(case == CaseMode::Insensitive)
        .build()
    else {
        return;
    };
    let mut lines: Vec<&str> = haystack.split('\n').collect();
    if haystack.ends_with('\n') || haystack.is_empty() {
        lines.pop();
    }
    let expected: Vec<u64> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| reference.is_match(line.as_bytes()))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(found, expected, "pattern {pattern:?} on {haystack:?}");
    assert_eq!(out.match_count, expected.len() as u64);
});
