//! Workspace manifests: the content hash of every file under a root that the
//! ignore rules (`.gitignore`, `.ignore`, hidden files, as in rg) let through.
//!
//! A record is incremental: a file whose size, modification time, change
//! time and inode match the previous manifest keeps its hash without being
//! read; only the others are read, hashed and stored as blobs.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::blob::BlobStore;
use crate::error::CheckpointError;
use crate::hash::ContentHash;

/// The file metadata that decides whether a file must be read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i128,
    /// Inode number.
    pub ino: u64,
}

impl Stat {
    /// Reads the fields from file metadata.
    #[must_use]
    pub fn of(metadata: &fs::Metadata) -> Self {
        Self {
            size: metadata.len(),
            mtime_ns: i128::from(metadata.mtime()) * 1_000_000_000
                + i128::from(metadata.mtime_nsec()),
            ctime_ns: i128::from(metadata.ctime()) * 1_000_000_000
                + i128::from(metadata.ctime_nsec()),
            ino: metadata.ino(),
        }
    }
}

/// One file of a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The content's blob.
    pub hash: ContentHash,
    /// The metadata when it was hashed.
    pub stat: Stat,
    /// The file was modified less than [`RACY_WINDOW_NS`] before the record
    /// started: a write in the same timestamp tick could leave its metadata
    /// unchanged, so the next record reads it again (git's "racily clean").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub racy: bool,
}

/// How recent a modification time makes an entry racy: file system
/// timestamps advance in ticks (milliseconds on Linux, 2 s on FAT).
pub const RACY_WINDOW_NS: i128 = 2_000_000_000;

/// Every tracked file under a root, by path relative to the root ('/'-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The files.
    pub files: BTreeMap<String, Entry>,
}

/// What one record did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordStats {
    /// Files in the manifest.
    pub files: usize,
    /// Files read and hashed because they were new or their metadata changed.
    pub hashed: usize,
}

/// Lists the regular files under `root` that the ignore rules let through,
/// as (relative path, absolute path, metadata), skipping `exclude` (the
/// checkpoint directory itself when it lies inside the workspace).
///
/// # Errors
/// When the root cannot be walked.
pub fn walk(
    root: &Path,
    exclude: &Path,
) -> Result<Vec<(String, PathBuf, fs::Metadata)>, CheckpointError> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .filter_entry({
            let exclude = exclude.to_path_buf();
            move |entry| entry.path() != exclude
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                // A file that vanished or cannot be listed is not tracked;
                // the root itself must be walkable.
                if !root.is_dir() {
                    return Err(CheckpointError::Walk {
                        root: root.to_path_buf(),
                        message: error.to_string(),
                    });
                }
                tracing::warn!(root = %root.display(), %error, "skipping an unreadable workspace entry");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(relative) = relative_key(root, path) else {
            tracing::warn!(path = %path.display(), "skipping a workspace file whose name is not UTF-8");
            continue;
        };
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "skipping a workspace file without metadata");
                continue;
            }
        };
        files.push((relative, path.to_path_buf(), metadata));
    }
    Ok(files)
}

/// The '/'-separated path of `path` relative to `root`, if UTF-8.
#[must_use]
pub fn relative_key(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|part| part.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

/// Builds the manifest of `root`, reusing the hashes of `previous` for files
/// whose metadata did not change and storing the content of the others.
///
/// # Errors
/// When the walk fails or a blob cannot be written.
pub fn record(
    root: &Path,
    exclude: &Path,
    previous: Option<&Manifest>,
    blobs: &BlobStore,
) -> Result<(Manifest, RecordStats), CheckpointError> {
    let mut manifest = Manifest::default();
    let mut stats = RecordStats::default();
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(i128::MAX, |since| {
            since.as_nanos().try_into().unwrap_or(i128::MAX)
        });
    for (relative, path, metadata) in walk(root, exclude)? {
        let stat = Stat::of(&metadata);
        let known = previous
            .and_then(|previous| previous.files.get(&relative))
            .filter(|entry| entry.stat == stat && !entry.racy);
        let entry = match known {
            Some(entry) => *entry,
            None => {
                let bytes = match fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "skipping an unreadable workspace file");
                        continue;
                    }
                };
                stats.hashed += 1;
                let hash = ContentHash::of(&bytes);
                blobs.put_hashed(hash, &bytes)?;
                // The metadata from before the read: a write during the read
                // changes it, so the next record reads the file again.
                Entry {
                    hash,
                    stat,
                    racy: stat.mtime_ns > started.saturating_sub(RACY_WINDOW_NS),
                }
            }
        };
        manifest.files.insert(relative, entry);
    }
    stats.files = manifest.files.len();
    Ok((manifest, stats))
}
