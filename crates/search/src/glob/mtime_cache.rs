//! Modification times kept between Glob calls, invalidated by inotify.
//!
//! A warm Glob knows the file list (the engine's remembered walk) but still
//! needs every match's current modification time to sort: an edit in place
//! changes a file's mtime and nothing else a walk can see. Stat'ing every
//! match on every call is the largest cost of a warm call, so the engine
//! keeps the times it read and lets the kernel say which went stale.
//!
//! Why this is safe:
//! - a watch is added to a file's directory *before* the file is stat'ed,
//!   so any change after the stat queues an event;
//! - the kernel queues an event when the change happens (a `write`,
//!   `utimes`, `chmod`, rename or unlink has returned ⇒ its event is in
//!   the queue), and every call drains the queue before trusting a cached
//!   time;
//! - a queue overflow, a watched directory that is deleted, moved or
//!   unmounted, or a directory renamed or removed inside a watched one
//!   drops the affected times (overflow and directory moves: all of them);
//! - a file with more than one hard link is never cached (an edit through
//!   a link in another directory notifies that directory only);
//! - trees on network and FUSE file systems, where remote changes raise no
//!   events, are never cached; nor is anything when inotify is unavailable
//!   or out of watches: those calls simply stat.

use std::collections::HashMap;
use std::ffi::OsString;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustix::fd::OwnedFd;
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

/// The file systems whose changes may come from elsewhere without events
/// (`statfs` magic numbers): NFS, SMB/CIFS (two), FUSE, 9p, Ceph, AFS.
const REMOTE_FS: [i64; 8] = [
    0x6969,
    0x517B,
    0xFF53_4D42,
    0xFE53_4D42,
    0x6573_5546,
    0x0102_1997,
    0x00C3_6400,
    0x5346_414F,
];

/// What a directory watch reports that can change a file's time or its
/// place.
fn watch_flags() -> WatchFlags {
    WatchFlags::MODIFY
        | WatchFlags::ATTRIB
        | WatchFlags::CLOSE_WRITE
        | WatchFlags::CREATE
        | WatchFlags::DELETE
        | WatchFlags::MOVED_FROM
        | WatchFlags::MOVED_TO
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
        | WatchFlags::ONLYDIR
}

/// The engine's cache of modification times (one per [`SearchEngine`]).
///
/// [`SearchEngine`]: crate::SearchEngine
#[derive(Debug, Default)]
pub(crate) struct MtimeCache {
    state: std::sync::Mutex<Option<Watcher>>,
}

/// The inotify instance, its watches and the times they vouch for.
#[derive(Debug)]
pub(crate) struct Watcher {
    fd: OwnedFd,
    /// Watch descriptor → watched directory.
    dirs: HashMap<i32, PathBuf>,
    /// Watched directory (as bytes) → watch descriptor.
    wds: HashMap<OsString, i32>,
    /// File path (as bytes) → modification time, for files in watched
    /// directories only.
    times: HashMap<OsString, SystemTime>,
    /// Directories that could not be watched (out of watches, remote file
    /// system): their files are always stat'ed.
    unwatchable: std::collections::HashSet<OsString>,
    /// What the events applied since [`Watcher::take_stale`] last ran
    /// made stale, for the engine's other users of the watches (the warm
    /// Grep's vouched contents). A new watcher starts with `All`.
    stale: Vec<Stale>,
    /// Changes whenever a watch is lost (or the watcher is new), so that
    /// whoever watched a set of directories knows to watch them again.
    generation: u64,
}

/// What a batch of events says may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stale {
    /// Anything (queue overflow, a directory moved, a new watcher).
    All,
    /// Any file directly in this directory.
    Dir(PathBuf),
    /// This one path.
    File(PathBuf),
}

/// Distinct generations across every watcher of the process.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl MtimeCache {
    /// Runs `f` with the watcher, brought up to date with every event
    /// queued so far; `None` when inotify is unavailable.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&mut Watcher>) -> R) -> R {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.is_none() {
            *state = Watcher::new();
        }
        if let Some(watcher) = state.as_mut()
            && !watcher.drain()
        {
            // Could not read the queue: start over, trusting nothing.
            *state = Watcher::new();
        }
        f(state.as_mut())
    }
}

impl Watcher {
    fn new() -> Option<Self> {
        let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
        Some(Self {
            fd,
            dirs: HashMap::new(),
            wds: HashMap::new(),
            times: HashMap::new(),
            unwatchable: std::collections::HashSet::new(),
            stale: vec![Stale::All],
            generation: next_generation(),
        })
    }

    /// What went stale since the last call (see [`Stale`]).
    pub(crate) fn take_stale(&mut self) -> Vec<Stale> {
        std::mem::take(&mut self.stale)
    }

    /// Changes when any watch was lost since it was last read.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The cached time of `path`, valid as of the last drain.
    pub(crate) fn get(&self, path: &Path) -> Option<SystemTime> {
        self.times.get(path.as_os_str()).copied()
    }

    /// Makes sure `dir` is watched; false when it cannot be.
    pub(crate) fn watch(&mut self, dir: &Path) -> bool {
        if self.wds.contains_key(dir.as_os_str()) {
            return true;
        }
        if self.unwatchable.contains(dir.as_os_str()) {
            return false;
        }
        let remote = rustix::fs::statfs(dir)
            .map(|s| REMOTE_FS.contains(&s.f_type))
            .unwrap_or(true);
        let added = if remote {
            None
        } else {
            inotify::add_watch(&self.fd, dir, watch_flags()).ok()
        };
        match added {
            Some(wd) => {
                // A directory reached by two paths (a bind mount, a
                // symlinked root) gets one descriptor: keep the latest.
                if let Some(old) = self.dirs.insert(wd, dir.to_path_buf()) {
                    self.wds.remove(old.as_os_str());
                    // Events now name the new path: nothing vouches for
                    // the old one's files any more.
                    self.forget_times_in(&old);
                    self.generation = next_generation();
                }
                self.wds.insert(dir.as_os_str().to_os_string(), wd);
                true
            }
            None => {
                self.unwatchable.insert(dir.as_os_str().to_os_string());
                false
            }
        }
    }

    /// Remembers the time just read for `path`, if its directory is watched
    /// and it has a single link.
    pub(crate) fn insert(&mut self, path: &Path, modified: SystemTime, nlink: u32) {
        let watched = path
            .parent()
            .is_some_and(|dir| self.wds.contains_key(dir.as_os_str()));
        if watched && nlink == 1 {
            self.times.insert(path.as_os_str().to_os_string(), modified);
        }
    }

    /// Applies every queued event. False when the queue cannot be read.
    fn drain(&mut self) -> bool {
        let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
        let mut reader = inotify::Reader::new(&self.fd, &mut buf);
        let mut stale: Vec<(i32, ReadFlags, Option<Vec<u8>>)> = Vec::new();
        loop {
            match reader.next() {
                Ok(event) => stale.push((
                    event.wd(),
                    event.events(),
                    event.file_name().map(|n| n.to_bytes().to_vec()),
                )),
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return false,
            }
        }
        for (wd, flags, name) in stale {
            self.apply(wd, flags, name.as_deref());
        }
        true
    }

    fn apply(&mut self, wd: i32, flags: ReadFlags, name: Option<&[u8]>) {
        if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
            self.times.clear();
            self.stale.push(Stale::All);
            return;
        }
        let Some(dir) = self.dirs.get(&wd).cloned() else {
            return;
        };
        let gone =
            ReadFlags::IGNORED | ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::UNMOUNT;
        if flags.intersects(gone) {
            self.forget_dir(wd, &dir);
            return;
        }
        let moved_dir = flags.contains(ReadFlags::ISDIR)
            && flags.intersects(ReadFlags::MOVED_FROM | ReadFlags::MOVED_TO | ReadFlags::DELETE);
        if moved_dir {
            // Paths below it now name other files (or none): trust nothing.
            self.times.clear();
            self.stale.push(Stale::All);
            return;
        }
        match name {
            Some(name) => {
                let path = dir.join(std::ffi::OsStr::from_bytes(name));
                self.times.remove(path.as_os_str());
                self.stale.push(Stale::File(path));
            }
            None => self.forget_times_in(&dir),
        }
    }

    fn forget_dir(&mut self, wd: i32, dir: &Path) {
        self.dirs.remove(&wd);
        self.wds.remove(dir.as_os_str());
        self.forget_times_in(dir);
        self.generation = next_generation();
    }

    fn forget_times_in(&mut self, dir: &Path) {
        self.times
            .retain(|path, _| Path::new(path).parent() != Some(dir));
        self.stale.push(Stale::Dir(dir.to_path_buf()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::time::Duration;

    fn cached(cache: &MtimeCache, path: &Path) -> Option<SystemTime> {
        cache.with(|w| w.and_then(|w| w.get(path)))
    }

    fn remember(cache: &MtimeCache, path: &Path) -> std::io::Result<()> {
        let modified = std::fs::metadata(path)?.modified()?;
        cache.with(|w| {
            if let Some(w) = w {
                if let Some(dir) = path.parent() {
                    w.watch(dir);
                }
                w.insert(path, modified, 1);
            }
        });
        Ok(())
    }

    #[test]
    fn an_edit_a_touch_or_a_rename_drops_the_cached_time() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let a = dir.path().join("a");
        std::fs::write(&a, "a")?;
        let cache = MtimeCache::default();
        remember(&cache, &a)?;
        assert_eq!(cached(&cache, &a), std::fs::metadata(&a)?.modified().ok());
        std::fs::write(&a, "edited")?;
        assert_eq!(cached(&cache, &a), None);

        remember(&cache, &a)?;
        let file = std::fs::File::options().write(true).open(&a)?;
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(5))?;
        drop(file);
        assert_eq!(cached(&cache, &a), None);

        remember(&cache, &a)?;
        std::fs::rename(&a, dir.path().join("b"))?;
        assert_eq!(cached(&cache, &a), None);
        Ok(())
    }

    #[test]
    fn a_file_with_two_links_is_never_cached() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let a = dir.path().join("a");
        std::fs::write(&a, "a")?;
        let cache = MtimeCache::default();
        let modified = std::fs::metadata(&a)?.modified()?;
        cache.with(|w| {
            if let Some(w) = w {
                w.watch(dir.path());
                w.insert(&a, modified, 2);
            }
        });
        assert_eq!(cached(&cache, &a), None);
        Ok(())
    }

    #[test]
    fn moving_a_directory_drops_every_time() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("sub"))?;
        let a = dir.path().join("sub/a");
        let top = dir.path().join("top");
        std::fs::write(&a, "a")?;
        std::fs::write(&top, "t")?;
        let cache = MtimeCache::default();
        remember(&cache, &a)?;
        remember(&cache, &top)?;
        std::fs::rename(dir.path().join("sub"), dir.path().join("moved"))?;
        std::fs::create_dir(dir.path().join("sub"))?;
        std::fs::write(&a, "a new file at the old path")?;
        assert_eq!((cached(&cache, &a), cached(&cache, &top)), (None, None));
        Ok(())
    }
}
