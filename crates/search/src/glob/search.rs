//! Running a Glob query: a parallel, ignore-aware walk, then the sort.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};

use crate::glob::dirwalk;
use crate::glob::mtime::MtimeReader;
use crate::glob::{GlobError, GlobOutput, GlobPattern, GlobQuery};
use crate::limits::{Control, PartialReason, SearchLimits};
use crate::walk::{WalkFilter, WalkPlan, default_threads, relative_start};

/// One matching file and its modification time.
pub(crate) type Found = (SystemTime, PathBuf);

/// Runs `query` with a fresh walk of the file system (what one
/// `fd --type f` process does, plus the sort by modification time).
///
/// # Errors
/// [`GlobError::InvalidPattern`] for a pattern that does not compile,
/// [`GlobError::Root`] when the search root is missing or not a directory.
pub fn glob(query: &GlobQuery, limits: &SearchLimits) -> Result<GlobOutput, GlobError> {
    let pattern = GlobPattern::with_case(&query.pattern, query.case)?;
    let root = resolve_root(&pattern, query.path.as_deref())?;
    let control = Control::new(limits);
    if control.has_budget() && !control.add_results(0) {
        return Ok(finish(Vec::new(), query.limit, &control, limits));
    }
    if let Some(found) = dirwalk::walk(&root, &pattern, &control) {
        return Ok(finish_sorted(found, query.limit, &control, limits));
    }
    // The fast walker gave up (a relative root, no descriptors left):
    // walk again with the crate, counting limits afresh.
    let control = Control::new(limits);
    let found = crate_walk(&root, &pattern, &control)?;
    Ok(finish(found, query.limit, &control, limits))
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

/// Sorts newest first (in the order of [`newest_first`]) and applies
/// the limit. A budget that stopped the walk caps the files at the budget
/// (threads racing past it may find a few more).
pub(crate) fn finish(
    mut found: Vec<Found>,
    limit: Option<usize>,
    control: &Control,
    limits: &SearchLimits,
) -> GlobOutput {
    cap_at_budget(&mut found, control, limits);
    let keep = limit.unwrap_or(usize::MAX).min(found.len());
    if keep < found.len() && keep > 0 {
        // Only the first `keep` need to be in order.
        found.select_nth_unstable_by(keep - 1, newest_first);
    }
    found[..keep].sort_unstable_by(newest_first);
    output(found, keep, control)
}

/// [`finish`] for files already in the order of [`newest_first`] (a cap
/// at the budget then keeps the newest).
pub(crate) fn finish_sorted(
    mut found: Vec<Found>,
    limit: Option<usize>,
    control: &Control,
    limits: &SearchLimits,
) -> GlobOutput {
    cap_at_budget(&mut found, control, limits);
    let keep = limit.unwrap_or(usize::MAX).min(found.len());
    output(found, keep, control)
}

fn cap_at_budget(found: &mut Vec<Found>, control: &Control, limits: &SearchLimits) {
    if control.partial() == Some(PartialReason::Budget)
        && let Some(max) = limits.max_results
    {
        found.truncate(max);
    }
}

/// The first `keep` of `found` (in order) as the output.
fn output(mut found: Vec<Found>, keep: usize, control: &Control) -> GlobOutput {
    let total_matches = found.len();
    found.truncate(keep);
    GlobOutput {
        files: found.into_iter().map(|(_, path)| path).collect(),
        total_matches,
        truncated: keep < total_matches,
        partial: control.partial(),
        walk_reused: false,
    }
}

/// The order of Glob results: newest first, ties by the paths' bytes (a
/// stable order, and several times cheaper than `Path`'s component-wise
/// comparison on large results).
pub(crate) fn newest_first(a: &Found, b: &Found) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| {
        a.1.as_os_str()
            .as_encoded_bytes()
            .cmp(b.1.as_os_str().as_encoded_bytes())
    })
}

/// What every walker thread shares.
struct Shared<'a> {
    root: &'a Path,
    pattern: &'a GlobPattern,
    control: &'a Control,
    found: Mutex<Vec<Found>>,
}

/// One walker thread: collects locally, hands its files over when dropped.
struct Visitor<'s, 'a> {
    shared: &'s Shared<'a>,
    found: Vec<Found>,
    mtimes: MtimeReader,
}

impl ParallelVisitor for Visitor<'_, '_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let shared = self.shared;
        if shared.control.should_stop() {
            return WalkState::Quit;
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
        let bytes = entry.path().as_os_str().as_bytes();
        let relative = Path::new(OsStr::from_bytes(
            &bytes[relative_start(shared.root, entry.path())..],
        ));
        if !shared.pattern.is_match_below_root(relative) {
            return WalkState::Continue;
        }
        // A file that vanished between readdir and stat is skipped.
        let Some(modified) = self.mtimes.regular_file_mtime(entry.path()) else {
            return WalkState::Continue;
        };
        self.found.push((modified, entry.into_path()));
        if shared.control.has_budget() && !shared.control.add_results(1) {
            return WalkState::Quit;
        }
        WalkState::Continue
    }
}

impl Drop for Visitor<'_, '_> {
    fn drop(&mut self) {
        let mut all = self
            .shared
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.append(&mut self.found);
    }
}

struct Builder<'s, 'a> {
    shared: &'s Shared<'a>,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'s, '_> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            shared: self.shared,
            found: Vec::new(),
            mtimes: MtimeReader::default(),
        })
    }
}

/// Walks `root` in parallel with the `ignore` crate, under the Grep
/// engine's rules (rg's defaults), and returns the matching files,
/// unsorted.
pub(crate) fn crate_walk(
    root: &Path,
    pattern: &GlobPattern,
    control: &Control,
) -> Result<Vec<Found>, GlobError> {
    let plan = WalkPlan::new(root, &WalkFilter::new()).map_err(|e| GlobError::Root {
        root: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    let shared = Shared {
        root,
        pattern,
        control,
        found: Mutex::new(Vec::new()),
    };
    plan.builder(default_threads())
        .build_parallel()
        .visit(&mut Builder { shared: &shared });
    Ok(shared
        .found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner))
}
