//! The long-lived search engine: walks and file contents kept warm between
//! calls, revalidated on every call, within a memory budget.
//!
//! Each call stats every file it searches and compares the stamp (size,
//! modification and change time, inode, device, links; see `stamp.rs`)
//! with the cached one, except files inotify vouches for (`vouch.rs`), and
//! reuses a remembered walk only while every directory and ignore file it
//! depends on is unchanged (see `snapshot.rs`). So a changed, added or
//! deleted file is never missed; what the cache saves is the directory
//! reads, the ignore-rule matching, the file reads and, once vouched, the
//! per-file stats.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::error::SearchError;
use crate::glob::Watcher;
use crate::limits::{Control, SearchLimits};
use crate::matcher::build_matcher;
use crate::output::{GrepOutput, PathPrefix, SearchStats, assemble};
use crate::parallel::{FileAccess, Record, Results, search_list, search_walk};
use crate::path_hash::PathHash;
use crate::pool::Pool;
use crate::query::GrepQuery;
use crate::search::{Prepared, RootKind, root_kind, search_root_file};
use crate::snapshot::{Snapshot, Watched, watch_dir, watch_outside};
use crate::stamp::{Stamp, StampReader};
use crate::vouch::{Vouch, Vouchers, watch_parents};
use crate::walk::{WalkEntry, WalkFilter, WalkOutput, WalkPlan, default_threads};
use crate::worker::Worker;

/// Settings of a [`SearchEngine`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Bytes of file contents kept in memory, across all trees. Files
    /// beyond it are read from disk on every call.
    pub memory_budget: usize,
    /// Files larger than this are never cached (always streamed).
    pub max_cached_file: u64,
    /// A file or directory changed less than this long before it was read
    /// is not trusted from the cache on the next call (file system clocks
    /// are coarse: two writes in one tick can leave the same stamp).
    pub racy_window: Duration,
    /// Search threads (default: rg's, the machine's parallelism up to 12).
    pub threads: usize,
    /// Distinct walks (root, globs, type) remembered.
    pub max_walks: usize,
    /// Let inotify vouch for cached contents (warm Grep) and modification
    /// times (warm Glob) instead of a stat per file per call (default on).
    /// Off, every call stats every file: use that where files change
    /// through shared writable `mmap`s or through hard links in other
    /// directories, which raise no event in the watched directory.
    pub watch_changes: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            memory_budget: 512 << 20,
            max_cached_file: 16 << 20,
            racy_window: Duration::from_secs(2),
            threads: default_threads(),
            max_walks: 16,
            watch_changes: true,
        }
    }
}

impl EngineConfig {
    /// Sets the memory budget in bytes (0 disables content caching).
    #[must_use]
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Sets the racy window.
    #[must_use]
    pub fn racy_window(mut self, window: Duration) -> Self {
        self.racy_window = window;
        self
    }

    /// Sets whether inotify may vouch for cached files
    /// ([`Self::watch_changes`]).
    #[must_use]
    pub fn watch_changes(mut self, on: bool) -> Self {
        self.watch_changes = on;
        self
    }

    /// Sets the number of search threads (at least 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
}

/// What identifies a remembered walk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WalkKey {
    root: PathBuf,
    filter: WalkFilter,
}

/// The cached contents, by path.
type Contents = HashMap<OsString, Arc<CachedFile>, PathHash>;

/// File contents kept in memory.
#[derive(Debug)]
struct CachedFile {
    stamp: Stamp,
    bytes: Box<[u8]>,
    has_nul: bool,
    /// Set while inotify vouches that the file still has `stamp`
    /// (`vouch.rs`): a warm call then skips its stat.
    vouched: Vouch,
}

#[derive(Debug)]
struct RememberedWalk {
    snapshot: Arc<Snapshot>,
    last_used: u64,
}

/// A long-lived Grep engine that keeps recently searched trees warm.
///
/// `Send + Sync`: share one in an `Arc` across a session's tool calls;
/// concurrent calls are fine. The engine keeps `threads - 1` search
/// threads of its own (started by the first call that needs them) for
/// warm calls, which the calling thread joins; a fresh walk still uses
/// the `ignore` crate's walker threads.
///
/// ```
/// use ferrule_search::{EngineConfig, GrepQuery, SearchEngine, SearchLimits};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("notes.md"), "TODO: write docs\n")?;
/// let engine = SearchEngine::new(EngineConfig::default());
/// let query = GrepQuery::new("TODO", dir.path());
/// let first = engine.grep(&query, &SearchLimits::none())?;
/// std::fs::write(dir.path().join("more.md"), "TODO: and tests\n")?;
/// let second = engine.grep(&query, &SearchLimits::none())?;
/// assert_eq!(first.results, "notes.md");
/// assert_eq!(second.results, "more.md\nnotes.md");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SearchEngine {
    config: EngineConfig,
    walks: Mutex<HashMap<WalkKey, RememberedWalk>>,
    /// Keyed by the path's bytes: hashing an `OsString` is one pass over
    /// its bytes, hashing a `Path` walks its components.
    contents: RwLock<Contents>,
    used: AtomicUsize,
    clock: AtomicU64,
    /// The inotify watches: Glob's modification times (`glob/`) and what
    /// vouches for cached contents; use it through [`Self::with_watcher`].
    watcher: crate::glob::MtimeCache,
    vouchers: Vouchers,
    /// The threads warm calls run on, kept between calls.
    pub(crate) pool: Pool,
}

impl Default for SearchEngine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

impl SearchEngine {
    /// An engine with nothing cached yet.
    pub fn new(config: EngineConfig) -> Self {
        let pool = Pool::new(config.threads);
        Self {
            pool,
            config,
            walks: Mutex::new(HashMap::new()),
            contents: RwLock::new(Contents::default()),
            used: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
            watcher: crate::glob::MtimeCache::default(),
            vouchers: Vouchers::default(),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Bytes of file contents currently cached.
    pub fn cached_bytes(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Runs one Grep search, reusing and refreshing the cache.
    ///
    /// # Errors
    /// As [`crate::grep`].
    pub fn grep(
        &self,
        query: &GrepQuery,
        limits: &SearchLimits,
    ) -> Result<GrepOutput, SearchError> {
        let prepared = Prepared::new(query)?;
        if prepared.kind == RootKind::File {
            return Ok(search_root_file(query, &prepared.matcher, limits));
        }
        let key = WalkKey {
            root: query.root.clone(),
            filter: WalkFilter {
                globs: query.globs.clone(),
                file_type: query.file_type.clone(),
            },
        };
        let control = Control::new(limits);
        let mut access = CacheAccess::new(self);
        let (results, walk_reused) = match self.current_walk(&key) {
            Some(snapshot) => {
                if self.config.watch_changes {
                    access.vouching = self.with_watcher(|watcher| {
                        watcher.and_then(|w| watch_parents(&snapshot.files, &snapshot.inotify, w))
                    });
                }
                let results = search_list(
                    &snapshot.files,
                    &self.pool,
                    query,
                    &prepared.matcher,
                    &control,
                    &access,
                );
                (results, true)
            }
            None => {
                let taken_at = SystemTime::now();
                let results = search_walk(
                    &prepared.plan,
                    self.config.threads,
                    query,
                    &prepared.matcher,
                    &control,
                    &access,
                    Record::Files,
                );
                let results = self.remember_walk(key, results, taken_at, &control);
                (results, false)
            }
        };
        let mut stats = SearchStats {
            walk_reused,
            ..SearchStats::default()
        };
        let mut hits = Vec::with_capacity(results.len());
        let mut changes = Vec::new();
        for result in results {
            stats.add(&result.stats);
            hits.push(result.hits);
            changes.push(result.local);
        }
        self.apply(changes);
        Ok(assemble(
            query,
            &hits,
            PathPrefix::Shown,
            control.partial(),
            stats,
        ))
    }

    /// The files a search of `root` with `filter` looks at, sorted by path,
    /// from the remembered walk when it is still current.
    ///
    /// # Errors
    /// A missing root, a bad glob or an unknown type.
    pub fn walk(
        &self,
        root: &Path,
        filter: &WalkFilter,
        limits: &SearchLimits,
    ) -> Result<WalkOutput, SearchError> {
        let plan = WalkPlan::new(root, filter)?;
        if root_kind(root)? == RootKind::File {
            return crate::walk::walk_files(root, filter, limits);
        }
        let key = WalkKey {
            root: root.to_path_buf(),
            filter: filter.clone(),
        };
        if let Some(snapshot) = self.current_walk(&key) {
            return Ok(WalkOutput {
                files: Arc::clone(&snapshot.files),
                partial: None,
                reused: true,
                errors: 0,
            });
        }
        // Walk without searching: a query with no work per file.
        let query = GrepQuery::new("", root);
        let matcher = build_matcher(&query)?;
        let control = Control::new(limits);
        let taken_at = SystemTime::now();
        let results = search_walk(
            &plan,
            self.config.threads,
            &query,
            &matcher,
            &control,
            &ListOnly,
            Record::Files,
        );
        let errors = results.iter().map(|r| r.stats.files_skipped as usize).sum();
        let mut files = Vec::new();
        let mut watched = Vec::new();
        for mut result in results {
            files.append(&mut result.files);
            watched.append(&mut result.local);
        }
        files.sort_unstable();
        let files: Arc<[WalkEntry]> = files.into();
        if control.partial().is_none() {
            self.store_walk(key, Arc::clone(&files), watched, taken_at);
        }
        Ok(WalkOutput {
            files,
            partial: control.partial(),
            reused: false,
            errors,
        })
    }

    /// Forgets every remembered walk and cached file.
    pub fn clear(&self) {
        self.walks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.contents
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.used.store(0, Ordering::Relaxed);
    }

    /// Runs `f` with the inotify watcher, after every queued event has
    /// been applied (to Glob's times and to the vouched contents); `None`
    /// when inotify is unavailable.
    pub(crate) fn with_watcher<R>(&self, f: impl FnOnce(Option<&mut Watcher>) -> R) -> R {
        self.watcher.with(|mut watcher| {
            if let Some(watcher) = watcher.as_deref_mut() {
                let stale = watcher.take_stale();
                if !stale.is_empty() {
                    let contents = self.contents.read().unwrap_or_else(PoisonError::into_inner);
                    self.vouchers.apply(
                        &stale,
                        |path| contents.get(path.as_os_str()).map(|f| &f.vouched),
                        contents.iter().map(|(p, f)| (Path::new(p), &f.vouched)),
                    );
                }
            }
            f(watcher)
        })
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// The remembered walk for `key` if every stamp it depends on holds.
    fn current_walk(&self, key: &WalkKey) -> Option<Arc<Snapshot>> {
        let snapshot = {
            let mut walks = self.walks.lock().unwrap_or_else(PoisonError::into_inner);
            let remembered = walks.get_mut(key)?;
            remembered.last_used = self.tick();
            Arc::clone(&remembered.snapshot)
        };
        if snapshot.is_current(&self.pool) {
            Some(snapshot)
        } else {
            self.walks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(key);
            None
        }
    }

    /// Keeps the walk a search just did, when it was complete and stable.
    fn remember_walk(
        &self,
        key: WalkKey,
        mut results: Results<Changes>,
        taken_at: SystemTime,
        control: &Control,
    ) -> Results<Changes> {
        if control.partial().is_some() {
            return results;
        }
        let mut files = Vec::new();
        let mut watched = Vec::new();
        for result in &mut results {
            files.append(&mut result.files);
            watched.append(&mut result.local.dirs);
        }
        files.sort_unstable();
        // Only an unfiltered walk lists every file under the root; a glob
        // or type walk would drop contents other walks still use.
        if key.filter == WalkFilter::default() {
            self.prune(&key.root, &files);
        }
        self.store_walk(key, files.into(), watched, taken_at);
        results
    }

    fn store_walk(
        &self,
        key: WalkKey,
        files: Arc<[WalkEntry]>,
        mut watched: Vec<Watched>,
        taken_at: SystemTime,
    ) {
        if watched.is_empty() {
            // A walk without search does not see directories through the
            // cache access; collect them from the file list.
            let mut dirs: HashSet<&Path> = HashSet::new();
            dirs.insert(&key.root);
            for entry in files.iter() {
                for parent in entry.path().ancestors().skip(1) {
                    if !parent.starts_with(&key.root) || !dirs.insert(parent) {
                        break;
                    }
                }
            }
            for dir in dirs {
                watch_dir(dir, &mut watched);
            }
        }
        watch_outside(&key.root, &mut watched);
        let Some(snapshot) = Snapshot::new(files, watched, taken_at, self.config.racy_window)
        else {
            return;
        };
        let mut walks = self.walks.lock().unwrap_or_else(PoisonError::into_inner);
        if walks.len() >= self.config.max_walks && !walks.contains_key(&key) {
            let oldest = walks
                .iter()
                .min_by_key(|(_, w)| w.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                walks.remove(&oldest);
            }
        }
        let last_used = self.tick();
        walks.insert(
            key,
            RememberedWalk {
                snapshot: Arc::new(snapshot),
                last_used,
            },
        );
    }

    /// Drops cached contents of files under `root` that the new walk no
    /// longer lists (deleted, or now ignored).
    fn prune(&self, root: &Path, files: &[WalkEntry]) {
        let listed: HashSet<&OsStr> = files.iter().map(|f| f.path().as_os_str()).collect();
        let mut contents = self
            .contents
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        contents.retain(|path, file| {
            let keep = !Path::new(path).starts_with(root) || listed.contains(path.as_os_str());
            if !keep {
                self.used.fetch_sub(file.bytes.len(), Ordering::Relaxed);
            }
            keep
        });
    }

    /// Applies the cache changes the threads collected.
    fn apply(&self, changes: Vec<Changes>) {
        if changes
            .iter()
            .all(|c| c.inserts.is_empty() && c.removals.is_empty())
        {
            return;
        }
        let mut contents = self
            .contents
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for change in changes {
            for path in change.removals {
                if let Some(old) = contents.remove(&path) {
                    self.used.fetch_sub(old.bytes.len(), Ordering::Relaxed);
                }
            }
            for (path, file) in change.inserts {
                // The bytes were reserved when read; a replaced entry
                // gives its bytes back.
                if let Some(old) = contents.insert(path, file) {
                    self.used.fetch_sub(old.bytes.len(), Ordering::Relaxed);
                }
            }
        }
    }

    /// Reserves `bytes` of the budget; false when they do not fit.
    fn reserve(&self, bytes: usize) -> bool {
        let budget = self.config.memory_budget;
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= budget)
            })
            .is_ok()
    }
}

/// Cache changes one thread made, applied after the search.
#[derive(Debug, Default)]
struct Changes {
    inserts: Vec<(OsString, Arc<CachedFile>)>,
    removals: Vec<OsString>,
    stamps: StampReader,
    dirs: Vec<Watched>,
}

/// Searches files through the engine's cache.
struct CacheAccess<'e> {
    engine: &'e SearchEngine,
    /// The watcher generation in which every directory of the files
    /// searched is watched: files vouched in it need no stat, and
    /// matching stats may vouch in it.
    vouching: Option<u64>,
}

impl<'e> CacheAccess<'e> {
    fn new(engine: &'e SearchEngine) -> Self {
        Self {
            engine,
            vouching: None,
        }
    }

    fn contents(&self) -> std::sync::RwLockReadGuard<'_, Contents> {
        self.engine
            .contents
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Searches one file, from `contents` when its stamp still matches.
    fn search_in(
        &self,
        contents: &Contents,
        worker: &mut Worker<'_>,
        entry: &WalkEntry,
        local: &mut Changes,
    ) {
        let config = &self.engine.config;
        let cached = contents.get(entry.path().as_os_str());
        if let (Some(generation), Some(cached)) = (self.vouching, cached)
            && cached.vouched.holds(generation)
        {
            worker.out.stats.files_vouched += 1;
            worker.search_walked_bytes(entry.relative(), &cached.bytes, cached.has_nul, true);
            return;
        }
        let ticket = self.engine.vouchers.ticket();
        let now = local.stamps.read(entry.path());
        if let (Some(cached), Some(now)) = (cached, now)
            && cached.stamp == now
        {
            worker.search_walked_bytes(entry.relative(), &cached.bytes, cached.has_nul, true);
            if let Some(generation) = self.vouching
                && now.links() == 1
            {
                self.engine
                    .vouchers
                    .vouch(ticket, &cached.vouched, generation);
            }
            return;
        }
        if cached.is_some() {
            local.removals.push(entry.path().as_os_str().to_owned());
        }
        let Some(now) = now else {
            // Vanished since the walk (or unreadable): counted as skipped.
            return worker.search_walked_file(entry.relative(), entry.path());
        };
        if now.size() > config.max_cached_file
            || self.engine.used.load(Ordering::Relaxed) as u64 + now.size()
                > config.memory_budget as u64
        {
            return worker.search_walked_file(entry.relative(), entry.path());
        }
        let read_at = SystemTime::now();
        let (stamp, bytes) = match read_whole(entry.path()) {
            Ok(read) => read,
            Err(err) => return worker.out.skip(entry.path(), &err),
        };
        let has_nul = memchr::memchr(0, &bytes).is_some();
        worker.search_walked_bytes(entry.relative(), &bytes, has_nul, false);
        let stable =
            !stamp.is_racy(read_at, config.racy_window) && stamp.size() == bytes.len() as u64;
        if stable && self.engine.reserve(bytes.len()) {
            local.inserts.push((
                entry.path().as_os_str().to_owned(),
                Arc::new(CachedFile {
                    stamp,
                    bytes: bytes.into_boxed_slice(),
                    has_nul,
                    vouched: Vouch::default(),
                }),
            ));
        }
    }
}

impl FileAccess for CacheAccess<'_> {
    type Local = Changes;

    fn search(&self, worker: &mut Worker<'_>, entry: &WalkEntry, local: &mut Changes) {
        let contents = self.contents();
        self.search_in(&contents, worker, entry, local);
    }

    /// One read lock per run of files: the lock word is shared by all
    /// threads, so taking it per file costs more than the lookups.
    fn search_chunk(
        &self,
        worker: &mut Worker<'_>,
        entries: &[WalkEntry],
        control: &Control,
        local: &mut Changes,
    ) {
        let contents = self.contents();
        for entry in entries {
            if control.should_stop() {
                return;
            }
            self.search_in(&contents, worker, entry, local);
        }
    }

    fn saw_dir(&self, dir: &Path, local: &mut Changes) {
        watch_dir(dir, &mut local.dirs);
    }
}

/// Reads a whole file and the stamp it had when opened.
fn read_whole(path: &Path) -> std::io::Result<(Stamp, Vec<u8>)> {
    let mut file = std::fs::File::open(path)?;
    let stamp = Stamp::of(&file.metadata()?);
    let mut bytes = Vec::with_capacity(usize::try_from(stamp.size()).unwrap_or(0) + 1);
    file.read_to_end(&mut bytes)?;
    Ok((stamp, bytes))
}

/// Walks without searching anything (for [`SearchEngine::walk`]), noting
/// every directory entered: one with no listed file below it (empty, or
/// holding only ignored files) must be watched too, or a file created in
/// it would be missed.
struct ListOnly;

impl FileAccess for ListOnly {
    type Local = Vec<Watched>;

    fn search(&self, _worker: &mut Worker<'_>, _entry: &WalkEntry, _local: &mut Vec<Watched>) {}

    fn saw_dir(&self, dir: &Path, local: &mut Vec<Watched>) {
        watch_dir(dir, local);
    }
}
