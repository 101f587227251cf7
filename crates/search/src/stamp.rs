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
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags};

/// The identity of a file or directory at one moment. Times are kept as
/// the raw (seconds, nanoseconds) the kernel reports, so a stamp read by
/// `statx` and one read by `fstat` compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
    device: u64,
    links: u32,
}

impl Stamp {
    pub(crate) fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            size: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
            links: u32::try_from(meta.nlink()).unwrap_or(u32::MAX),
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

    /// The number of hard links (a file with more than one can change
    /// through a directory nobody watches).
    pub(crate) fn links(&self) -> u32 {
        self.links
    }

    /// The later of the modification and change times.
    fn latest_change(&self) -> Option<SystemTime> {
        let time = |(secs, nanos): (i64, i64)| {
            let secs = u64::try_from(secs).ok()?;
            let nanos = u32::try_from(nanos).ok()?;
            SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
        };
        match (time(self.modified), time(self.changed)) {
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

/// Reads stamps relative to open parent directories.
///
/// Most of a stat by full path is the kernel resolving every component
/// again. Files arrive sorted by path (the remembered walk's order), so the
/// reader keeps the chain of directories from the first one it opened down
/// to the current parent open (`O_PATH`), opens each new directory
/// relative to its parent, and stats each file by its name alone: every
/// lookup is one component.
#[derive(Debug, Default)]
pub(crate) struct StampReader {
    open: Vec<(PathBuf, OwnedFd)>,
}

impl StampReader {
    /// The stamp of `path` now (following symlinks), as [`Stamp::read`].
    pub(crate) fn read(&mut self, path: &Path) -> Option<Stamp> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Stamp::read(path);
        };
        if parent.as_os_str().is_empty() || self.enter(parent).is_none() {
            return Stamp::read(path);
        }
        let (_, fd) = self.open.last()?;
        let stat = rustix::fs::statx(fd, name, AtFlags::empty(), StatxFlags::BASIC_STATS).ok()?;
        Some(Stamp {
            size: stat.stx_size,
            modified: (stat.stx_mtime.tv_sec, i64::from(stat.stx_mtime.tv_nsec)),
            changed: (stat.stx_ctime.tv_sec, i64::from(stat.stx_ctime.tv_nsec)),
            inode: stat.stx_ino,
            device: rustix::fs::makedev(stat.stx_dev_major, stat.stx_dev_minor),
            links: stat.stx_nlink,
        })
    }

    /// Makes `dir` the innermost open directory.
    fn enter(&mut self, dir: &Path) -> Option<()> {
        // Most files share the parent of the previous one: compare bytes
        // before anything component-wise.
        if self
            .open
            .last()
            .is_some_and(|(open, _)| open.as_os_str() == dir.as_os_str())
        {
            return Some(());
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        while self
            .open
            .last()
            .is_some_and(|(open, _)| !dir.starts_with(open))
        {
            self.open.pop();
        }
        let Some((base, _)) = self.open.last() else {
            let fd = rustix::fs::open(dir, flags, Mode::empty()).ok()?;
            self.open.push((dir.to_path_buf(), fd));
            return Some(());
        };
        let rest = dir.strip_prefix(base).ok()?.to_path_buf();
        for part in rest.components() {
            let (base, fd) = self.open.last()?;
            let child = rustix::fs::openat(fd, part.as_os_str(), flags, Mode::empty());
            match child {
                Ok(child) => {
                    let path = base.join(part);
                    self.open.push((path, child));
                }
                Err(_) => {
                    self.open.clear();
                    return None;
                }
            }
        }
        Some(())
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
    fn reader_relative_to_directory_agrees_with_fstat() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut reader = StampReader::default();
        std::fs::create_dir_all(dir.path().join("x/y"))?;
        std::fs::create_dir_all(dir.path().join("z"))?;
        for name in ["a", "b", "x/c", "x/y/d", "x/y/e", "x/f", "z/g", "h"] {
            let path = dir.path().join(name);
            std::fs::write(&path, name.repeat(7))?;
            let file = std::fs::File::open(&path)?;
            assert_eq!(reader.read(&path), Some(Stamp::of(&file.metadata()?)));
            assert_eq!(reader.read(&path), Stamp::read(&path));
        }
        assert_eq!(reader.read(&dir.path().join("missing")), None);
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
