//! Cached file contents the kernel vouches for, so that a warm Grep can
//! skip their stat.
//!
//! Validating a cached file means one `statx` per file per call, and on a
//! tree of a few thousand files that stat was half of a warm call's time.
//! The engine already watches directories with inotify for Glob's
//! modification times (`glob/mtime_cache.rs`); a warm Grep reuses those
//! watches: once every directory holding a file of the remembered walk is
//! watched, a cached file whose stat matched its stamp is marked
//! *vouched*, and later calls search a vouched file without a stat until
//! an event names it.
//!
//! Why a vouched file is current:
//! - the watches exist before the stat that vouches, so any change after
//!   that stat queues an event (a write, truncate, `utimes`, `chmod`,
//!   rename or unlink has returned ⇒ its event is queued), and every call
//!   drains the queue and clears what the events name before it trusts a
//!   flag; a change before the stat shows in the stat (the cached stamp is
//!   never racy);
//! - a drain that reports anything bumps a counter *before* clearing
//!   flags, and a thread that vouches re-reads the counter after setting
//!   the flag and takes it back when the counter moved since before its
//!   stat, so a concurrent call's drain can never be overtaken;
//! - a lost watch, a queue overflow, a moved directory or a new inotify
//!   instance clears every affected flag and makes the next call watch
//!   the directories again; a vouch also carries the watcher generation
//!   it was made in, and a lost watch (or a directory watched under a
//!   second path) starts a new generation, so a vouch made by a call that
//!   was still running when that happened is void;
//! - files with more than one hard link are never vouched, nor are files
//!   on network or FUSE file systems (their directories are unwatchable),
//!   nor anything when [`EngineConfig::watch_changes`] is off.
//!
//! What inotify cannot see, and the stamp would: a write through a shared
//! writable `mmap` (no event), and an edit through a hard link created
//! later in another directory. The Glob time cache has the same limits;
//! turn [`EngineConfig::watch_changes`] off where that matters.
//!
//! [`EngineConfig::watch_changes`]: crate::EngineConfig::watch_changes

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::glob::{Stale, Watcher};
use crate::walk::WalkEntry;

/// A snapshot generation meaning "cannot be watched".
const UNWATCHABLE: u64 = u64::MAX;

/// One cached file's vouch: the watcher generation it was made in (0:
/// none). A vouch from an older generation is void, so a watch lost or
/// moved to another path while a call was vouching can never leave a
/// flag that a later generation trusts.
#[derive(Debug, Default)]
pub(crate) struct Vouch(AtomicU64);

impl Vouch {
    /// Whether the file is vouched for in `generation`.
    pub(crate) fn holds(&self, generation: u64) -> bool {
        generation != 0 && self.0.load(Ordering::SeqCst) == generation
    }

    fn clear(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// The engine's vouching state: a counter of drains that reported
/// changes.
#[derive(Debug, Default)]
pub(crate) struct Vouchers {
    changes: AtomicU64,
}

impl Vouchers {
    /// Clears the flags of everything `stale` names: `get` finds one
    /// cached file's flag by path, `all` yields every cached file's.
    pub(crate) fn apply<'a>(
        &self,
        stale: &[Stale],
        get: impl Fn(&Path) -> Option<&'a Vouch>,
        all: impl Iterator<Item = (&'a Path, &'a Vouch)>,
    ) {
        if stale.is_empty() {
            return;
        }
        self.changes.fetch_add(1, Ordering::SeqCst);
        let mut dirs = Vec::new();
        let mut everything = false;
        for item in stale {
            match item {
                Stale::All => everything = true,
                Stale::Dir(dir) => dirs.push(dir.as_path()),
                Stale::File(path) => {
                    if let Some(flag) = get(path) {
                        flag.clear();
                    }
                }
            }
        }
        if everything || !dirs.is_empty() {
            for (path, flag) in all {
                if everything || path.parent().is_some_and(|p| dirs.contains(&p)) {
                    flag.clear();
                }
            }
        }
    }

    /// Taken before the stat that may vouch for a file.
    pub(crate) fn ticket(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Marks `flag` vouched in `generation`, unless a drain reported
    /// changes since `ticket` was taken.
    pub(crate) fn vouch(&self, ticket: u64, flag: &Vouch, generation: u64) {
        flag.0.store(generation, Ordering::SeqCst);
        if self.changes.load(Ordering::SeqCst) != ticket {
            flag.clear();
        }
    }
}

/// Watches every directory that holds one of `files` (once per watcher
/// generation, recorded in `watched`); the generation when all of them
/// are watched now, so their files may be vouched for in it.
pub(crate) fn watch_parents(
    files: &[WalkEntry],
    watched: &AtomicU64,
    watcher: &mut Watcher,
) -> Option<u64> {
    let generation = watcher.generation();
    match watched.load(Ordering::Relaxed) {
        UNWATCHABLE => return None,
        done if done == generation => return Some(generation),
        _ => {}
    }
    let mut all = true;
    let mut last: Option<&[u8]> = None;
    for entry in files {
        let bytes = entry.path().as_os_str().as_bytes();
        let Some(slash) = memchr::memrchr(b'/', bytes) else {
            all = false;
            break;
        };
        let parent = &bytes[..slash.max(1)];
        if last == Some(parent) {
            continue;
        }
        last = Some(parent);
        if !watcher.watch(Path::new(OsStr::from_bytes(parent))) {
            all = false;
            break;
        }
    }
    // A generation that moved while watching means two of these
    // directories are one (a bind mount): never vouch there.
    if all && watcher.generation() == generation {
        watched.store(generation, Ordering::Relaxed);
        Some(generation)
    } else {
        watched.store(UNWATCHABLE, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_drain_between_ticket_and_vouch_takes_the_vouch_back() {
        let vouchers = Vouchers::default();
        let flag = Vouch::default();
        let ticket = vouchers.ticket();
        vouchers.vouch(ticket, &flag, 7);
        assert!(flag.holds(7));
        // A vouch from another generation is void.
        assert!(!flag.holds(8));

        // A change reported after the stat (ticket) but before the vouch:
        // the vouch must not stick.
        let ticket = vouchers.ticket();
        let other = Vouch::default();
        vouchers.apply(
            &[Stale::File(PathBuf::from("/t/elsewhere"))],
            |_| None,
            std::iter::empty(),
        );
        vouchers.vouch(ticket, &other, 7);
        assert!(!other.holds(7));
        // Nothing stale: the counter stays, a vouch sticks.
        vouchers.apply(&[], |_| None, std::iter::empty());
        let ticket = vouchers.ticket();
        vouchers.vouch(ticket, &other, 7);
        assert!(other.holds(7));
    }

    #[test]
    fn stale_entries_clear_the_files_they_name() {
        let vouchers = Vouchers::default();
        let paths = [
            PathBuf::from("/t/a"),
            PathBuf::from("/t/d/b"),
            PathBuf::from("/t/d/c"),
            PathBuf::from("/t/e/f"),
        ];
        let flags: Vec<Vouch> = paths.iter().map(|_| Vouch(AtomicU64::new(3))).collect();
        let get = |path: &Path| paths.iter().position(|p| p == path).map(|i| &flags[i]);
        let all = || paths.iter().map(PathBuf::as_path).zip(flags.iter());
        let state = || flags.iter().map(|f| f.holds(3)).collect::<Vec<_>>();
        vouchers.apply(&[Stale::File(PathBuf::from("/t/a"))], get, all());
        assert_eq!(state(), [false, true, true, true]);
        vouchers.apply(&[Stale::Dir(PathBuf::from("/t/d"))], get, all());
        assert_eq!(state(), [false, false, false, true]);
        vouchers.apply(&[Stale::All], get, all());
        assert_eq!(state(), [false; 4]);
    }
}
