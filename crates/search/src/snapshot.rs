//! A remembered walk: the files a walk found, plus the stamps of every
//! directory and ignore file whose change could change that list.
//!
//! A file added to or removed from a walked directory changes that
//! directory's modification time; an edited `.gitignore`, `.ignore`,
//! `.rgignore` or `.git/info/exclude` changes its own stamp; in the
//! parents of the root those names are watched one by one; and the
//! global git excludes are watched through the git config files that name
//! them. If any watched stamp differs (or is racy) the walk is redone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::path_order::cmp_paths;
use crate::pool::Pool;
use crate::stamp::{Stamp, StampReader};
use crate::walk::WalkEntry;

/// Per-directory ignore files (rg reads `.rgignore` too).
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".rgignore"];

/// One watched path and what it was.
#[derive(Debug, Clone)]
pub(crate) struct Watched {
    path: PathBuf,
    stamp: Option<Stamp>,
}

impl Watched {
    fn now(path: PathBuf) -> Self {
        let stamp = Stamp::read(&path);
        Self { path, stamp }
    }

    /// Whether the path still has its recorded stamp, read relative to
    /// the directories `reader` holds open.
    fn unchanged(&self, reader: &mut StampReader) -> bool {
        reader.read(&self.path) == self.stamp
    }
}

/// Records a directory and the ignore-related files in it.
pub(crate) fn watch_dir(dir: &Path, out: &mut Vec<Watched>) {
    out.push(Watched::now(dir.to_path_buf()));
    for name in IGNORE_FILES {
        let watched = Watched::now(dir.join(name));
        // A missing ignore file that appears changes the directory's
        // stamp, so only existing ones need their own entry.
        if watched.stamp.is_some() {
            out.push(watched);
        }
    }
    let git = dir.join(".git");
    if std::fs::symlink_metadata(&git).is_ok() {
        out.push(Watched::now(git.join("info")));
        out.push(Watched::now(git.join("info").join("exclude")));
    }
}

/// Records the parents of `root` (their ignore files apply too) and the
/// global git configuration.
pub(crate) fn watch_outside(root: &Path, out: &mut Vec<Watched>) {
    let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    // A parent's own stamp changes whenever a sibling of the root comes or
    // goes (think of `/tmp`), so watch only the names that matter there,
    // present or absent.
    for parent in absolute.ancestors().skip(1) {
        for name in IGNORE_FILES {
            out.push(Watched::now(parent.join(name)));
        }
        let git = parent.join(".git");
        out.push(Watched::now(git.clone()));
        if std::fs::symlink_metadata(&git).is_ok() {
            out.push(Watched::now(git.join("info")));
            out.push(Watched::now(git.join("info").join("exclude")));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let Some(global) = std::env::var_os("GIT_CONFIG_GLOBAL") {
        out.push(Watched::now(PathBuf::from(global)));
    }
    if let Some(home) = &home {
        out.push(Watched::now(home.join(".gitconfig")));
    }
    if let Some(xdg) = &xdg {
        out.push(Watched::now(xdg.join("git").join("config")));
        out.push(Watched::now(xdg.join("git").join("ignore")));
    }
    if let Some(excludes) = ignore::gitignore::gitconfig_excludes_path() {
        out.push(Watched::now(excludes));
    }
}

/// A walk that can be reused while nothing it depends on changed.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) files: Arc<[WalkEntry]>,
    watched: Vec<Watched>,
    /// The inotify generation in which the directories of `files` were
    /// all watched (0: not yet; see `vouch.rs`).
    pub(crate) inotify: AtomicU64,
}

impl Snapshot {
    /// A snapshot of `files`, or `None` when a watched stamp is racy
    /// (changed so recently, relative to `taken_at`, that a change in the
    /// same clock tick could go unseen).
    pub(crate) fn new(
        files: Arc<[WalkEntry]>,
        watched: Vec<Watched>,
        taken_at: SystemTime,
        racy_window: Duration,
    ) -> Option<Self> {
        let racy = watched.iter().any(|w| {
            w.stamp
                .is_some_and(|stamp| stamp.is_racy(taken_at, racy_window))
        });
        if racy {
            return None;
        }
        // In path order, so that checking them walks each directory chain
        // once (the stamp reader keeps parents open).
        let mut watched = watched;
        watched.sort_unstable_by(|a, b| cmp_paths(&a.path, &b.path));
        Some(Self {
            files,
            watched,
            inotify: AtomicU64::new(0),
        })
    }

    /// Whether every watched path still has its recorded stamp.
    pub(crate) fn is_current(&self, pool: &Pool) -> bool {
        // A relative stat costs about a microsecond; starting threads for
        // fewer than this many costs more than it saves (and on a busy
        // machine a new thread can wait milliseconds for a core).
        const PARALLEL_FROM: usize = 4096;
        let all_unchanged = |part: &[Watched]| {
            let mut reader = StampReader::default();
            part.iter().all(|w| w.unchanged(&mut reader))
        };
        if self.watched.len() < PARALLEL_FROM || pool.threads() < 2 {
            return all_unchanged(&self.watched);
        }
        // Threads claim chunks in order, so each one's reader still walks
        // directory chains forward.
        const CHUNK: usize = 512;
        let next = AtomicUsize::new(0);
        let changed = AtomicBool::new(false);
        let results = pool.run(pool.threads(), || {
            loop {
                let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                if start >= self.watched.len() || changed.load(Ordering::Relaxed) {
                    return;
                }
                let part = &self.watched[start..(start + CHUNK).min(self.watched.len())];
                if !all_unchanged(part) {
                    changed.store(true, Ordering::Relaxed);
                    return;
                }
            }
        });
        // A thread that failed would have left its part unchecked.
        results.len() == pool.threads() && !changed.load(Ordering::Relaxed)
    }
}
