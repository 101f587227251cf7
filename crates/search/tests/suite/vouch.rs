//! Warm Grep with inotify vouching for cached files: from the third call
//! on the cached files are searched without a stat, and every kind of
//! change is still seen on the very next call (no wait in between).

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use ferrule_search::{
    EngineConfig, GrepOutput, GrepQuery, OutputMode, SearchEngine, SearchLimits, grep,
};
use pretty_assertions::assert_eq;

const WINDOW: Duration = Duration::from_millis(20);

fn engine() -> SearchEngine {
    SearchEngine::new(EngineConfig::default().racy_window(WINDOW))
}

/// Waits until everything written so far is older than the racy window
/// (younger files are not cached at all).
fn settle() {
    std::thread::sleep(WINDOW * 3);
}

fn tree() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join(".git"))?;
    std::fs::create_dir(dir.path().join("src"))?;
    std::fs::write(dir.path().join("a.txt"), "alpha needle\n")?;
    std::fs::write(dir.path().join("src/b.rs"), "fn needle() {}\n")?;
    std::fs::write(dir.path().join("src/c.rs"), "fn other() {}\n")?;
    settle();
    Ok(dir)
}

fn query(root: &Path) -> GrepQuery {
    GrepQuery::new("needle", root)
        .output_mode(OutputMode::Content)
        .line_numbers(true)
}

/// The engine's answer, checked against a one-shot search.
fn run(engine: &SearchEngine, root: &Path) -> Result<GrepOutput> {
    let warm = engine.grep(&query(root), &SearchLimits::none())?;
    let fresh = grep(&query(root), &SearchLimits::none())?;
    assert_eq!(
        warm.results, fresh.results,
        "engine and one-shot search differ"
    );
    Ok(warm)
}

/// Runs until the engine vouches for all `files` cached files (the first
/// call reads, the second stats and vouches, the third trusts).
fn warm_up(engine: &SearchEngine, root: &Path, files: u64) -> Result<()> {
    run(engine, root)?;
    run(engine, root)?;
    let third = run(engine, root)?;
    assert_eq!(
        (third.stats.files_from_cache, third.stats.files_vouched),
        (files, files),
        "{:?}",
        third.stats
    );
    Ok(())
}

#[test]
fn vouched_files_skip_the_stat_and_every_change_is_seen_at_once() -> Result<()> {
    let dir = tree()?;
    let root = dir.path();
    let engine = engine();
    warm_up(&engine, root, 3)?;

    // Same size, modification time put back: only the event tells.
    let c = root.join("src/c.rs");
    let old = std::fs::metadata(&c)?.modified()?;
    std::fs::write(&c, "fn needle()\n\n")?;
    std::fs::File::options()
        .write(true)
        .open(&c)?
        .set_modified(old)?;
    let out = run(&engine, root)?;
    assert!(
        out.results.ends_with("src/c.rs:1:fn needle()"),
        "{}",
        out.results
    );
    assert_eq!(out.stats.files_vouched, 2);

    // Truncated in place.
    settle();
    warm_up(&engine, root, 3)?;
    std::fs::File::options()
        .write(true)
        .open(root.join("a.txt"))?
        .set_len(0)?;
    let out = run(&engine, root)?;
    assert!(!out.results.contains("a.txt"), "{}", out.results);

    // Replaced by a rename (an editor's save).
    settle();
    warm_up(&engine, root, 3)?;
    std::fs::write(root.join("tmp.part"), "no match here\n")?;
    std::fs::rename(root.join("tmp.part"), root.join("src/b.rs"))?;
    let out = run(&engine, root)?;
    assert_eq!(out.results, "src/c.rs:1:fn needle()");

    // Deleted.
    settle();
    warm_up(&engine, root, 3)?;
    std::fs::remove_file(&c)?;
    assert_eq!(run(&engine, root)?.results, "");
    Ok(())
}

#[test]
fn a_file_with_two_links_is_stat_ed_every_time() -> Result<()> {
    let dir = tree()?;
    let root = dir.path();
    let elsewhere = tempfile::tempdir()?;
    let link = elsewhere.path().join("b-link.rs");
    std::fs::hard_link(root.join("src/b.rs"), &link)?;
    settle();
    let engine = engine();
    run(&engine, root)?;
    run(&engine, root)?;
    let third = run(&engine, root)?;
    assert_eq!(
        (third.stats.files_from_cache, third.stats.files_vouched),
        (3, 2)
    );
    // An edit through the other directory raises no event in the tree.
    let old = std::fs::metadata(&link)?.modified()?;
    std::fs::write(&link, "fn needlE() {}\n")?;
    std::fs::File::options()
        .write(true)
        .open(&link)?
        .set_modified(old)?;
    assert_eq!(run(&engine, root)?.results, "a.txt:1:alpha needle");
    Ok(())
}

#[test]
fn without_watching_every_call_stats_and_stays_correct() -> Result<()> {
    let dir = tree()?;
    let root = dir.path();
    let engine = SearchEngine::new(
        EngineConfig::default()
            .racy_window(WINDOW)
            .watch_changes(false),
    );
    for _ in 0..3 {
        let out = run(&engine, root)?;
        assert_eq!(out.stats.files_vouched, 0);
    }
    let a = root.join("a.txt");
    let old = std::fs::metadata(&a)?.modified()?;
    std::fs::write(&a, "alpha nuddle\n")?;
    std::fs::File::options()
        .write(true)
        .open(&a)?
        .set_modified(old)?;
    assert_eq!(run(&engine, root)?.results, "src/b.rs:1:fn needle() {}");
    Ok(())
}

#[test]
fn a_glob_call_between_keeps_the_events_for_grep() -> Result<()> {
    // Glob and Grep share the watches: a Glob call that drains the event
    // queue must still leave the change visible to the next Grep.
    let dir = tree()?;
    let root = dir.path();
    let engine = engine();
    warm_up(&engine, root, 3)?;
    let a = root.join("a.txt");
    let old = std::fs::metadata(&a)?.modified()?;
    std::fs::write(&a, "alpha nuddle\n")?;
    std::fs::File::options()
        .write(true)
        .open(&a)?
        .set_modified(old)?;
    let glob = ferrule_search::glob::GlobQuery::new("**/*").path(root);
    engine.glob(&glob, &SearchLimits::none())?;
    assert_eq!(run(&engine, root)?.results, "src/b.rs:1:fn needle() {}");
    Ok(())
}
