//! The input history kept across runs: one JSON object per line in
//! `<user dir>/history.jsonl` (`~/.qoder/history.jsonl`), with the text,
//! the project folder and the time, the way Claude Code keeps its
//! `history.jsonl`. Up/Down recall the inputs of the same folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// How many entries of a folder are recalled.
const RECALLED: usize = 500;

/// The history file under the user directory.
pub(crate) fn history_file(user_dir: &Path) -> PathBuf {
    user_dir.join("history.jsonl")
}

/// The inputs sent in `project`, oldest first (at most the last
/// [`RECALLED`]). A missing file is an empty history; a line that is not
/// an entry is skipped.
pub(crate) fn load(file: &Path, project: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let project = project.display().to_string();
    let mut entries: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry.get("project").and_then(Value::as_str) == Some(project.as_str()))
        .filter_map(|entry| entry.get("display")?.as_str().map(str::to_owned))
        .collect();
    entries.dedup();
    let skip = entries.len().saturating_sub(RECALLED);
    entries.split_off(skip)
}

/// Appends `input` sent in `project` to the history file.
pub(crate) fn append(file: &Path, project: &Path, input: &str) -> std::io::Result<()> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let entry = json!({
        "display": input,
        "project": project.display().to_string(),
        "timestamp": timestamp,
    });
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    writeln!(out, "{entry}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn inputs_come_back_per_project_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = history_file(&dir.path().join("user"));
        let (a, b) = (Path::new("/p/a"), Path::new("/p/b"));
        assert_eq!(load(&file, a), Vec::<String>::new());
        append(&file, a, "first").unwrap();
        append(&file, b, "elsewhere").unwrap();
        append(&file, a, "two\nlines").unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .write_all(b"not json\n")
            .unwrap();
        assert_eq!(load(&file, a), ["first", "two\nlines"]);
        assert_eq!(load(&file, b), ["elsewhere"]);
    }
}
