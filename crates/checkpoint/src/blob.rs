//! The content-addressed blob directory: `blobs/<first two hex digits>/<hash>`.
//!
//! A blob is written once, through a temporary file in the same directory
//! that is renamed into place, so a reader never sees half a blob and equal
//! contents are stored once.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::CheckpointError;
use crate::hash::ContentHash;

/// A directory of blobs named by their content hash.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// Opens (and creates if needed) the blob directory `dir`.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CheckpointError> {
        let dir = dir.into();
        fs::create_dir_all(&dir)
            .map_err(|source| CheckpointError::io("create directory", &dir, source))?;
        Ok(Self { dir })
    }

    /// Where the blob with this hash lives.
    #[must_use]
    pub fn path_of(&self, hash: &ContentHash) -> PathBuf {
        let hex = hash.to_hex();
        self.dir.join(&hex[..2]).join(hex)
    }

    /// Whether the blob is already stored.
    #[must_use]
    pub fn contains(&self, hash: &ContentHash) -> bool {
        self.path_of(hash).is_file()
    }

    /// Stores `bytes` (unless a blob with the same hash exists) and returns
    /// its hash.
    ///
    /// # Errors
    /// When the blob cannot be written.
    pub fn put(&self, bytes: &[u8]) -> Result<ContentHash, CheckpointError> {
        let hash = ContentHash::of(bytes);
        self.put_hashed(hash, bytes)?;
        Ok(hash)
    }

    /// Stores `bytes` already hashed to `hash` (unless stored).
    pub(crate) fn put_hashed(
        &self,
        hash: ContentHash,
        bytes: &[u8],
    ) -> Result<(), CheckpointError> {
        let path = self.path_of(&hash);
        if path.is_file() {
            return Ok(());
        }
        let Some(parent) = path.parent() else {
            return Err(CheckpointError::io(
                "write",
                &path,
                io::Error::other("blob path has no parent"),
            ));
        };
        fs::create_dir_all(parent)
            .map_err(|source| CheckpointError::io("create directory", parent, source))?;
        write_atomically(parent, &path, bytes)
    }

    /// Reads a blob and checks its content against its hash.
    ///
    /// # Errors
    /// [`CheckpointError::BadBlob`] when it is missing, unreadable or corrupt.
    pub fn get(&self, hash: &ContentHash) -> Result<Vec<u8>, CheckpointError> {
        let path = self.path_of(hash);
        let bytes = fs::read(&path).map_err(|source| CheckpointError::BadBlob {
            hash: *hash,
            reason: format!("cannot read {}: {source}", path.display()),
        })?;
        if ContentHash::of(&bytes) != *hash {
            return Err(CheckpointError::BadBlob {
                hash: *hash,
                reason: format!("content of {} does not match its hash", path.display()),
            });
        }
        Ok(bytes)
    }
}

/// Writes `bytes` to `target` through a temporary file in `dir` and a rename.
pub(crate) fn write_atomically(
    dir: &Path,
    target: &Path,
    bytes: &[u8],
) -> Result<(), CheckpointError> {
    let mut temp = tempfile::Builder::new()
        .prefix(".ferrule-tmp-")
        .tempfile_in(dir)
        .map_err(|source| CheckpointError::io("create temporary file in", dir, source))?;
    temp.write_all(bytes)
        .and_then(|()| temp.flush())
        .map_err(|source| CheckpointError::io("write", temp.path().to_path_buf(), source))?;
    temp.persist(target)
        .map_err(|error| CheckpointError::io("rename into", target, error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::BlobStore;
    use crate::error::CheckpointError;

    #[test]
    fn equal_contents_are_stored_once_and_read_back() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let blobs = BlobStore::open(dir.path().join("blobs"))?;
        let first = blobs.put(b"same bytes")?;
        let second = blobs.put(b"same bytes")?;
        assert_eq!(first, second);
        assert_eq!(blobs.get(&first)?, b"same bytes".to_vec());
        let stored = fs::read_dir(dir.path().join("blobs"))?.count();
        assert_eq!(stored, 1);
        Ok(())
    }

    #[test]
    fn corrupt_blob_is_reported_not_returned() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let blobs = BlobStore::open(dir.path())?;
        let hash = blobs.put(b"original")?;
        fs::write(blobs.path_of(&hash), b"tampered")?;
        let error = blobs.get(&hash);
        assert!(
            matches!(error, Err(CheckpointError::BadBlob { .. })),
            "{error:?}"
        );
        Ok(())
    }
}
