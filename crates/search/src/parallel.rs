//! Running one search over many files on several threads: either while
//! walking a directory (`ignore::WalkParallel`, as rg does) or over a
//! list of files already known (the warm cache).
//!
//! Each thread owns one [`Worker`] (matcher, searcher, output buffers) for
//! the whole search; the buffers are merged once at the end.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use grep_regex::RegexMatcher;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};

use crate::limits::Control;
use crate::output::SearchStats;
use crate::pool::Pool;
use crate::query::GrepQuery;
use crate::walk::{WalkEntry, WalkPlan};
use crate::worker::{Hits, Worker};

/// How a worker gets at a file's contents.
pub(crate) trait FileAccess: Sync {
    /// Per-thread state, handed back when the thread finishes.
    type Local: Default + Send;

    /// Searches one walked file.
    fn search(&self, worker: &mut Worker<'_>, entry: &WalkEntry, local: &mut Self::Local);

    /// Searches a run of files from a known list, stopping early when
    /// `control` says so.
    fn search_chunk(
        &self,
        worker: &mut Worker<'_>,
        entries: &[WalkEntry],
        control: &Control,
        local: &mut Self::Local,
    ) {
        for entry in entries {
            if control.should_stop() {
                return;
            }
            self.search(worker, entry, local);
        }
    }

    /// Notes a directory the walk entered (for cache validation).
    fn saw_dir(&self, _dir: &Path, _local: &mut Self::Local) {}
}

/// Reads every file from disk, keeping nothing.
pub(crate) struct Streaming;

impl FileAccess for Streaming {
    type Local = ();

    fn search(&self, worker: &mut Worker<'_>, entry: &WalkEntry, _local: &mut ()) {
        worker.search_walked_file(entry.relative(), entry.path());
    }
}

/// What one thread hands back.
pub(crate) struct ThreadResult<L> {
    pub(crate) hits: Hits,
    pub(crate) stats: SearchStats,
    /// Files this thread saw (only when the walk is being recorded).
    pub(crate) files: Vec<WalkEntry>,
    pub(crate) local: L,
}

/// Everything the walk's threads gave back.
pub(crate) type Results<L> = Vec<ThreadResult<L>>;

/// Whether a walk keeps the list of files it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    Files,
    Nothing,
}

/// Walks `plan.root` with `threads` threads and searches each file found.
pub(crate) fn search_walk<A: FileAccess>(
    plan: &WalkPlan,
    threads: usize,
    query: &GrepQuery,
    matcher: &RegexMatcher,
    control: &Control,
    access: &A,
    record: Record,
) -> Results<A::Local> {
    let results = Mutex::new(Vec::new());
    let mut builder = VisitorBuilder {
        query,
        matcher,
        control,
        access,
        record,
        root: &plan.root,
        results: &results,
    };
    plan.builder(threads).build_parallel().visit(&mut builder);
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Searches a known list of files on the pool's threads.
pub(crate) fn search_list<A: FileAccess>(
    files: &[WalkEntry],
    pool: &Pool,
    query: &GrepQuery,
    matcher: &RegexMatcher,
    control: &Control,
    access: &A,
) -> Results<A::Local> {
    /// Files a thread claims at a time: small enough to balance, large
    /// enough that the shared counter is not a hot spot.
    const CHUNK: usize = 16;
    let next = AtomicUsize::new(0);
    let threads = pool.threads().min(files.len().div_ceil(CHUNK).max(1));
    pool.run(threads, || {
        let mut worker = Worker::new(query, matcher, control);
        let mut local = A::Local::default();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= files.len() {
                break;
            }
            let chunk = &files[start..(start + CHUNK).min(files.len())];
            access.search_chunk(&mut worker, chunk, control, &mut local);
            if control.should_stop() {
                break;
            }
        }
        ThreadResult {
            hits: worker.out.hits,
            stats: worker.out.stats,
            files: Vec::new(),
            local,
        }
    })
}

struct VisitorBuilder<'s, A: FileAccess> {
    query: &'s GrepQuery,
    matcher: &'s RegexMatcher,
    control: &'s Control,
    access: &'s A,
    record: Record,
    root: &'s Path,
    results: &'s Mutex<Results<A::Local>>,
}

impl<'s, A: FileAccess> ParallelVisitorBuilder<'s> for VisitorBuilder<'s, A> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            worker: Worker::new(self.query, self.matcher, self.control),
            control: self.control,
            access: self.access,
            record: self.record,
            root: self.root,
            files: Vec::new(),
            local: A::Local::default(),
            results: self.results,
        })
    }
}

struct Visitor<'s, A: FileAccess> {
    worker: Worker<'s>,
    control: &'s Control,
    access: &'s A,
    record: Record,
    root: &'s Path,
    files: Vec<WalkEntry>,
    local: A::Local,
    results: &'s Mutex<Results<A::Local>>,
}

impl<A: FileAccess> ParallelVisitor for Visitor<'_, A> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if self.control.should_stop() {
            return WalkState::Quit;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                tracing::debug!(error = %err, "walk: skipping unreadable entry");
                self.worker.out.stats.files_skipped += 1;
                return WalkState::Continue;
            }
        };
        let Some(kind) = entry.file_type() else {
            return WalkState::Continue;
        };
        if kind.is_dir() {
            self.access.saw_dir(entry.path(), &mut self.local);
            return WalkState::Continue;
        }
        if !kind.is_file() {
            // Symbolic links are not followed (rg's default), so a link
            // loop is never entered; sockets and devices are not searched.
            return WalkState::Continue;
        }
        let walk_entry = WalkEntry::new(self.root, entry.into_path());
        self.access
            .search(&mut self.worker, &walk_entry, &mut self.local);
        if self.record == Record::Files {
            self.files.push(walk_entry);
        }
        WalkState::Continue
    }
}

impl<A: FileAccess> Drop for Visitor<'_, A> {
    fn drop(&mut self) {
        let result = ThreadResult {
            hits: std::mem::take(&mut self.worker.out.hits),
            stats: self.worker.out.stats,
            files: std::mem::take(&mut self.files),
            local: std::mem::take(&mut self.local),
        };
        self.results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(result);
    }
}
