//! Reading modification times cheaply: relative to an open directory.
//!
//! Sorting by mtime means one stat per matching file, and on a deep tree
//! most of a stat's cost is the kernel resolving every component of the
//! path again. Paths arrive grouped by directory (a walk yields a
//! directory's files together; the remembered walk is sorted by path), so
//! the reader keeps the last parent directory open (`O_PATH`) and stats
//! each file by its name alone. Profiling the warm Glob on the benchmark
//! corpora showed path lookup as the largest cost before this.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};

/// Stats files through the last directory it opened.
#[derive(Debug, Default)]
pub(crate) struct MtimeReader {
    dir: Option<(Vec<u8>, OwnedFd)>,
}

impl MtimeReader {
    /// The modification time of `path` when it is a regular file (not
    /// following a final symlink), or `None` when it is gone or is
    /// something else.
    pub(crate) fn regular_file_mtime(&mut self, path: &Path) -> Option<SystemTime> {
        self.regular_file(path).map(|(modified, _)| modified)
    }

    /// The modification time and hard link count of `path` when it is a
    /// regular file.
    pub(crate) fn regular_file(&mut self, path: &Path) -> Option<(SystemTime, u32)> {
        // Split at the last separator by bytes: `Path::parent` and path
        // equality parse components, which showed in profiles of a
        // fresh Glob of the kernel tree.
        let bytes = path.as_os_str().as_bytes();
        let Some(slash) = memchr::memrchr(b'/', bytes) else {
            return fallback(path);
        };
        let (parent, name) = (&bytes[..slash], &bytes[slash + 1..]);
        if name.is_empty() || name == b"." || name == b".." {
            return fallback(path);
        }
        let reuse = self
            .dir
            .as_ref()
            .is_some_and(|(open, _)| open.as_slice() == parent);
        if !reuse {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            // `/name` has the root as its parent.
            let dir = if parent.is_empty() {
                Path::new("/")
            } else {
                Path::new(OsStr::from_bytes(parent))
            };
            match rustix::fs::open(dir, flags, Mode::empty()) {
                Ok(fd) => self.dir = Some((parent.to_vec(), fd)),
                Err(_) => {
                    self.dir = None;
                    return fallback(path);
                }
            }
        }
        let (_, fd) = self.dir.as_ref()?;
        regular_at(fd, OsStr::from_bytes(name))
    }
}

/// The modification time and hard link count of `name` in the open
/// directory `dir` when it is a regular file (a final symlink is not
/// followed).
pub(crate) fn regular_at<P: rustix::path::Arg>(
    dir: impl AsFd,
    name: P,
) -> Option<(SystemTime, u32)> {
    let stat = rustix::fs::statx(
        dir,
        name,
        AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::TYPE | StatxFlags::MTIME | StatxFlags::NLINK,
    )
    .ok()?;
    if FileType::from_raw_mode(u32::from(stat.stx_mode)) != FileType::RegularFile {
        return None;
    }
    let nanos = Duration::from_nanos(u64::from(stat.stx_mtime.tv_nsec));
    let modified = match u64::try_from(stat.stx_mtime.tv_sec) {
        Ok(secs) => SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs) + nanos),
        // Before 1970: count back from the epoch.
        Err(_) => SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_secs(stat.stx_mtime.tv_sec.unsigned_abs()))?
            .checked_add(nanos),
    }?;
    Some((modified, stat.stx_nlink))
}

/// The plain stat by full path, for when the parent cannot be opened.
fn fallback(path: &Path) -> Option<(SystemTime, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)?;
    let nlink = u32::try_from(meta.nlink()).unwrap_or(u32::MAX);
    Some((meta.modified().ok()?, nlink))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn reads_the_same_time_as_std_and_skips_non_files() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let a = dir.path().join("a.txt");
        let b = dir.path().join("sub/b.txt");
        std::fs::create_dir(dir.path().join("sub"))?;
        std::fs::write(&a, "a")?;
        std::fs::write(&b, "b")?;
        let old = SystemTime::UNIX_EPOCH + Duration::new(1_234_567, 890);
        std::fs::File::options()
            .write(true)
            .open(&b)?
            .set_modified(old)?;
        std::os::unix::fs::symlink(&a, dir.path().join("link"))?;
        let mut reader = MtimeReader::default();
        let got = [
            reader.regular_file_mtime(&a),
            reader.regular_file_mtime(&b),
            reader.regular_file_mtime(&dir.path().join("link")),
            reader.regular_file_mtime(&dir.path().join("sub")),
            reader.regular_file_mtime(&dir.path().join("gone")),
        ];
        let want = [
            std::fs::metadata(&a)?.modified().ok(),
            Some(old),
            None,
            None,
            None,
        ];
        assert_eq!(got, want);
        Ok(())
    }
}
