//! The walk of a fresh Glob, read straight from the kernel.
//!
//! Profiles of `glob("**/*")` over the kernel tree put most of the time
//! in the walk machinery rather than in the work itself: every entry
//! travelled through the `ignore` crate's work queue with its own path
//! allocation, every directory was opened and listed by its full path,
//! and the mtime reader opened each parent directory a second time.
//! This walker does only the work: each directory is opened relative to
//! its parent's descriptor (`openat`), listed with `getdents64` (the
//! entry types come with the names), and each matching file is stat'ed
//! relative to the same descriptor; only files that match get a path.
//!
//! The files come out newest first without a sort that compares paths:
//! each directory's entries are put in the order their paths sort in
//! (a directory's name counts with its trailing `/`), so reading the
//! directories depth first yields every path in byte order, and a stable
//! sort by time alone finishes the job. Sorting the kernel tree's 78 k
//! paths, all with one modification time, by comparing them took 10 ms
//! on the calling thread; this takes about 2.
//!
//! It skips exactly what the crate's walk skips (see [`super::rules`]):
//! the tests below compare the two on trees built to exercise each rule.
//! When the walk cannot go on for a reason the crate's walk would not
//! share (the process runs out of file descriptors), it reports that and
//! the caller walks again with the crate.

use std::cmp::Ordering as Order;
use std::ffi::{CStr, CString, OsStr};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, StatxFlags};
use rustix::io::Errno;

use crate::glob::GlobPattern;
use crate::glob::mtime::regular_at;
use crate::glob::rules::{Chain, RuleFiles, WalkRules};
use crate::glob::search::Found;
use crate::limits::Control;
use crate::walk::default_threads;

/// Directories deeper than this are opened by their full path instead of
/// through their parent's descriptor, so pending work never holds more
/// than about this many descriptors open per thread.
const MAX_HELD_DEPTH: usize = 64;

/// Bytes of directory entries read per `getdents64` call.
const LISTING_BUFFER: usize = 32 * 1024;

/// Entries between two checks of the deadline and cancellation.
const CHECK_EVERY: usize = 512;

/// Walks `root` (an absolute directory) and returns the files that match
/// `pattern` with their modification times, in the order of
/// [`super::search::newest_first`]; `None` when this
/// walker cannot be used here (a relative root, no descriptors left) and
/// the crate's walk must be used instead.
pub(crate) fn walk(root: &Path, pattern: &GlobPattern, control: &Control) -> Option<Vec<Found>> {
    if !root.is_absolute() {
        return None;
    }
    walk_with(&WalkRules::new(root), pattern, control, default_threads())
}

/// [`walk`] with the rules given and a thread count (tests).
pub(crate) fn walk_with(
    rules: &WalkRules,
    pattern: &GlobPattern,
    control: &Control,
    threads: usize,
) -> Option<Vec<Found>> {
    let shared = Shared {
        rules,
        pattern,
        control,
        queue: Queue::new(Job {
            open: Open::Path,
            rel: Vec::new(),
            depth: 0,
            chain: Arc::new(Chain::default()),
            slot: 0,
        }),
        next_slot: AtomicUsize::new(1),
        unsupported: AtomicBool::new(false),
    };
    let results: Vec<Option<Listed>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1))
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("ferrule-glob".into())
                    .spawn_scoped(scope, || shared.work())
                    .ok()
            })
            .collect();
        let mut results = vec![Some(shared.work())];
        results.extend(helpers.into_iter().map(|helper| helper.join().ok()));
        results
    });
    if shared.unsupported.load(Ordering::Relaxed) {
        return None;
    }
    let mut slots: Vec<Vec<Item>> = Vec::new();
    slots.resize_with(shared.next_slot.load(Ordering::Relaxed), Vec::new);
    let mut files = 0;
    for part in results {
        // A thread that panicked lost its files: let the crate walk again.
        let part = part?;
        files += part.files;
        for (slot, items) in part.dirs {
            if let Some(place) = slots.get_mut(slot) {
                *place = items;
            }
        }
    }
    let mut found = in_path_order(slots, files);
    // Stable: equal times keep the path order.
    found.sort_by_key(|file| std::cmp::Reverse(file.0));
    Some(found)
}

/// The files of every directory, depth first from the root (slot 0): each
/// directory's items are in path order, so this is every path in byte
/// order.
fn in_path_order(mut slots: Vec<Vec<Item>>, files: usize) -> Vec<Found> {
    let mut found = Vec::with_capacity(files);
    let mut stack = Vec::new();
    if let Some(root) = slots.first_mut() {
        stack.push(std::mem::take(root).into_iter());
    }
    while let Some(items) = stack.last_mut() {
        match items.next() {
            Some(Item::File(file)) => found.push(file),
            Some(Item::Dir(slot)) => {
                if let Some(dir) = slots.get_mut(slot) {
                    let items = std::mem::take(dir).into_iter();
                    stack.push(items);
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    found
}

/// One entry of a listed directory, in path order.
enum Item {
    /// A matching file.
    File(Found),
    /// A subdirectory walked, by its slot.
    Dir(usize),
}

/// What one thread listed: each directory's items by slot, and how many
/// files they hold.
struct Listed {
    dirs: Vec<(usize, Vec<Item>)>,
    files: usize,
}

/// How a directory gets opened.
enum Open {
    /// By its full path (the root, and directories too deep to hold their
    /// parents open).
    Path,
    /// By name relative to its parent, kept open for it.
    At { parent: Arc<OwnedFd>, name: CString },
}

/// One directory to list.
struct Job {
    open: Open,
    /// Its path relative to the root (`""` for the root).
    rel: Vec<u8>,
    depth: usize,
    /// The rules of the directories above it.
    chain: Arc<Chain>,
    /// Where its items go among the walk's directories.
    slot: usize,
}

/// The stack of directories not yet listed (last in, first out: the walk
/// goes deep first, which keeps the pending work and its descriptors few).
struct Queue {
    state: Mutex<QueueState>,
    wake: Condvar,
}

struct QueueState {
    jobs: Vec<Job>,
    /// Threads listing a directory (they may add more).
    busy: usize,
    done: bool,
}

impl Queue {
    fn new(first: Job) -> Self {
        Self {
            state: Mutex::new(QueueState {
                jobs: vec![first],
                busy: 0,
                done: false,
            }),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands over the directories a finished job found and takes the next
    /// job; `None` once every directory is listed or the walk stopped.
    fn next(&self, finished: bool, found: &mut Vec<Job>) -> Option<Job> {
        let mut state = self.lock();
        if finished {
            state.busy -= 1;
        }
        state.jobs.append(found);
        loop {
            if state.done {
                return None;
            }
            if let Some(job) = state.jobs.pop() {
                state.busy += 1;
                if !state.jobs.is_empty() {
                    self.wake.notify_one();
                }
                return Some(job);
            }
            if state.busy == 0 {
                state.done = true;
                self.wake.notify_all();
                return None;
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Ends the walk for every thread.
    fn stop(&self) {
        self.lock().done = true;
        self.wake.notify_all();
    }
}

/// What the walking threads share.
struct Shared<'a> {
    rules: &'a WalkRules,
    pattern: &'a GlobPattern,
    control: &'a Control,
    queue: Queue,
    /// The slot the next directory found gets.
    next_slot: AtomicUsize,
    unsupported: AtomicBool,
}

/// One thread's buffers and results.
struct Local {
    listing: Vec<MaybeUninit<u8>>,
    /// The names of the directory being processed, each NUL-terminated.
    names: Vec<u8>,
    /// Where each name starts in `names`, its length and whether it is a
    /// directory (else a regular file), in path order.
    entries: Vec<(usize, usize, bool)>,
    /// The root-relative path of the entry being looked at.
    rel: Vec<u8>,
    subdirs: Vec<Job>,
    listed: Listed,
    seen: usize,
}

/// Why a directory's processing ended the walk.
enum Halt {
    /// A limit stopped the search; what was found stands.
    Limit,
    /// This walker cannot go on; the crate must walk instead.
    Unsupported,
}

impl Shared<'_> {
    /// One thread's loop: list directories until none are left.
    fn work(&self) -> Listed {
        let mut local = Local {
            listing: vec![MaybeUninit::uninit(); LISTING_BUFFER],
            names: Vec::new(),
            entries: Vec::new(),
            rel: Vec::new(),
            subdirs: Vec::new(),
            listed: Listed {
                dirs: Vec::new(),
                files: 0,
            },
            seen: 0,
        };
        let mut finished = false;
        while let Some(job) = self.queue.next(finished, &mut local.subdirs) {
            finished = true;
            match self.list(job, &mut local) {
                Ok(()) => {}
                Err(Halt::Limit) => self.queue.stop(),
                Err(Halt::Unsupported) => {
                    self.unsupported.store(true, Ordering::Relaxed);
                    self.queue.stop();
                }
            }
        }
        local.listed
    }

    /// Lists one directory: queues its subdirectories and records them
    /// with its matching files, in path order, under the job's slot.
    fn list(&self, job: Job, local: &mut Local) -> Result<(), Halt> {
        if self.control.should_stop() {
            return Err(Halt::Limit);
        }
        let Some(dir) = self.open(&job)? else {
            return Ok(());
        };
        let files = read_listing(&dir, &job.rel, local);
        let chain = self.rules.child(&job.chain, &job.rel, files);
        let dir = Arc::new(dir);
        let mut items = Vec::new();
        let walked = self.list_entries(&job, &dir, &chain, local, &mut items);
        local.listed.dirs.push((job.slot, items));
        walked
    }

    /// Goes through the listing `read_listing` left in `local`.
    fn list_entries(
        &self,
        job: &Job,
        dir: &Arc<OwnedFd>,
        chain: &Arc<Chain>,
        local: &mut Local,
        items: &mut Vec<Item>,
    ) -> Result<(), Halt> {
        let Local {
            names,
            entries,
            rel,
            subdirs,
            listed,
            seen,
            ..
        } = local;
        for &(start, len, is_dir) in entries.iter() {
            *seen += 1;
            if (*seen).is_multiple_of(CHECK_EVERY) && self.control.should_stop() {
                return Err(Halt::Limit);
            }
            let Ok(name) = CStr::from_bytes_with_nul(&names[start..=start + len]) else {
                continue;
            };
            rel.clear();
            rel.extend_from_slice(&job.rel);
            if !job.rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(name.to_bytes());
            if self.rules.is_skipped(chain, rel, is_dir) {
                continue;
            }
            if is_dir {
                let depth = job.depth + 1;
                let open = if depth > MAX_HELD_DEPTH {
                    Open::Path
                } else {
                    Open::At {
                        parent: Arc::clone(dir),
                        name: name.to_owned(),
                    }
                };
                let slot = self.next_slot.fetch_add(1, Ordering::Relaxed);
                subdirs.push(Job {
                    open,
                    rel: rel.clone(),
                    depth,
                    chain: Arc::clone(chain),
                    slot,
                });
                items.push(Item::Dir(slot));
                continue;
            }
            if !self
                .pattern
                .is_match_below_root(Path::new(OsStr::from_bytes(rel)))
            {
                continue;
            }
            // A file that vanished or changed type since the listing is
            // skipped.
            let Some((modified, _)) = regular_at(&**dir, name) else {
                continue;
            };
            items.push(Item::File((modified, self.rules.full_path(rel))));
            listed.files += 1;
            if self.control.has_budget() && !self.control.add_results(1) {
                return Err(Halt::Limit);
            }
        }
        Ok(())
    }

    /// Opens the job's directory; `None` (after a debug log) when it
    /// cannot be read, as the crate's walk skips such a directory.
    fn open(&self, job: &Job) -> Result<Option<OwnedFd>, Halt> {
        let base = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let opened = match &job.open {
            // The root may be a symlink to a directory; below it, a
            // directory that turned into a symlink since its listing is
            // not followed.
            Open::Path if job.depth == 0 => {
                rustix::fs::open(self.rules.full_path(&job.rel), base, Mode::empty())
            }
            Open::Path => rustix::fs::open(
                self.rules.full_path(&job.rel),
                base | OFlags::NOFOLLOW,
                Mode::empty(),
            ),
            Open::At { parent, name } => {
                rustix::fs::openat(&**parent, name, base | OFlags::NOFOLLOW, Mode::empty())
            }
        };
        match opened {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::MFILE | Errno::NFILE | Errno::NOMEM) => Err(Halt::Unsupported),
            Err(error) => {
                tracing::debug!(
                    %error,
                    dir = %self.rules.full_path(&job.rel).display(),
                    "glob: skipping a directory that could not be opened"
                );
                Ok(None)
            }
        }
    }
}

/// Reads the whole listing of `dir` into `local.names` / `local.entries`
/// (its directories and regular files, in path order) and says which rule
/// files it holds. A read error ends the listing early; the entries read
/// so far are kept (the crate's walk does the same).
fn read_listing(dir: &OwnedFd, rel: &[u8], local: &mut Local) -> RuleFiles {
    local.names.clear();
    local.entries.clear();
    let mut files = RuleFiles::default();
    let mut listing = RawDir::new(dir, &mut local.listing);
    while let Some(entry) = listing.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::debug!(
                    %error,
                    dir = %String::from_utf8_lossy(rel),
                    "glob: a directory listing ended early"
                );
                break;
            }
        };
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        files.note(name);
        let is_dir = match entry.file_type() {
            FileType::Unknown => match entry_type(dir, entry.file_name()) {
                Some(kind) => kind == FileType::Directory,
                None => continue,
            },
            FileType::Directory => true,
            // Other types are not walked nor listed.
            FileType::RegularFile => false,
            _ => continue,
        };
        local.entries.push((local.names.len(), name.len(), is_dir));
        local
            .names
            .extend_from_slice(entry.file_name().to_bytes_with_nul());
    }
    let names = &local.names;
    local.entries.sort_unstable_by(|a, b| {
        path_order(&names[a.0..a.0 + a.1], a.2, &names[b.0..b.0 + b.1], b.2)
    });
    files
}

/// How two entries of one directory compare as paths (byte order of the
/// whole path): a directory's name counts with a trailing `/`, since every
/// path below it continues that way.
fn path_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> Order {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        Order::Equal => {}
        other => return other,
    }
    // One name is a prefix of the other: compare the next byte of each
    // path (none for a file name that ends here).
    let next =
        |name: &[u8], is_dir: bool| name.get(common).copied().or_else(|| is_dir.then_some(b'/'));
    next(a, a_dir).cmp(&next(b, b_dir))
}

/// The type of `name` in `dir` (not following a symlink) when the listing
/// did not say.
fn entry_type(dir: &OwnedFd, name: &CStr) -> Option<FileType> {
    let stat = rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::TYPE).ok()?;
    Some(FileType::from_raw_mode(u32::from(stat.stx_mode)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::ignore_file::IgnoreFile;
    use crate::glob::search::{crate_walk, newest_first};
    use crate::limits::SearchLimits;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;
    use std::time::SystemTime;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Writes `files` (path, contents) under `root`, making directories.
    fn write(root: &Path, files: &[(&str, &str)]) -> std::io::Result<()> {
        for (path, contents) in files {
            let path = root.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, contents)?;
        }
        Ok(())
    }

    fn sorted(mut found: Vec<Found>) -> Vec<Found> {
        found.sort_by(|a, b| a.1.cmp(&b.1));
        found
    }

    /// The fast walk of `root` for `pattern`, on one and on two threads.
    fn fast(root: &Path, pattern: &str) -> Result<Vec<Found>, Box<dyn std::error::Error>> {
        let pattern = GlobPattern::new(pattern)?;
        let rules = WalkRules::new(root);
        let none = SearchLimits::none();
        let one = walk_with(&rules, &pattern, &Control::new(&none), 1).ok_or("unsupported")?;
        let two = walk_with(&rules, &pattern, &Control::new(&none), 2).ok_or("unsupported")?;
        for found in [&one, &two] {
            assert!(
                found.is_sorted_by(|a, b| newest_first(a, b) != Order::Greater),
                "not newest first, then by path: {found:?}"
            );
        }
        let (one, two) = (sorted(one), sorted(two));
        assert_eq!(one, two, "one thread and two threads disagree");
        Ok(one)
    }

    fn slow(root: &Path, pattern: &str) -> Result<Vec<Found>, Box<dyn std::error::Error>> {
        let pattern = GlobPattern::new(pattern)?;
        let control = Control::new(&SearchLimits::none());
        Ok(sorted(crate_walk(root, &pattern, &control)?))
    }

    fn names(root: &Path, found: &[Found]) -> Vec<String> {
        found
            .iter()
            .map(|(_, path)| {
                path.strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    /// Asserts the fast walk finds what the crate's walk finds, and
    /// returns the names found (relative to `root`).
    fn same(root: &Path, pattern: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let (fast, slow) = (fast(root, pattern)?, slow(root, pattern)?);
        assert_eq!(names(root, &fast), names(root, &slow), "pattern {pattern}");
        assert_eq!(fast, slow, "times differ for {pattern}");
        Ok(names(root, &fast))
    }

    /// A repository using every kind of rule the walk honours.
    fn repository(root: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(root.join(".git/info"))?;
        write(
            root,
            &[
                (".git/info/exclude", "excluded.txt\n"),
                (
                    ".gitignore",
                    "*.o\n!keep.o\n/top.txt\nbuild/\ndocs/*.tmp\n*.log\n!.kept\n**/gen/**\nlisted_by_ignore\n",
                ),
                (
                    ".ignore",
                    "ignored_by_dot_ignore\n!listed_by_ignore\nrg_decides\n",
                ),
                (".rgignore", "!wanted.log\n!rg_decides\n"),
                ("rg_decides", ""),
                ("a.c", ""),
                ("a.o", ""),
                ("keep.o", ""),
                ("top.txt", ""),
                ("sub/top.txt", ""),
                ("sub/b.o", ""),
                ("sub/.gitignore", "!*.o\nsecret.txt\n"),
                ("sub/secret.txt", ""),
                ("sub/deeper/c.o", ""),
                ("sub/deeper/secret.txt", ""),
                ("build/out.c", ""),
                ("src/build", "a file named like an ignored directory\n"),
                ("docs/x.tmp", ""),
                ("docs/deep/y.tmp", ""),
                ("app.log", ""),
                ("wanted.log", ""),
                ("ignored_by_dot_ignore", ""),
                ("listed_by_ignore", ""),
                ("excluded.txt", ""),
                ("sub/excluded.txt", ""),
                (".env", ""),
                (".kept", ""),
                (".hidden/file.c", ""),
                ("x/gen/g.c", ""),
                ("x/gen/more/h.c", ""),
                ("vendor/lib/.git/HEAD", ""),
                ("vendor/lib/.gitignore", "*.c\n"),
                ("vendor/lib/lib.c", ""),
                ("vendor/lib/lib.o", ""),
                ("vendor/lib/lib.h", ""),
                ("unicode/caf\u{e9}.c", ""),
            ],
        )?;
        std::os::unix::fs::symlink(root.join("a.c"), root.join("link.c"))?;
        std::os::unix::fs::symlink(root.join("sub"), root.join("sublink"))?;
        Ok(())
    }

    #[test]
    fn a_repository_walk_skips_what_the_crate_skips() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("repo");
        repository(&root)?;
        let all = same(&root, "**/*")?;
        // A few decisions spelled out, so the comparison cannot pass by
        // both walks finding nothing.
        for listed in [
            "a.c",
            "keep.o",
            "sub/top.txt",
            "sub/b.o",
            "sub/deeper/c.o",
            "src/build",
            "wanted.log",
            "listed_by_ignore",
            "rg_decides",
            ".kept",
            "vendor/lib/lib.o",
            "vendor/lib/lib.h",
        ] {
            assert!(
                all.iter().any(|f| f == listed),
                "{listed} missing from {all:?}"
            );
        }
        for skipped in [
            "a.o",
            "top.txt",
            "build/out.c",
            "docs/x.tmp",
            "app.log",
            "ignored_by_dot_ignore",
            "excluded.txt",
            "sub/excluded.txt",
            "sub/secret.txt",
            "sub/deeper/secret.txt",
            ".env",
            ".hidden/file.c",
            "x/gen/g.c",
            "vendor/lib/lib.c",
            "link.c",
            "sublink/b.o",
        ] {
            assert!(
                !all.iter().any(|f| f == skipped),
                "{skipped} listed in {all:?}"
            );
        }
        same(&root, "*.c")?;
        same(&root, "sub/**/*.o")?;
        same(&root, "**/*.{c,h}")?;
        Ok(())
    }

    #[test]
    fn gitignore_counts_only_inside_a_repository() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("plain");
        write(
            &root,
            &[
                (".gitignore", "*.c\n"),
                (".ignore", "*.h\n"),
                ("a.c", ""),
                ("a.h", ""),
                ("a.txt", ""),
                ("inner/.git/HEAD", ""),
                ("inner/.gitignore", "*.txt\n"),
                ("inner/b.c", ""),
                ("inner/b.h", ""),
                ("inner/b.txt", ""),
            ],
        )?;
        let all = same(&root, "**/*")?;
        assert_eq!(all, ["a.c", "a.txt", "inner/b.c"]);
        Ok(())
    }

    #[test]
    fn rules_above_the_root_count() -> TestResult {
        let dir = tempfile::tempdir()?;
        let repo = dir.path().join("repo");
        repository(&repo)?;
        write(
            &repo,
            &[
                (".gitignore", "*.o\nsub/deeper/kept.c\n"),
                (".ignore", "*.h\n"),
                ("sub/deeper/kept.c", ""),
                ("sub/deeper/d.h", ""),
            ],
        )?;
        let root = repo.join("sub");
        let all = same(&root, "**/*")?;
        assert!(all.iter().any(|f| f == "b.o"), "{all:?}");
        assert!(!all.iter().any(|f| f == "deeper/d.h"), "{all:?}");
        same(&repo.join("vendor"), "**/*")?;
        same(&repo.join("sub/deeper"), "**/*")?;
        Ok(())
    }

    #[test]
    fn worktrees_and_jj_repositories() -> TestResult {
        let dir = tempfile::tempdir()?;
        let common = dir.path().join("main.git");
        let linked = common.join("worktrees/wt");
        write(
            dir.path(),
            &[
                ("main.git/info/exclude", "*.tmp\n"),
                ("main.git/worktrees/wt/commondir", "../..\n"),
                ("wt/a.tmp", ""),
                ("wt/a.c", ""),
                ("wt/.gitignore", "*.o\n"),
                ("wt/a.o", ""),
                ("jj/.jj/repo", ""),
                ("jj/.gitignore", "*.o\n"),
                ("jj/b.o", ""),
                ("jj/b.c", ""),
            ],
        )?;
        std::fs::write(
            dir.path().join("wt/.git"),
            format!("gitdir: {}\n", linked.display()),
        )?;
        assert_eq!(same(&dir.path().join("wt"), "**/*")?, ["a.c"]);
        assert_eq!(same(&dir.path().join("jj"), "**/*")?, ["b.c"]);
        Ok(())
    }

    #[test]
    fn deep_trees_are_walked_whole() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut path = dir.path().join("deep");
        let mut files = Vec::new();
        for level in 0..(MAX_HELD_DEPTH + 20) {
            path.push(format!("d{level}"));
            files.push(path.join("f.txt"));
        }
        std::fs::create_dir_all(&path)?;
        for file in &files {
            std::fs::write(file, "x")?;
        }
        let all = same(&dir.path().join("deep"), "**/f.txt")?;
        assert_eq!(all.len(), files.len());
        Ok(())
    }

    #[test]
    fn the_global_excludes_apply_inside_a_repository() -> TestResult {
        let dir = tempfile::tempdir()?;
        write(
            dir.path(),
            &[
                ("repo/.git/HEAD", ""),
                ("repo/a.c", ""),
                ("repo/a.swp", ""),
                ("plain/b.c", ""),
                ("plain/b.swp", ""),
            ],
        )?;
        let global = IgnoreFile::from_lines(dir.path(), ["*.swp"], Path::new("global"));
        let pattern = GlobPattern::new("**/*")?;
        let control = Control::new(&SearchLimits::none());
        let listed = |root: PathBuf| -> Result<Vec<String>, Box<dyn std::error::Error>> {
            let rules = WalkRules::with_global(&root, global.clone());
            let found = walk_with(&rules, &pattern, &control, 2).ok_or("unsupported")?;
            Ok(names(&root, &sorted(found)))
        };
        assert_eq!(listed(dir.path().join("repo"))?, ["a.c"]);
        assert_eq!(listed(dir.path().join("plain"))?, ["b.c", "b.swp"]);
        Ok(())
    }

    #[test]
    fn files_come_newest_first_then_in_path_byte_order() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("order");
        // `.` and `-` sort before `/`, `0` after it: a directory's files
        // interleave with its neighbours' by bytes, not by components.
        let names = [
            "a.c", "a/x", "a/y/z", "a-b/y", "a0", "a.b/z", "ab", "b", "a/.x", "a/x0",
        ];
        let files: Vec<(&str, &str)> = names.iter().map(|n| (*n, "")).collect();
        write(&root, &files)?;
        let same_time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for name in names {
            std::fs::File::options()
                .write(true)
                .open(root.join(name))?
                .set_modified(same_time)?;
        }
        std::fs::File::options()
            .write(true)
            .open(root.join("b"))?
            .set_modified(same_time + std::time::Duration::from_secs(5))?;
        let pattern = GlobPattern::new("**/*")?;
        let rules = WalkRules::new(&root);
        for threads in [1, 2, 3] {
            let control = Control::new(&SearchLimits::none());
            let found = walk_with(&rules, &pattern, &control, threads).ok_or("unsupported")?;
            let got: Vec<String> = found
                .iter()
                .map(|(_, path)| path.strip_prefix(&root).map(|p| p.display().to_string()))
                .collect::<Result<_, _>>()?;
            assert_eq!(
                got,
                [
                    "b", "a-b/y", "a.b/z", "a.c", "a/x", "a/x0", "a/y/z", "a0", "ab"
                ],
                "{threads} threads"
            );
        }
        Ok(())
    }

    #[test]
    fn a_relative_root_is_left_to_the_crate() -> TestResult {
        let pattern = GlobPattern::new("**/*")?;
        let control = Control::new(&SearchLimits::none());
        assert!(walk(Path::new("."), &pattern, &control).is_none());
        Ok(())
    }

    #[test]
    fn limits_stop_the_walk() -> TestResult {
        let dir = tempfile::tempdir()?;
        let files: Vec<(String, &str)> = (0..50)
            .map(|i| (format!("d{}/f{i}.c", i % 5), ""))
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        write(dir.path(), &files)?;
        let pattern = GlobPattern::new("**/*.c")?;
        let rules = WalkRules::new(dir.path());
        let budget = SearchLimits::none().max_results(3);
        let control = Control::new(&budget);
        let found = walk_with(&rules, &pattern, &control, 1).ok_or("unsupported")?;
        assert_eq!(found.len(), 3);
        assert_eq!(
            control.partial(),
            Some(crate::limits::PartialReason::Budget)
        );
        let cancel = crate::limits::CancelFlag::new();
        cancel.cancel();
        let control = Control::new(&SearchLimits::none().cancel(cancel));
        let found = walk_with(&rules, &pattern, &control, 2).ok_or("unsupported")?;
        assert_eq!(found, []);
        assert_eq!(
            control.partial(),
            Some(crate::limits::PartialReason::Cancelled)
        );
        Ok(())
    }

    /// One generated tree: files (by path) and rule files' lines.
    fn random_tree() -> impl proptest::strategy::Strategy<Value = Vec<(String, String)>> {
        use proptest::prelude::*;
        let dir = prop::sample::select(vec!["", "a/", "b/", "a/b/", "a/.h/", "b/a/", ".h/"]);
        let name = prop::sample::select(vec!["a", "b", "x.o", "y.c", ".h", "a.o"]);
        let file = (dir.clone(), name).prop_map(|(d, n)| (format!("{d}{n}"), String::new()));
        let rule_name = prop::sample::select(vec![".gitignore", ".ignore", ".rgignore"]);
        let line = prop::sample::select(vec![
            "*.o", "!x.o", "a/", "/b", "b", ".h", "!.h", "a/**/b", "b/", "!a", "*.c", "!y.c",
            "/a/b",
        ]);
        let rules = (dir.clone(), rule_name, prop::collection::vec(line, 1..4))
            .prop_map(|(d, n, lines)| (format!("{d}{n}"), lines.join("\n") + "\n"));
        let repo = dir.prop_map(|d| (format!("{d}.git/HEAD"), String::new()));
        (
            prop::collection::vec(file, 1..14),
            prop::collection::vec(rules, 0..5),
            prop::collection::vec(repo, 0..2),
        )
            .prop_map(|(mut files, rules, repos)| {
                files.extend(rules);
                files.extend(repos);
                files
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn random_trees_walk_like_the_crate(tree in random_tree()) {
            let dir = tempfile::tempdir().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let root = dir.path().join("t");
            std::fs::create_dir(&root).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            // A path used both as a file and as a directory keeps the
            // first use.
            for (path, contents) in &tree {
                let _ = write(&root, &[(path.as_str(), contents.as_str())]);
            }
            let quick = fast(&root, "**/*").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let crate_found = slow(&root, "**/*").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(names(&root, &quick), names(&root, &crate_found));
            for sub in ["a", "a/b", "b"] {
                let below = root.join(sub);
                if below.is_dir() {
                    let quick = fast(&below, "**/*").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                    let crate_found = slow(&below, "**/*").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                    proptest::prop_assert_eq!(names(&below, &quick), names(&below, &crate_found), "below {}", sub);
                }
            }
        }
    }
}
