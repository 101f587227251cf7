//! The file-system side of the session watcher: notify's debounced watcher
//! over the folders that hold the watched paths, and stamps that tell
//! whether a path was added, changed or removed.
//!
//! A path that does not exist yet is covered by watching its nearest
//! existing folder; every batch of events is only a signal to compare the
//! stamps again, so a file created together with its folder, or written
//! before its folder's watch was added, is still seen on the next batch.

use std::collections::{BTreeMap, hash_map::DefaultHasher};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc::UnboundedSender;

/// Events closer together than this arrive as one batch.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Files up to this size are compared by content, not only by size and time.
const HASH_LIMIT: u64 = 1 << 20;

/// At most this many files of a watched folder tree are compared.
const TREE_LIMIT: usize = 2000;

/// The watcher and the folders it watches.
pub(crate) struct Fs {
    debouncer: Debouncer<RecommendedWatcher>,
    watched: BTreeMap<PathBuf, RecursiveMode>,
}

impl Fs {
    /// Starts a watcher that sends `()` to `signal` after each batch.
    pub(crate) fn start(signal: UnboundedSender<()>) -> Result<Self, notify::Error> {
        let debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
            Ok(_) => {
                let _ = signal.send(());
            }
            Err(error) => tracing::debug!(%error, "file watcher error"),
        })?;
        Ok(Self {
            debouncer,
            watched: BTreeMap::new(),
        })
    }

    /// Makes sure changes of `target` are seen: an existing folder `tree`
    /// is watched with everything below it, anything else through its
    /// nearest existing parent folder.
    pub(crate) fn cover(&mut self, target: &Path, tree: bool) {
        let (dir, mode) = if tree && target.is_dir() {
            (target.to_path_buf(), RecursiveMode::Recursive)
        } else {
            let Some(dir) = target.ancestors().skip(1).find(|d| d.is_dir()) else {
                return;
            };
            (dir.to_path_buf(), RecursiveMode::NonRecursive)
        };
        match self.watched.get(&dir) {
            Some(RecursiveMode::Recursive) => return,
            Some(RecursiveMode::NonRecursive) if mode == RecursiveMode::NonRecursive => return,
            _ => {}
        }
        match self.debouncer.watcher().watch(&dir, mode) {
            Ok(()) => {
                self.watched.insert(dir, mode);
            }
            Err(error) => {
                tracing::warn!("cannot watch {} for changes: {error}", dir.display());
            }
        }
    }
}

/// What one file looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    /// A hash of the content (small files only).
    content: Option<u64>,
}

impl FileStamp {
    /// The stamp of `path`; `None` when it does not exist.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        let content = (meta.is_file() && meta.len() <= HASH_LIMIT)
            .then(|| std::fs::read(path).ok())
            .flatten()
            .map(|bytes| {
                let mut hasher = DefaultHasher::new();
                bytes.hash(&mut hasher);
                hasher.finish()
            });
        Some(Self {
            len: meta.len(),
            modified: if meta.is_dir() {
                None
            } else {
                meta.modified().ok()
            },
            content,
        })
    }
}

/// The stamps of every file in a folder tree (empty when it is missing).
pub(crate) fn tree_stamps(dir: &Path) -> BTreeMap<PathBuf, FileStamp> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            if out.len() >= TREE_LIMIT {
                return out;
            }
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(path),
                Ok(_) => {
                    if let Some(stamp) = FileStamp::of(&path) {
                        out.insert(path, stamp);
                    }
                }
                Err(_) => {}
            }
        }
    }
    out
}

/// The first file that differs between two tree stamps.
pub(crate) fn first_difference(
    before: &BTreeMap<PathBuf, FileStamp>,
    after: &BTreeMap<PathBuf, FileStamp>,
) -> Option<PathBuf> {
    after
        .iter()
        .find(|(path, stamp)| before.get(*path) != Some(*stamp))
        .map(|(path, _)| path.clone())
        .or_else(|| {
            before
                .keys()
                .find(|path| !after.contains_key(*path))
                .cloned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_see_content_changes_and_tree_differences() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        assert_eq!(FileStamp::of(&file), None);
        std::fs::write(&file, "one").unwrap();
        let first = FileStamp::of(&file).unwrap();
        std::fs::write(&file, "two").unwrap();
        assert_ne!(FileStamp::of(&file), Some(first));

        let before = tree_stamps(dir.path());
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.md"), "b").unwrap();
        let after = tree_stamps(dir.path());
        assert_eq!(
            first_difference(&before, &after),
            Some(dir.path().join("sub/b.md"))
        );
        std::fs::remove_file(&file).unwrap();
        let gone = tree_stamps(dir.path());
        assert_eq!(first_difference(&after, &gone), Some(file));
        assert_eq!(first_difference(&gone, &gone), None);
    }
}
