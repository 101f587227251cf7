//! Glob on a long-lived [`SearchEngine`]: the file list comes from the
//! engine's remembered walk, so repeated calls skip the directory reads.
//!
//! The remembered walk is reused only while every directory and ignore
//! file it depends on has its recorded stamp (`snapshot.rs`), so an added
//! or deleted file is never missed. Modification times come from the
//! engine's [`MtimeCache`](super::MtimeCache) when inotify vouches for
//! them, else from a stat (made in parallel, relative to the open parent).

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use crate::glob::mtime::MtimeReader;
use crate::glob::mtime_cache::Watcher;
use crate::glob::search::{Found, finish, resolve_root};
use crate::glob::{GlobError, GlobOutput, GlobPattern, GlobQuery};
use crate::limits::{Control, SearchLimits};
use crate::pool::Pool;
use crate::walk::{WalkEntry, WalkFilter};
use crate::{SearchEngine, SearchError};

/// Entries a thread claims at a time from a shared list.
const CHUNK: usize = 512;

/// Lists shorter than this are handled on the calling thread: matching a
/// few thousand cached entries takes well under a millisecond, while
/// starting threads on a busy machine can wait several milliseconds for a
/// core (measured on the small corpus at load ~4: 1 ms inline, 8 ms with
/// two spawned threads).
const PARALLEL_FROM: usize = 8 * 1024;

impl SearchEngine {
    /// Runs one Glob call, reusing the engine's remembered walk of the
    /// search root when it is still current (the same walk a Grep of that
    /// root without globs or type uses) and the modification times it read
    /// before when no change was reported since.
    ///
    /// # Errors
    /// As [`crate::glob::glob`].
    pub fn glob(&self, query: &GlobQuery, limits: &SearchLimits) -> Result<GlobOutput, GlobError> {
        let pattern = GlobPattern::with_case(&query.pattern, query.case)?;
        let root = resolve_root(&pattern, query.path.as_deref())?;
        let walk = self
            .walk(&root, &WalkFilter::new(), limits)
            .map_err(|e| walk_error(&root, &e))?;
        let control = Control::new(limits);
        let pool = &self.pool;
        let watch = self.config().watch_changes;
        let found = self.with_watcher(|watcher| match watcher.filter(|_| watch) {
            Some(watcher) => cached_times(&walk.files, &pattern, &control, pool, watcher),
            None => {
                let (_, unknown) = matching(&walk.files, &pattern, &control, pool, None);
                stat_all(&unknown, &control, pool)
                    .into_iter()
                    .map(|(i, modified, _)| (modified, unknown[i].path().to_path_buf()))
                    .collect()
            }
        });
        if control.has_budget() {
            control.add_results(found.len());
        }
        let mut out = finish(found, query.limit, &control, limits);
        out.partial = out.partial.or(walk.partial);
        out.walk_reused = walk.reused;
        Ok(out)
    }
}

fn walk_error(root: &Path, error: &SearchError) -> GlobError {
    GlobError::Root {
        root: root.to_path_buf(),
        reason: error.to_string(),
    }
}

/// The matches of `files`, split into those whose time `watcher` holds
/// (returned with it) and those that need a stat.
fn matching<'f>(
    files: &'f [WalkEntry],
    pattern: &GlobPattern,
    control: &Control,
    pool: &Pool,
    watcher: Option<&Watcher>,
) -> (Vec<Found>, Vec<&'f WalkEntry>) {
    let next = AtomicUsize::new(0);
    let all: Mutex<(Vec<Found>, Vec<&'f WalkEntry>)> = Mutex::new((Vec::new(), Vec::new()));
    let work = || {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= files.len() || control.should_stop() {
                break;
            }
            for entry in &files[start..(start + CHUNK).min(files.len())] {
                if !pattern.is_match_below_root(entry.relative()) {
                    continue;
                }
                match watcher.and_then(|w| w.get(entry.path())) {
                    Some(modified) => known.push((modified, entry.path().to_path_buf())),
                    None => unknown.push(entry),
                }
            }
        }
        let mut all = all
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.0.append(&mut known);
        all.1.append(&mut unknown);
    };
    run_on(pool, files.len(), work);
    let (known, mut unknown) = all
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Grouped by directory again, so the stats reuse open parents.
    unknown.sort_unstable();
    (known, unknown)
}

/// Stats `entries` in parallel: (index, time, link count) of each that is
/// still a regular file.
fn stat_all(
    entries: &[&WalkEntry],
    control: &Control,
    pool: &Pool,
) -> Vec<(usize, SystemTime, u32)> {
    let next = AtomicUsize::new(0);
    let all = Mutex::new(Vec::new());
    let work = || {
        let mut local = Vec::new();
        let mut reader = MtimeReader::default();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= entries.len() || control.should_stop() {
                break;
            }
            for (i, entry) in entries
                .iter()
                .enumerate()
                .take((start + CHUNK).min(entries.len()))
                .skip(start)
            {
                // Deleted since the walk was validated: skipped.
                if let Some((modified, nlink)) = reader.regular_file(entry.path()) {
                    local.push((i, modified, nlink));
                }
            }
        }
        all.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(&mut local);
    };
    run_on(pool, entries.len(), work);
    all.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Matches through the cache: known times as they are; the rest get their
/// directory watched first, then a stat, then a place in the cache.
fn cached_times(
    files: &[WalkEntry],
    pattern: &GlobPattern,
    control: &Control,
    pool: &Pool,
    watcher: &mut Watcher,
) -> Vec<Found> {
    let (mut found, unknown) = matching(files, pattern, control, pool, Some(watcher));
    let mut last_dir: Option<&Path> = None;
    for entry in &unknown {
        let dir = entry.path().parent();
        if dir != last_dir {
            if let Some(dir) = dir {
                watcher.watch(dir);
            }
            last_dir = dir;
        }
    }
    for (i, modified, nlink) in stat_all(&unknown, control, pool) {
        let path = unknown[i].path();
        watcher.insert(path, modified, nlink);
        found.push((modified, path.to_path_buf()));
    }
    found
}

/// Runs `work` on the engine's threads, or inline for short lists.
fn run_on(pool: &Pool, len: usize, work: impl Fn() + Sync) {
    if pool.threads() <= 1 || len < PARALLEL_FROM {
        work();
    } else {
        pool.run(pool.threads().min(len.div_ceil(CHUNK)), work);
    }
}
