//! Bytes as a checkpoint index file (ferrule-checkpoint): no panic; parsed
//! records print as lines that parse back to the same records; a complete
//! file (ending in a newline) yields one record per non-blank line; an error
//! names a line of the input.

#![no_main]

use std::path::Path;

use ferrule_checkpoint::CheckpointError;
use ferrule_checkpoint::index::parse_index;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    let non_blank = lines.iter().filter(|line| !line.trim().is_empty()).count();
    match parse_index(Path::new("index.jsonl"), text) {
        Ok(records) => {
            if text.ends_with('\n') {
                assert_eq!(records.len(), non_blank, "one record per line");
            } else {
                assert!(
                    records.len() + 1 >= non_blank,
                    "only the cut line may be dropped"
                );
            }
            let mut printed = String::new();
            for record in &records {
                let line = serde_json::to_string(record).unwrap_or_default();
                assert!(!line.contains('\n'), "a record prints on one line");
                printed.push_str(&line);
                printed.push('\n');
            }
            let reparsed = parse_index(Path::new("index.jsonl"), &printed);
            assert!(
                matches!(&reparsed, Ok(again) if *again == records),
                "{reparsed:?}"
            );
        }
        Err(CheckpointError::BadIndex { line, .. }) => {
            assert!(
                line >= 1 && line <= lines.len(),
                "line {line} of {}",
                lines.len()
            );
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
});
