//! Loading the JSON examples of `sdk-protocol.md` kept under `tests/fixtures/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One example: where it came from and its JSON.
pub(super) struct Example {
    /// `file:line`, for failure messages.
    pub(super) origin: String,
    /// The raw line.
    pub(super) line: String,
    /// The line parsed as untyped JSON.
    pub(super) value: Value,
}

/// Every example in `tests/fixtures/<dir>`: each `.json` file is one
/// example, each line of a `.jsonl` file is one. Sorted by file name.
pub(super) fn examples(dir: &str) -> Vec<Example> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|err| panic!("reading {}: {err}", root.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{name}:{}: fixture is not JSON: {err}", index + 1));
            out.push(Example {
                origin: format!("{name}:{}", index + 1),
                line: line.to_owned(),
                value,
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures in {}", root.display());
    out
}
