//! What the session knows about the files it has read.
//!
//! Read records a [`FileStamp`] for each file it shows the model; Write and
//! Edit check the stamp before they change a file, so the model never
//! overwrites a file it has not seen, or one that changed on disk (a user, a
//! formatter) since it looked. Reference: `cli-core.md` §2.2–2.4.

use std::collections::HashMap;
use std::fs::Metadata;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::ToolError;

/// The content hash, size and modification time of a file at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Hash of the whole content (stable within one process).
    pub hash: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, when the platform reports one.
    pub modified: Option<SystemTime>,
}

impl FileStamp {
    /// The stamp of `bytes`, the content just read, with their metadata.
    pub fn new(bytes: &[u8], metadata: &Metadata) -> Self {
        Self {
            hash: content_hash(bytes),
            size: bytes.len() as u64,
            modified: metadata.modified().ok(),
        }
    }

    /// The stamp of content that was just written (no metadata at hand).
    pub fn of_content(bytes: &[u8]) -> Self {
        Self {
            hash: content_hash(bytes),
            size: bytes.len() as u64,
            modified: None,
        }
    }
}

fn content_hash(bytes: &[u8]) -> u64 {
    // `DefaultHasher::new()` uses fixed keys, so equal content hashes equal
    // for the life of the process, which is all a session needs.
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// Why a file may not be changed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// The session never read the file.
    NotRead,
    /// The file's content differs from what the session last read or wrote.
    ChangedSinceRead,
}

impl Staleness {
    /// The error the model reads, telling it to Read the file (again).
    pub fn to_tool_error(self, path: &Path) -> ToolError {
        match self {
            Self::NotRead => ToolError::respond(format!(
                "File has not been read yet: {}. Read it first before writing to it.",
                path.display()
            )),
            Self::ChangedSinceRead => ToolError::respond(format!(
                "File has been modified since it was last read (by the user or another \
                 program): {}. Read it again before writing to it.",
                path.display()
            )),
        }
    }
}

/// The file stamps of one session, shared by its tool calls.
#[derive(Debug, Default)]
pub struct FileState {
    stamps: Mutex<HashMap<PathBuf, FileStamp>>,
}

impl FileState {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, FileStamp>> {
        // A panic elsewhere while holding the lock leaves the map usable.
        self.stamps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers that the session has seen `path` as `stamp`.
    pub fn record(&self, path: &Path, stamp: FileStamp) {
        self.lock().insert(path.to_path_buf(), stamp);
    }

    /// The stamp last recorded for `path`.
    pub fn get(&self, path: &Path) -> Option<FileStamp> {
        self.lock().get(path).copied()
    }

    /// Forgets `path` (e.g. after a rewind restored an older version).
    pub fn forget(&self, path: &Path) {
        self.lock().remove(path);
    }

    /// Checks that `current`, the file's content now, is what the session
    /// last read or wrote.
    pub fn check(&self, path: &Path, current: &[u8]) -> Result<(), Staleness> {
        let Some(stamp) = self.get(path) else {
            return Err(Staleness::NotRead);
        };
        if stamp.size == current.len() as u64 && stamp.hash == content_hash(current) {
            Ok(())
        } else {
            Err(Staleness::ChangedSinceRead)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_content_passes_and_changed_content_is_stale() {
        let state = FileState::new();
        let path = Path::new("/tmp/example.txt");
        assert_eq!(state.check(path, b"a"), Err(Staleness::NotRead));
        state.record(path, FileStamp::of_content(b"a"));
        assert_eq!(state.check(path, b"a"), Ok(()));
        assert_eq!(state.check(path, b"b"), Err(Staleness::ChangedSinceRead));
        state.forget(path);
        assert_eq!(state.check(path, b"a"), Err(Staleness::NotRead));
    }
}
