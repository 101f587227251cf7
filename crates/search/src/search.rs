//! One Grep search without a cache: walk, search, merge — what one rg
//! process does.

use std::path::Path;

use grep_regex::RegexMatcher;

use crate::error::SearchError;
use crate::limits::{Control, SearchLimits};
use crate::matcher::build_matcher;
use crate::output::{GrepOutput, PathPrefix, SearchStats, assemble};
use crate::parallel::{Record, Streaming, search_walk};
use crate::query::GrepQuery;
use crate::walk::{WalkFilter, WalkPlan, default_threads};
use crate::worker::Worker;

/// What a search root is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    File,
    Dir,
}

/// Everything a search needs that is derived from the query alone; built
/// first so bad input is reported before any work.
pub(crate) struct Prepared {
    pub(crate) matcher: RegexMatcher,
    pub(crate) plan: WalkPlan,
    pub(crate) kind: RootKind,
}

impl Prepared {
    pub(crate) fn new(query: &GrepQuery) -> Result<Self, SearchError> {
        let matcher = build_matcher(query)?;
        let filter = WalkFilter {
            globs: query.globs.clone(),
            file_type: query.file_type.clone(),
        };
        let plan = WalkPlan::new(&query.root, &filter)?;
        let kind = root_kind(&query.root)?;
        Ok(Self {
            matcher,
            plan,
            kind,
        })
    }
}

/// Checks that `root` exists and says whether it is a file or a directory.
pub(crate) fn root_kind(root: &Path) -> Result<RootKind, SearchError> {
    let meta = std::fs::metadata(root).map_err(|source| SearchError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        Ok(RootKind::Dir)
    } else if meta.is_file() {
        Ok(RootKind::File)
    } else {
        Err(SearchError::RootKind {
            path: root.to_path_buf(),
        })
    }
}

/// Searches the one explicitly named file `query.root`.
pub(crate) fn search_root_file(
    query: &GrepQuery,
    matcher: &RegexMatcher,
    limits: &SearchLimits,
) -> GrepOutput {
    let control = Control::new(limits);
    let mut worker = Worker::new(query, matcher, &control);
    if !control.should_stop() {
        worker.search_explicit(&query.root, &query.root);
    }
    let stats = worker.out.stats;
    assemble(
        query,
        std::slice::from_ref(&worker.out.hits),
        PathPrefix::Hidden,
        control.partial(),
        stats,
    )
}

/// Runs one Grep search, reading every file from disk (no cache).
///
/// Use a [`crate::SearchEngine`] when searches repeat over the same tree.
///
/// # Errors
/// An invalid regex or glob, an unknown file type, or a root that does not
/// exist. Files that cannot be read are skipped and counted in
/// [`SearchStats::files_skipped`].
pub fn grep(query: &GrepQuery, limits: &SearchLimits) -> Result<GrepOutput, SearchError> {
    let prepared = Prepared::new(query)?;
    match prepared.kind {
        RootKind::File => Ok(search_root_file(query, &prepared.matcher, limits)),
        RootKind::Dir => {
            let control = Control::new(limits);
            let results = search_walk(
                &prepared.plan,
                default_threads(),
                query,
                &prepared.matcher,
                &control,
                &Streaming,
                Record::Nothing,
            );
            let mut stats = SearchStats::default();
            let hits: Vec<_> = results
                .into_iter()
                .map(|r| {
                    stats.add(&r.stats);
                    r.hits
                })
                .collect();
            Ok(assemble(
                query,
                &hits,
                PathPrefix::Shown,
                control.partial(),
                stats,
            ))
        }
    }
}
