//! The checkpoint store of one session: a directory beside the transcript
//! (for example `<session dir>/checkpoints/`) holding `index.jsonl` and
//! `blobs/`.
//!
//! The host calls, while it processes user message `id`:
//! - [`CheckpointStore::begin_message`] when the turn starts (optional: the
//!   other calls begin the message themselves);
//! - [`CheckpointStore::before_write`] before a file tool (Write, Edit,
//!   MultiEdit, NotebookEdit) changes a path, and
//!   [`CheckpointStore::after_write`] once it has;
//! - [`CheckpointStore::record_workspace`] before a Bash call, and again
//!   after it so the shell's changes count as the agent's own (without the
//!   second record, a rewind sees them as changes made outside the agent and
//!   refuses unless forced).
//!
//! [`CheckpointStore::rewind`] then restores the state when a message started.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::blob::{BlobStore, write_atomically};
use crate::diff::line_counts;
use crate::error::{CheckpointError, RewindError};
use crate::hash::{ContentHash, FileState};
use crate::index::{IndexFile, Phase, Record};
use crate::plan::{Decision, tracked};
use crate::report::{RewindOptions, RewindReport};
use crate::workspace::{self, Manifest};

/// The name of the index file inside the store directory.
pub const INDEX_FILE: &str = "index.jsonl";
/// The name of the blob directory inside the store directory.
pub const BLOB_DIR: &str = "blobs";

/// What [`CheckpointStore::record_workspace`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkspaceRecordSummary {
    /// Files in the workspace's manifest.
    pub files: usize,
    /// Files read and hashed (new, or changed since the last record).
    pub hashed: usize,
}

/// File checkpoints of one session, on disk.
#[derive(Debug)]
pub struct CheckpointStore {
    dir: PathBuf,
    blobs: BlobStore,
    index: IndexFile,
    records: Vec<Record>,
    /// Index in `records` of each message's first record.
    message_start: HashMap<String, usize>,
    /// (message, path) pairs already snapshotted before a write.
    snapshotted: HashSet<(String, String)>,
    /// The latest manifest of each workspace root, once loaded.
    latest_manifest: HashMap<String, Manifest>,
}

impl CheckpointStore {
    /// Opens the store in `dir`, creating it if needed, and reads what an
    /// earlier process recorded there.
    ///
    /// # Errors
    /// When the directory cannot be created or the index is invalid.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CheckpointError> {
        let dir = dir.into();
        fs::create_dir_all(&dir)
            .map_err(|source| CheckpointError::io("create directory", &dir, source))?;
        let dir = fs::canonicalize(&dir)
            .map_err(|source| CheckpointError::io("resolve", &dir, source))?;
        let blobs = BlobStore::open(dir.join(BLOB_DIR))?;
        let (index, records) = IndexFile::open(dir.join(INDEX_FILE))?;
        let mut store = Self {
            dir,
            blobs,
            index,
            records: Vec::new(),
            message_start: HashMap::new(),
            snapshotted: HashSet::new(),
            latest_manifest: HashMap::new(),
        };
        for record in records {
            store.remember(record);
        }
        Ok(store)
    }

    /// The store's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether message `id` has a checkpoint.
    #[must_use]
    pub fn has_message(&self, id: &str) -> bool {
        self.message_start.contains_key(id)
    }

    /// Marks the start of the processing of user message `id` (no-op when
    /// it already started). Rewinding to it later restores the state of
    /// this moment for every file changed afterwards.
    ///
    /// # Errors
    /// When the index cannot be written.
    pub fn begin_message(&mut self, id: &str) -> Result<(), CheckpointError> {
        if self.has_message(id) {
            return Ok(());
        }
        self.append(Record::Message { id: id.to_owned() })
    }

    /// Saves the content of `path` (or that it does not exist) before a file
    /// tool changes it while processing message `id`. Only the first call
    /// per message and path stores anything; returns whether it did.
    ///
    /// # Errors
    /// When `path` is relative or not UTF-8, cannot be read (other than not
    /// existing), or the snapshot cannot be written.
    pub fn before_write(&mut self, id: &str, path: &Path) -> Result<bool, CheckpointError> {
        let key = path_key(path)?;
        if self.snapshotted.contains(&(id.to_owned(), key.clone())) {
            return Ok(false);
        }
        self.begin_message(id)?;
        let blob = self.snapshot(path)?;
        self.append(Record::File {
            message: id.to_owned(),
            path: key,
            phase: Phase::Before,
            blob,
        })?;
        Ok(true)
    }

    /// Records the content of `path` after a file tool changed it: the
    /// agent's last known state, against which a rewind detects changes
    /// made outside the agent.
    ///
    /// # Errors
    /// As [`CheckpointStore::before_write`].
    pub fn after_write(&mut self, id: &str, path: &Path) -> Result<(), CheckpointError> {
        let key = path_key(path)?;
        self.begin_message(id)?;
        let blob = self.snapshot(path)?;
        self.append(Record::File {
            message: id.to_owned(),
            path: key,
            phase: Phase::After,
            blob,
        })
    }

    /// Records every file under `root` that the ignore rules let through
    /// (see [`crate::workspace`]), reading only files new or changed since
    /// the last record of the same root. The root is resolved to its real
    /// path; file tools' paths should be given resolved too, so that both
    /// kinds of record name a file the same way.
    ///
    /// # Errors
    /// When `root` is not an absolute UTF-8 path to a directory, the previous
    /// manifest is unreadable, or blobs cannot be written.
    pub fn record_workspace(
        &mut self,
        id: &str,
        root: &Path,
    ) -> Result<WorkspaceRecordSummary, CheckpointError> {
        path_key(root)?;
        if !root.is_dir() {
            return Err(CheckpointError::Walk {
                root: root.to_path_buf(),
                message: "not a directory".to_owned(),
            });
        }
        // The real path, so records of one workspace share one key and the
        // store's own directory is recognized inside it.
        let root = &fs::canonicalize(root)
            .map_err(|source| CheckpointError::io("resolve", root, source))?;
        let key = path_key(root)?;
        self.begin_message(id)?;
        if !self.latest_manifest.contains_key(&key) {
            let latest = self.records.iter().rev().find_map(|record| match record {
                Record::Workspace {
                    root: seen,
                    manifest,
                    ..
                } if *seen == key => Some(*manifest),
                _ => None,
            });
            if let Some(hash) = latest {
                let manifest = self.load_manifest(&hash)?;
                self.latest_manifest.insert(key.clone(), manifest);
            }
        }
        let (manifest, stats) =
            workspace::record(root, &self.dir, self.latest_manifest.get(&key), &self.blobs)?;
        let encoded = serde_json::to_vec(&manifest).map_err(|error| {
            CheckpointError::io("encode manifest of", root, io::Error::other(error))
        })?;
        let hash = self.blobs.put(&encoded)?;
        self.append(Record::Workspace {
            message: id.to_owned(),
            root: key.clone(),
            manifest: hash,
        })?;
        self.latest_manifest.insert(key, manifest);
        Ok(WorkspaceRecordSummary {
            files: stats.files,
            hashed: stats.hashed,
        })
    }

    /// Rewinds (or, with `dry_run`, previews rewinding) every tracked file to
    /// its state when message `id` started. Never fails: a rewind that
    /// cannot run is a report with `can_rewind: false` and the error.
    pub fn rewind(&mut self, id: &str, options: RewindOptions) -> RewindReport {
        self.try_rewind(id, options)
            .unwrap_or_else(|error| RewindReport::refused(error.to_string()))
    }

    /// As [`CheckpointStore::rewind`], with the failure as a typed error.
    ///
    /// # Errors
    /// [`RewindError::UnknownMessage`] for an id without checkpoint,
    /// [`RewindError::ChangedOutside`] listing the files changed outside the
    /// agent (unless `force`), [`RewindError::Store`] when a snapshot is
    /// unreadable or a file cannot be restored. Files restored before a
    /// write error stay restored and are recorded as such.
    pub fn try_rewind(
        &mut self,
        id: &str,
        options: RewindOptions,
    ) -> Result<RewindReport, RewindError> {
        let Some(&start) = self.message_start.get(id) else {
            return Err(RewindError::UnknownMessage(id.to_owned()));
        };
        let records = &self.records[start..];
        let mut manifests = HashMap::new();
        let mut present: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut current_stats = HashMap::new();
        for record in records {
            if let Record::Workspace { root, manifest, .. } = record {
                if !manifests.contains_key(manifest) {
                    manifests.insert(*manifest, self.load_manifest(manifest)?);
                }
                if !present.contains_key(root) {
                    let mut now = BTreeSet::new();
                    for (relative, path, metadata) in workspace::walk(Path::new(root), &self.dir)? {
                        current_stats.insert(
                            path.to_string_lossy().into_owned(),
                            workspace::Stat::of(&metadata),
                        );
                        now.insert(relative);
                    }
                    present.insert(root.clone(), now);
                }
            }
        }
        let mut outside = Vec::new();
        let mut changes = Vec::new();
        for (path, entry) in tracked(records, &manifests, &present) {
            // A file whose metadata matches the last workspace record still
            // holds that content: no need to read it.
            let unchanged_since_last =
                entry.last.stat.is_some() && entry.last.stat == current_stats.get(&path).copied();
            let (current, bytes) = if unchanged_since_last {
                if entry.last.state == entry.target.state {
                    continue;
                }
                (entry.last.state, None)
            } else {
                let bytes = read_optional(Path::new(&path))?;
                (
                    FileState::from_hash(bytes.as_deref().map(ContentHash::of)),
                    bytes,
                )
            };
            match entry.decide(current) {
                Decision::Unchanged => {}
                Decision::ChangedOutside if !options.force => outside.push(path),
                Decision::Restore | Decision::ChangedOutside => {
                    changes.push((path, entry.target.state, bytes));
                }
            }
        }
        if !outside.is_empty() {
            return Err(RewindError::ChangedOutside(outside));
        }
        let mut report = RewindReport {
            can_rewind: true,
            ..RewindReport::default()
        };
        let mut restores = Vec::new();
        for (path, target, bytes) in changes {
            let current = match bytes {
                Some(bytes) => bytes,
                None => read_optional(Path::new(&path))?.unwrap_or_default(),
            };
            let wanted = match target.hash() {
                Some(hash) => Some(self.blobs.get(&hash)?),
                None => None,
            };
            let (insertions, deletions) =
                line_counts(&current, wanted.as_deref().unwrap_or_default());
            report.insertions += insertions;
            report.deletions += deletions;
            report.files_changed.push(path.clone());
            restores.push((path, target, wanted));
        }
        if options.dry_run {
            return Ok(report);
        }
        for (path, target, wanted) in restores {
            let result = restore(Path::new(&path), wanted.as_deref());
            self.append(Record::File {
                message: id.to_owned(),
                path,
                phase: Phase::Restored,
                blob: target.hash(),
            })?;
            result?;
        }
        Ok(report)
    }

    fn snapshot(&self, path: &Path) -> Result<Option<ContentHash>, CheckpointError> {
        match read_optional(path)? {
            Some(bytes) => self.blobs.put(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn load_manifest(&self, hash: &ContentHash) -> Result<Manifest, CheckpointError> {
        let bytes = self.blobs.get(hash)?;
        serde_json::from_slice(&bytes).map_err(|error| CheckpointError::BadManifest {
            hash: *hash,
            message: error.to_string(),
        })
    }

    fn append(&mut self, record: Record) -> Result<(), CheckpointError> {
        self.index.append(&record)?;
        self.remember(record);
        Ok(())
    }

    fn remember(&mut self, record: Record) {
        match &record {
            Record::Message { id } => {
                self.message_start
                    .entry(id.clone())
                    .or_insert(self.records.len());
            }
            Record::File {
                message,
                path,
                phase: Phase::Before,
                ..
            } => {
                self.snapshotted.insert((message.clone(), path.clone()));
            }
            Record::File { .. } | Record::Workspace { .. } => {}
        }
        self.records.push(record);
    }
}

/// The string key of an absolute UTF-8 path.
fn path_key(path: &Path) -> Result<String, CheckpointError> {
    match path.to_str() {
        Some(text) if path.is_absolute() => Ok(text.to_owned()),
        _ => Err(CheckpointError::BadPath {
            path: path.to_path_buf(),
        }),
    }
}

/// Reads a file; `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, CheckpointError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CheckpointError::io("read", path, source)),
    }
}

/// Puts `wanted` at `path` (atomically, keeping its permissions when it
/// exists), or deletes `path` when `wanted` is `None`.
fn restore(path: &Path, wanted: Option<&[u8]>) -> Result<(), CheckpointError> {
    let Some(bytes) = wanted else {
        return match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CheckpointError::io("delete", path, source)),
        };
    };
    let Some(parent) = path.parent() else {
        return Err(CheckpointError::BadPath {
            path: path.to_path_buf(),
        });
    };
    fs::create_dir_all(parent)
        .map_err(|source| CheckpointError::io("create directory", parent, source))?;
    let permissions = fs::metadata(path).ok().map(|meta| meta.permissions());
    write_atomically(parent, path, bytes)?;
    if let Some(permissions) = permissions {
        fs::set_permissions(path, permissions)
            .map_err(|source| CheckpointError::io("set permissions of", path, source))?;
    }
    Ok(())
}
