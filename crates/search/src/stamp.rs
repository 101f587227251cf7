//! File identity for cache validation: size, modification and change
//! times, inode and device.
//!
//! A cached entry is trusted only while its stamp is unchanged. The change
//! time (ctime) is part of the stamp because tools may set the
//! modification time back (`touch -d`, `cp -p`), and nothing can set the
//! ctime back. A stamp taken too close to the moment it was read is
//! "racy" (file system clocks tick coarsely, so two writes in one tick
//! leave the same times): such an entry is never trusted, the same rule
//! git applies to its index.

use std::fs::Metadata;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The identity of a file or directory at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

impl Stamp {
    pub(crate) fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Self {
                size: meta.len(),
                modified: meta.modified().ok(),
                changed: (meta.ctime(), meta.ctime_nsec()),
                inode: meta.ino(),
                device: meta.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {
                size: meta.len(),
                modified: meta.modified().ok(),
                changed: (0, 0),
                inode: 0,
                device: 0,
            }
        }
    }

    /// The stamp of `path` now (following symlinks), or `None` when it
    /// does not exist or cannot be inspected.
    pub(crate) fn read(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|meta| Self::of(&meta))
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The later of the modification and change times.
    fn latest_change(&self) -> Option<SystemTime> {
        let changed = u64::try_from(self.changed.0).ok().and_then(|secs| {
            let nanos = u32::try_from(self.changed.1).unwrap_or(0);
            SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
        });
        match (self.modified, changed) {
            (Some(m), Some(c)) => Some(m.max(c)),
            (m, c) => m.or(c),
        }
    }

    /// Whether this stamp, read at `taken_at`, may miss a change made in
    /// the same clock tick (or has no usable times at all).
    pub(crate) fn is_racy(&self, taken_at: SystemTime, window: Duration) -> bool {
        match self.latest_change() {
            Some(latest) => latest + window >= taken_at,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_file_is_racy_and_old_file_is_not() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        std::fs::write(&path, "x")?;
        let stamp = Stamp::read(&path);
        let now = SystemTime::now();
        assert!(stamp.is_some_and(|s| s.is_racy(now, Duration::from_secs(1))));
        let later = now + Duration::from_secs(10);
        assert!(stamp.is_some_and(|s| !s.is_racy(later, Duration::from_secs(1))));
        Ok(())
    }

    #[test]
    fn rewrite_with_new_mtime_changes_stamp() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        std::fs::write(&path, "abc")?;
        let before = Stamp::read(&path);
        std::fs::write(&path, "xyz")?;
        let file = std::fs::File::options().write(true).open(&path)?;
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))?;
        assert_ne!(before, Stamp::read(&path));
        Ok(())
    }
}
