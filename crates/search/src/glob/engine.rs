//! Glob on a long-lived [`SearchEngine`]: the file list comes from the
//! engine's remembered walk, so repeated calls skip the directory reads.
//!
//! The remembered walk is reused only while every directory and ignore
//! file it depends on has its recorded stamp (`snapshot.rs`), so an added
//! or deleted file is never missed. Modification times are not cached: an
//! edit in place changes a file's mtime but not its directory's, and the
//! order of the results depends on it, so every matching file is stat'ed
//! on every call (in parallel).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::glob::mtime::MtimeReader;
use crate::glob::search::{Found, finish, resolve_root};
use crate::glob::{GlobError, GlobOutput, GlobPattern, GlobQuery};
use crate::limits::{Control, SearchLimits};
use crate::walk::{WalkEntry, WalkFilter};
use crate::{SearchEngine, SearchError};

/// Files a thread claims at a time from the shared list.
const CHUNK: usize = 512;

impl SearchEngine {
    /// Runs one Glob call, reusing the engine's remembered walk of the
    /// search root when it is still current (the same walk a Grep of that
    /// root without globs or type uses).
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
        let found = match_and_stat(&walk.files, &pattern, &control, self.config().threads);
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

/// Matches `files` against `pattern` and reads the modification time of
/// each match, on `threads` threads claiming chunks of the list.
fn match_and_stat(
    files: &[WalkEntry],
    pattern: &GlobPattern,
    control: &Control,
    threads: usize,
) -> Vec<Found> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let all: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let work = || {
        let mut local: Vec<Found> = Vec::new();
        let mut mtimes = MtimeReader::default();
        loop {
            let start = next.fetch_add(CHUNK, std::sync::atomic::Ordering::Relaxed);
            if start >= files.len() || control.should_stop() {
                break;
            }
            let end = (start + CHUNK).min(files.len());
            for entry in &files[start..end] {
                if !pattern.is_match_below_root(&entry.relative) {
                    continue;
                }
                // Deleted since the walk was validated: skipped.
                let Some(modified) = mtimes.regular_file_mtime(&entry.path) else {
                    continue;
                };
                local.push((modified, PathBuf::from(&entry.path)));
                if control.has_budget() && !control.add_results(1) {
                    break;
                }
            }
        }
        all.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(&mut local);
    };
    if threads <= 1 || files.len() <= CHUNK {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
    all.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
