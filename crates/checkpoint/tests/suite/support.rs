//! Helpers: a workspace in a temp dir and a store beside it, tree snapshots,
//! and file tools' writes through the store's API.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ferrule_checkpoint::CheckpointStore;

pub(crate) struct Session {
    pub(crate) _temp: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) store_dir: PathBuf,
}

impl Session {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let temp = tempfile::tempdir()?;
        let root = fs::canonicalize(temp.path())?.join("workspace");
        fs::create_dir_all(&root)?;
        let store_dir = root.with_file_name("session").join("checkpoints");
        Ok(Self {
            _temp: temp,
            root,
            store_dir,
        })
    }

    pub(crate) fn open(&self) -> anyhow::Result<CheckpointStore> {
        Ok(CheckpointStore::open(&self.store_dir)?)
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Every file under the workspace, by relative path, with its bytes.
    pub(crate) fn tree(&self) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
        let mut tree = BTreeMap::new();
        collect(&self.root, &self.root, &mut tree)?;
        Ok(tree)
    }
}

fn collect(root: &Path, dir: &Path, tree: &mut BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, tree)?;
        } else {
            let relative = path.strip_prefix(root)?.to_string_lossy().into_owned();
            tree.insert(relative, fs::read(&path)?);
        }
    }
    Ok(())
}

/// What a Write tool does: snapshot, write the whole file, record the result.
pub(crate) fn write_tool(
    store: &mut CheckpointStore,
    message: &str,
    path: &Path,
    content: &str,
) -> anyhow::Result<()> {
    store.before_write(message, path)?;
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content)?;
    store.after_write(message, path)?;
    Ok(())
}

/// What an Edit (one pair) or MultiEdit (several pairs) tool does.
pub(crate) fn edit_tool(
    store: &mut CheckpointStore,
    message: &str,
    path: &Path,
    edits: &[(&str, &str)],
) -> anyhow::Result<()> {
    store.before_write(message, path)?;
    let mut text = fs::read_to_string(path)?;
    for (old, new) in edits {
        anyhow::ensure!(text.contains(old), "{old:?} not in {}", path.display());
        text = text.replacen(old, new, 1);
    }
    fs::write(path, text).with_context(|| path.display().to_string())?;
    store.after_write(message, path)?;
    Ok(())
}
