//! The index: one JSON record per line in `index.jsonl`, appended as the
//! session goes. Record order is time order.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::CheckpointError;
use crate::hash::ContentHash;

/// When a file observation was made, relative to the tool's write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Just before a file tool wrote the path: the prior state.
    Before,
    /// Just after a file tool wrote the path: the agent's new state.
    After,
    /// A rewind wrote (or deleted) the path.
    Restored,
}

/// One line of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record {
    /// Processing of a user message started.
    Message {
        /// The user message's uuid.
        id: String,
    },
    /// The state of one file at one moment.
    File {
        /// The user message being processed.
        message: String,
        /// The file's absolute path.
        path: String,
        /// When the observation was made.
        phase: Phase,
        /// The content's blob, or `null` when the file did not exist.
        blob: Option<ContentHash>,
    },
    /// The state of every (not ignored) file under a workspace root.
    Workspace {
        /// The user message being processed.
        message: String,
        /// The workspace root's absolute path.
        root: String,
        /// The blob holding the [`crate::workspace::Manifest`].
        manifest: ContentHash,
    },
}

/// The append-only index file.
#[derive(Debug)]
pub struct IndexFile {
    path: PathBuf,
    file: File,
}

impl IndexFile {
    /// Opens `path` (creating it) and returns it with the records it holds.
    /// A last line without its newline (a write cut short by a crash) is
    /// ignored with a warning; any other bad line is an error naming it.
    ///
    /// # Errors
    /// When the file cannot be read or a line is not a record.
    pub fn open(path: impl Into<PathBuf>) -> Result<(Self, Vec<Record>), CheckpointError> {
        let path = path.into();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(CheckpointError::io("read", &path, source)),
        };
        let records = parse_index(&path, &text)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| CheckpointError::io("open", &path, source))?;
        if !text.ends_with('\n') {
            // Drop the cut-short line so the next record starts cleanly.
            let complete = text.rfind('\n').map_or(0, |end| end + 1);
            file.set_len(complete as u64)
                .map_err(|source| CheckpointError::io("truncate", &path, source))?;
        }
        Ok((Self { path, file }, records))
    }

    /// Appends one record as one line, in a single write.
    ///
    /// # Errors
    /// When the line cannot be written.
    pub fn append(&mut self, record: &Record) -> Result<(), CheckpointError> {
        let mut line = serde_json::to_vec(record).map_err(|error| {
            CheckpointError::io("encode record for", &self.path, io::Error::other(error))
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|source| CheckpointError::io("append to", &self.path, source))
    }

    /// The index file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Parses the text of an index file (`path` only names it in errors). A last
/// line without its newline that is not a record is dropped with a warning
/// (a write cut short); any other bad line is [`CheckpointError::BadIndex`]
/// with its 1-based line number.
///
/// # Errors
/// As described.
pub fn parse_index(path: &Path, text: &str) -> Result<Vec<Record>, CheckpointError> {
    let mut records = Vec::new();
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (number, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(record) => records.push(record),
            Err(_) if !complete && number + 1 == lines.len() => {
                tracing::warn!(
                    path = %path.display(),
                    line = number + 1,
                    "ignoring a checkpoint record cut short"
                );
            }
            Err(error) => {
                return Err(CheckpointError::BadIndex {
                    path: path.to_path_buf(),
                    line: number + 1,
                    message: error.to_string(),
                });
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use pretty_assertions::assert_eq;

    use super::{IndexFile, Record};
    use crate::error::CheckpointError;

    #[test]
    fn records_survive_reopening_and_a_cut_short_line_is_dropped() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("index.jsonl");
        let (mut index, records) = IndexFile::open(&path)?;
        assert_eq!(records, Vec::new());
        let first = Record::Message {
            id: "m1".to_owned(),
        };
        index.append(&first)?;
        drop(index);
        let mut text = fs::read_to_string(&path)?;
        text.push_str("{\"type\":\"mess");
        fs::write(&path, text)?;
        let (mut index, records) = IndexFile::open(&path)?;
        assert_eq!(records, vec![first.clone()]);
        let second = Record::Message {
            id: "m2".to_owned(),
        };
        index.append(&second)?;
        drop(index);
        let (_, records) = IndexFile::open(&path)?;
        assert_eq!(records, vec![first, second]);
        Ok(())
    }

    #[test]
    fn bad_line_in_the_middle_names_file_and_line() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("index.jsonl");
        fs::write(
            &path,
            "{\"type\":\"message\",\"id\":\"m\"}\nnot json\n{\"type\":\"message\",\"id\":\"n\"}\n",
        )?;
        match IndexFile::open(&path) {
            Err(CheckpointError::BadIndex { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a bad-index error, got {other:?}"),
        }
        Ok(())
    }
}
