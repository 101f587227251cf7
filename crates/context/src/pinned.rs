//! Pinned context: messages and files that every compaction keeps verbatim
//! and that cheap reductions never stub (`/pin`, `context.pinnedFiles`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use ferrule_protocol::Message;

use crate::count::message_hash;

/// Largest pinned file content attached by a compaction, in bytes; the
/// rest is cut with a note saying how to read it.
pub const MAX_PINNED_FILE_BYTES: usize = 100_000;

/// The pinned messages (by transcript uuid) and files (by path).
///
/// A message is pinned with its content, so it survives even after it has
/// left the history; files are read again at each compaction, so the
/// attached text is their current state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pinned {
    messages: BTreeMap<String, Message>,
    hashes: HashSet<[u8; 32]>,
    files: BTreeSet<PathBuf>,
}

impl Pinned {
    /// Nothing pinned.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pins files given as in `context.pinnedFiles`: relative paths are
    /// taken from `project_dir`.
    pub fn with_files(project_dir: &Path, files: &[String]) -> Self {
        let mut pinned = Self::new();
        for file in files {
            pinned.pin_file(project_dir.join(file));
        }
        pinned
    }

    /// Pins `message`, the transcript entry `uuid` (pinning the same uuid
    /// again replaces it).
    pub fn pin_message(&mut self, uuid: impl Into<String>, message: Message) {
        self.messages.insert(uuid.into(), message);
        self.rehash();
    }

    /// Unpins the message `uuid`; whether it was pinned.
    pub fn unpin_message(&mut self, uuid: &str) -> bool {
        let removed = self.messages.remove(uuid).is_some();
        self.rehash();
        removed
    }

    /// Pins a file (an absolute path, or one relative to the process's
    /// directory; see [`Pinned::with_files`] for project-relative paths).
    pub fn pin_file(&mut self, path: impl Into<PathBuf>) {
        self.files.insert(path.into());
    }

    /// Unpins a file; whether it was pinned.
    pub fn unpin_file(&mut self, path: &Path) -> bool {
        self.files.remove(path)
    }

    /// The pinned messages by uuid.
    pub fn messages(&self) -> impl Iterator<Item = (&str, &Message)> {
        self.messages.iter().map(|(uuid, m)| (uuid.as_str(), m))
    }

    /// The pinned files.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(PathBuf::as_path)
    }

    /// Whether nothing is pinned.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.files.is_empty()
    }

    /// Whether `message` is (a copy of) a pinned message.
    pub fn contains_message(&self, message: &Message) -> bool {
        !self.hashes.is_empty() && self.hashes.contains(&message_hash(message))
    }

    /// Whether `path` is a pinned file. A relative `path` (as a tool input
    /// may give it) is resolved against `cwd` first.
    pub fn contains_file(&self, path: &Path, cwd: &Path) -> bool {
        if self.files.contains(path) {
            return true;
        }
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            cwd.join(path)
        };
        self.files.contains(&absolute)
            || self
                .files
                .iter()
                .any(|pinned| normalize(pinned) == normalize(&absolute))
    }

    fn rehash(&mut self) {
        self.hashes = self.messages.values().map(message_hash).collect();
    }
}

/// Removes `.` and resolves `..` lexically (no file system access).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The text a compaction attaches for a pinned file: its content (cut at
/// [`MAX_PINNED_FILE_BYTES`]) or why it could not be read.
pub(crate) fn pinned_file_text(path: &Path) -> String {
    use std::io::Read as _;
    let read = std::fs::File::open(path).and_then(|file| {
        let size = file.metadata()?.len();
        let mut bytes = Vec::new();
        file.take(MAX_PINNED_FILE_BYTES as u64)
            .read_to_end(&mut bytes)?;
        Ok((bytes, size))
    });
    match read {
        Ok((bytes, size)) => {
            let text = String::from_utf8_lossy(&bytes);
            let mut out = format!("Pinned file {} (current content):\n{text}", path.display());
            if size > bytes.len() as u64 {
                out.push_str(&format!(
                    "\n[cut at {} of {size} bytes; call Read on {} for the rest]",
                    bytes.len(),
                    path.display()
                ));
            }
            out
        }
        Err(error) => format!("Pinned file {} could not be read: {error}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_found_by_content_and_files_by_resolved_path() {
        let mut pinned = Pinned::new();
        assert!(pinned.is_empty());
        pinned.pin_message("u1", Message::user("keep me"));
        assert!(pinned.contains_message(&Message::user("keep me")));
        assert!(!pinned.contains_message(&Message::user("not me")));
        assert!(pinned.unpin_message("u1"));
        assert!(!pinned.contains_message(&Message::user("keep me")));

        let pinned = Pinned::with_files(Path::new("/proj"), &["docs/api.md".to_owned()]);
        let cwd = Path::new("/proj");
        assert!(pinned.contains_file(Path::new("docs/api.md"), cwd));
        assert!(pinned.contains_file(Path::new("/proj/docs/../docs/api.md"), cwd));
        assert!(!pinned.contains_file(Path::new("docs/other.md"), cwd));
    }

    #[test]
    fn pinned_file_text_cuts_large_files_and_reports_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.txt");
        std::fs::write(&big, "x".repeat(MAX_PINNED_FILE_BYTES + 10)).unwrap();
        let text = pinned_file_text(&big);
        assert!(
            text.contains("call Read on"),
            "{}",
            &text[text.len() - 200..]
        );
        let missing = pinned_file_text(&dir.path().join("gone.txt"));
        assert!(missing.contains("could not be read"), "{missing}");
    }
}
