//! ferrule-checkpoint: the cost of snapshotting a 1 MB file before a write
//! (new content, and content already stored) beside copying the file, and of
//! `record_workspace` on the Linux corpus (first record, and incremental
//! records with nothing or five files changed) beside a bare ignore-aware
//! walk with metadata; and a dry-run rewind over the corpus. Run with
//! `cargo bench -p ferrule-benches --bench checkpoint`; figures are recorded
//! in README.md ("Checkpoint").
//!
//! The corpus (`/var/cache/ferrule/corpus/linux`) is never written: the
//! workspace benches run on a hard-link copy of it in a temp directory, and
//! a "changed" file is replaced by a new file (rename), which breaks its
//! link instead of writing through it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use divan::Bencher;
use ferrule_checkpoint::CheckpointStore;

const CORPUS: &str = "/var/cache/ferrule/corpus/linux";
const MEGABYTE: usize = 1 << 20;

static LINKED: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn main() {
    divan::main();
    // Statics are never dropped: remove the hard-link copy by hand.
    if let Some(Some((temp, _))) = LINKED.get()
        && let Err(error) = fs::remove_dir_all(temp.path())
    {
        eprintln!(
            "checkpoint bench: cannot remove {}: {error}",
            temp.path().display()
        );
    }
}

fn next_id() -> String {
    format!("m{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// 1 MB of source-like text.
fn megabyte_text() -> Vec<u8> {
    let line = b"    let value = compute(argument, 42); // a typical line of code\n";
    line.iter().copied().cycle().take(MEGABYTE).collect()
}

struct FileCase {
    _dir: tempfile::TempDir,
    store: CheckpointStore,
    path: PathBuf,
}

fn file_case() -> FileCase {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let store = CheckpointStore::open(dir.path().join("checkpoints"))
        .unwrap_or_else(|error| panic!("open store: {error}"));
    let path = dir.path().join("big.rs");
    fs::write(&path, megabyte_text()).unwrap_or_else(|error| panic!("write: {error}"));
    FileCase {
        _dir: dir,
        store,
        path,
    }
}

/// Snapshot of a 1 MB file whose content is not stored yet: read, hash,
/// blob written through a temp file and rename, index line appended.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn snapshot_1mb_new_content(bencher: Bencher<'_, '_>) {
    let mut case = file_case();
    let mut text = megabyte_text();
    bencher
        .with_inputs(|| {
            // Make the content unique so nothing is deduplicated.
            let stamp = next_id();
            text[..stamp.len()].copy_from_slice(stamp.as_bytes());
            fs::write(&case.path, &text).unwrap_or_else(|error| panic!("write: {error}"));
            stamp
        })
        .bench_local_values(|id| {
            case.store
                .before_write(&id, &case.path)
                .unwrap_or_else(|error| panic!("snapshot: {error}"))
        });
}

/// Snapshot of a 1 MB file whose content is already stored (a later
/// message touching an unchanged file): read and hash, index line appended.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn snapshot_1mb_stored_content(bencher: Bencher<'_, '_>) {
    let mut case = file_case();
    bencher.with_inputs(next_id).bench_local_values(|id| {
        case.store
            .before_write(&id, &case.path)
            .unwrap_or_else(|error| panic!("snapshot: {error}"))
    });
}

/// Baseline: copying the same 1 MB file.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn baseline_copy_1mb(bencher: Bencher<'_, '_>) {
    let case = file_case();
    let copy = case.path.with_extension("copy");
    bencher.bench_local(|| {
        fs::copy(&case.path, &copy).unwrap_or_else(|error| panic!("copy: {error}"))
    });
}

/// A hard-link copy of the corpus (created once), or `None` when the corpus
/// is absent.
fn linked_corpus() -> Option<&'static Path> {
    LINKED
        .get_or_init(|| {
            if !Path::new(CORPUS).is_dir() {
                eprintln!("checkpoint bench: {CORPUS} is absent, skipping the workspace benches");
                return None;
            }
            let temp = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
            let root = temp.path().join("linux");
            link_tree(Path::new(CORPUS), &root);
            Some((temp, root))
        })
        .as_ref()
        .map(|(_, root)| root.as_path())
}

fn link_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|error| panic!("mkdir {}: {error}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|error| panic!("read {}: {error}", from.display()));
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            link_tree(&entry.path(), &target);
        } else if kind.is_file() {
            fs::hard_link(entry.path(), &target)
                .unwrap_or_else(|error| panic!("link {}: {error}", target.display()));
        }
    }
}

/// Replaces five files of the linked corpus with new content (new inodes).
fn change_five_files(root: &Path, round: u64) {
    for name in [
        "Makefile",
        "README",
        "kernel/fork.c",
        "mm/mmap.c",
        "fs/open.c",
    ] {
        let path = root.join(name);
        let Ok(mut bytes) = fs::read(&path) else {
            continue;
        };
        bytes.extend_from_slice(format!("\n/* round {round} */\n").as_bytes());
        let temp = path.with_extension("bench-tmp");
        fs::write(&temp, &bytes).unwrap_or_else(|error| panic!("write: {error}"));
        fs::rename(&temp, &path).unwrap_or_else(|error| panic!("rename: {error}"));
    }
}

/// Baseline: the ignore-aware walk with metadata and nothing else.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn baseline_walk_linux(bencher: Bencher<'_, '_>) {
    let Some(root) = linked_corpus() else { return };
    bencher.bench_local(|| {
        let mut files = 0usize;
        for entry in ignore::WalkBuilder::new(root)
            .require_git(false)
            .build()
            .flatten()
        {
            if entry.file_type().is_some_and(|kind| kind.is_file()) && entry.metadata().is_ok() {
                files += 1;
            }
        }
        files
    });
}

/// First record of the corpus into an empty store: every file read, hashed
/// and stored.
#[divan::bench(sample_count = 2, sample_size = 1)]
fn record_linux_first(bencher: Bencher<'_, '_>) {
    let Some(root) = linked_corpus() else { return };
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
            let store = CheckpointStore::open(dir.path().join("checkpoints"))
                .unwrap_or_else(|error| panic!("open store: {error}"));
            (dir, store)
        })
        .bench_local_values(|(dir, mut store)| {
            let summary = store
                .record_workspace("m", root)
                .unwrap_or_else(|error| panic!("record: {error}"));
            (dir, summary)
        });
}

fn recorded_store() -> Option<(tempfile::TempDir, CheckpointStore, &'static Path)> {
    let root = linked_corpus()?;
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let mut store = CheckpointStore::open(dir.path().join("checkpoints"))
        .unwrap_or_else(|error| panic!("open store: {error}"));
    store
        .record_workspace("m0", root)
        .unwrap_or_else(|error| panic!("record: {error}"));
    Some((dir, store, root))
}

/// A record right after another: every file stat'ed, none read.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn record_linux_incremental_unchanged(bencher: Bencher<'_, '_>) {
    let Some((_dir, mut store, root)) = recorded_store() else {
        return;
    };
    bencher.with_inputs(next_id).bench_local_values(|id| {
        store
            .record_workspace(&id, root)
            .unwrap_or_else(|error| panic!("record: {error}"))
    });
}

/// A record after five files changed: every file stat'ed, five read.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn record_linux_incremental_five_changed(bencher: Bencher<'_, '_>) {
    let Some((_dir, mut store, root)) = recorded_store() else {
        return;
    };
    bencher
        .with_inputs(|| {
            change_five_files(root, COUNTER.fetch_add(1, Ordering::Relaxed));
            next_id()
        })
        .bench_local_values(|id| {
            let summary = store
                .record_workspace(&id, root)
                .unwrap_or_else(|error| panic!("record: {error}"));
            assert_eq!(summary.hashed, 5, "five files re-read");
            summary
        });
}

/// A dry-run rewind over the corpus after five files changed (between a
/// record before and one after, as around a Bash call): the walk, the
/// manifests of both records compared, five files read and diffed.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn rewind_linux_dry_run_five_changed(bencher: Bencher<'_, '_>) {
    let Some((_dir, mut store, root)) = recorded_store() else {
        return;
    };
    change_five_files(root, COUNTER.fetch_add(1, Ordering::Relaxed));
    store
        .record_workspace("m0", root)
        .unwrap_or_else(|error| panic!("record: {error}"));
    let options = ferrule_checkpoint::RewindOptions::default().with_dry_run();
    bencher.bench_local(|| {
        let report = store
            .try_rewind("m0", options)
            .unwrap_or_else(|error| panic!("rewind: {error}"));
        assert_eq!(report.files_changed.len(), 5, "five files to restore");
        report
    });
}
