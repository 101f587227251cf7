//! Running a Glob query: a parallel, ignore-aware walk, then the sort.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Instant, SystemTime};

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::glob::{GlobError, GlobOutput, GlobPattern, GlobQuery, Partial};

/// One matching file and its modification time.
pub(crate) type Found = (SystemTime, PathBuf);

/// Runs `query` with a fresh walk of the file system.
///
/// # Errors
/// [`GlobError::InvalidPattern`] for a pattern that does not compile,
/// [`GlobError::Root`] when the search root is missing or not a directory.
pub fn glob(query: &GlobQuery) -> Result<GlobOutput, GlobError> {
    let pattern = GlobPattern::with_case(&query.pattern, query.case)?;
    let root = resolve_root(&pattern, query.path.as_deref())?;
    let (found, partial) = walk(&root, &pattern, query);
    Ok(finish(found, query.limit, partial))
}

/// The directory to walk: the query path (or the working directory)
/// joined with the pattern's base, checked to be a directory.
pub(crate) fn resolve_root(
    pattern: &GlobPattern,
    path: Option<&Path>,
) -> Result<PathBuf, GlobError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if pattern.is_absolute() => PathBuf::from("/"),
        None => std::env::current_dir().map_err(|e| GlobError::Root {
            root: PathBuf::from("."),
            reason: format!("the working directory is unavailable: {e}"),
        })?,
    };
    let root = pattern.search_root(&path);
    match std::fs::metadata(&root) {
        Ok(meta) if meta.is_dir() => Ok(root),
        Ok(_) => Err(GlobError::Root {
            root,
            reason: "not a directory".to_string(),
        }),
        Err(e) => Err(GlobError::Root {
            root,
            reason: e.to_string(),
        }),
    }
}

/// Sorts newest first (ties by path, so equal times give a stable order)
/// and applies the limit.
pub(crate) fn finish(
    mut found: Vec<Found>,
    limit: Option<usize>,
    partial: Option<Partial>,
) -> GlobOutput {
    let total_matches = found.len();
    let keep = limit.unwrap_or(usize::MAX).min(total_matches);
    let newest_first = |a: &Found, b: &Found| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1));
    if keep < total_matches {
        // Only the first `keep` need to be in order.
        if keep > 0 {
            found.select_nth_unstable_by(keep - 1, newest_first);
        }
        found.truncate(keep);
    }
    found.sort_unstable_by(newest_first);
    GlobOutput {
        files: found.into_iter().map(|(_, path)| path).collect(),
        total_matches,
        truncated: keep < total_matches,
        partial,
    }
}

/// A walk builder with rg's and fd's filters: hidden entries skipped,
/// `.gitignore` (inside a git repository), `.ignore`, git's exclude files,
/// parents' ignore files, symlinks not followed.
pub(crate) fn walk_builder(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(true)
        .follow_links(false)
        .threads(threads());
    builder
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// What every walker thread shares.
struct Shared<'a> {
    root: &'a Path,
    pattern: &'a GlobPattern,
    deadline: Option<Instant>,
    budget: Option<usize>,
    matched: AtomicUsize,
    stop: AtomicBool,
    partial: Mutex<Option<Partial>>,
    found: Mutex<Vec<Found>>,
}

impl Shared<'_> {
    fn stop_with(&self, why: Partial) {
        self.stop.store(true, Ordering::Relaxed);
        if let Ok(mut partial) = self.partial.lock() {
            partial.get_or_insert(why);
        }
    }
}

/// One walker thread: collects locally, hands its files over when dropped.
struct Visitor<'a, 's> {
    shared: &'s Shared<'a>,
    found: Vec<Found>,
    seen: u32,
}

impl ParallelVisitor for Visitor<'_, '_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let shared = self.shared;
        if shared.stop.load(Ordering::Relaxed) {
            return WalkState::Quit;
        }
        self.seen = self.seen.wrapping_add(1);
        if let Some(deadline) = shared.deadline {
            // Reading the clock costs ~20 ns; the first entry and every 32nd
            // after it are checked.
            if self.seen % 32 == 1 && Instant::now() >= deadline {
                shared.stop_with(Partial::Deadline);
                return WalkState::Quit;
            }
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::debug!(%error, "glob: skipping an entry the walk could not read");
                return WalkState::Continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return WalkState::Continue;
        }
        let Ok(relative) = entry.path().strip_prefix(shared.root) else {
            return WalkState::Continue;
        };
        if !shared.pattern.is_match_below_root(relative) {
            return WalkState::Continue;
        }
        // A file that vanished between readdir and stat is skipped.
        let Some(modified) = entry.metadata().ok().and_then(|m| m.modified().ok()) else {
            return WalkState::Continue;
        };
        if let Some(budget) = shared.budget {
            if shared.matched.fetch_add(1, Ordering::Relaxed) >= budget {
                shared.stop_with(Partial::Budget);
                return WalkState::Quit;
            }
        }
        self.found.push((modified, entry.into_path()));
        WalkState::Continue
    }
}

impl Drop for Visitor<'_, '_> {
    fn drop(&mut self) {
        if let Ok(mut all) = self.shared.found.lock() {
            all.append(&mut self.found);
        }
    }
}

struct Builder<'a, 's> {
    shared: &'s Shared<'a>,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'_, 's> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            shared: self.shared,
            found: Vec::new(),
            seen: 0,
        })
    }
}

/// Walks `root` in parallel and returns the matching files, unsorted.
fn walk(root: &Path, pattern: &GlobPattern, query: &GlobQuery) -> (Vec<Found>, Option<Partial>) {
    let shared = Shared {
        root,
        pattern,
        deadline: query.deadline,
        budget: query.budget,
        matched: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        partial: Mutex::new(None),
        found: Mutex::new(Vec::new()),
    };
    if query.budget == Some(0) {
        return (Vec::new(), Some(Partial::Budget));
    }
    walk_builder(root)
        .build_parallel()
        .visit(&mut Builder { shared: &shared });
    let partial = shared.partial.into_inner().ok().flatten();
    let found = shared.found.into_inner().unwrap_or_default();
    (found, partial)
}
