//! The warm engine never misses a change: every kind of edit to a real
//! tree is visible on the very next call, and the calls in between really
//! are served from the cache.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use ferrule_search::{
    EngineConfig, GrepQuery, OutputMode, SearchEngine, SearchLimits, WalkFilter, grep,
};
use pretty_assertions::assert_eq;

const WINDOW: Duration = Duration::from_millis(20);

fn engine() -> SearchEngine {
    SearchEngine::new(EngineConfig::default().racy_window(WINDOW))
}

/// Waits until everything written so far is older than the racy window.
fn settle() {
    std::thread::sleep(WINDOW * 3);
}

fn write(root: &Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

fn tree() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join(".git"))?;
    write(dir.path(), "a.txt", "alpha needle\n")?;
    write(dir.path(), "src/b.rs", "fn needle() {}\n")?;
    write(dir.path(), "src/c.rs", "fn other() {}\n")?;
    write(dir.path(), "docs/d.md", "needle in docs\n")?;
    settle();
    Ok(dir)
}

fn content(root: &Path) -> GrepQuery {
    GrepQuery::new("needle", root)
        .output_mode(OutputMode::Content)
        .line_numbers(true)
}

/// Runs `query` on the engine, checks it against a fresh one-shot search
/// and returns the engine's output.
fn run(engine: &SearchEngine, query: &GrepQuery) -> Result<ferrule_search::GrepOutput> {
    let warm = engine.grep(query, &SearchLimits::none())?;
    let fresh = grep(query, &SearchLimits::none())?;
    assert_eq!(
        warm.results, fresh.results,
        "engine and one-shot search differ"
    );
    Ok(warm)
}

#[test]
fn second_call_is_served_from_cache() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = content(dir.path());
    let cold = run(&engine, &query)?;
    assert!(!cold.stats.walk_reused);
    assert_eq!(cold.stats.files_from_cache, 0);
    let warm = run(&engine, &query)?;
    assert!(warm.stats.walk_reused);
    assert_eq!(warm.stats.files_from_cache, 4);
    assert_eq!(
        warm.results,
        "a.txt:1:alpha needle\ndocs/d.md:1:needle in docs\nsrc/b.rs:1:fn needle() {}"
    );
    assert!(engine.cached_bytes() > 0);
    Ok(())
}

#[test]
fn modified_file_of_same_size_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = content(dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    // Same length, new text, and a modification time set to another value.
    write(dir.path(), "src/c.rs", "fn needl() {}\n")?;
    write(dir.path(), "src/c.rs", "fn needle(){}\n")?;
    let file = std::fs::File::options()
        .write(true)
        .open(dir.path().join("src/c.rs"))?;
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))?;
    drop(file);
    settle();
    let out = run(&engine, &query)?;
    assert_eq!(
        out.results,
        "a.txt:1:alpha needle\ndocs/d.md:1:needle in docs\nsrc/b.rs:1:fn needle() {}\nsrc/c.rs:1:fn needle(){}"
    );
    Ok(())
}

#[test]
fn rewrite_that_restores_the_old_mtime_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = content(dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    let path = dir.path().join("a.txt");
    let old_mtime = std::fs::metadata(&path)?.modified()?;
    write(dir.path(), "a.txt", "alpha nuddle\n")?;
    std::fs::File::options()
        .write(true)
        .open(&path)?
        .set_modified(old_mtime)?;
    assert_eq!(std::fs::metadata(&path)?.modified()?, old_mtime);
    settle();
    let out = run(&engine, &query)?;
    assert_eq!(
        out.results,
        "docs/d.md:1:needle in docs\nsrc/b.rs:1:fn needle() {}"
    );
    Ok(())
}

#[test]
fn immediate_same_size_rewrite_is_seen_with_default_window() -> Result<()> {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "f.txt", "needle one\n")?;
    let engine = SearchEngine::default();
    let query = content(dir.path());
    for round in 0..5 {
        let text = if round % 2 == 0 {
            "needle one\n"
        } else {
            "needle two\n"
        };
        write(dir.path(), "f.txt", text)?;
        let out = run(&engine, &query)?;
        assert_eq!(out.results, format!("f.txt:1:{}", text.trim_end()));
    }
    Ok(())
}

#[test]
fn added_file_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = content(dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    write(dir.path(), "src/e.rs", "// needle added\n")?;
    let out = run(&engine, &query)?;
    assert!(
        !out.stats.walk_reused,
        "the directory change must force a new walk"
    );
    assert!(
        out.results
            .ends_with("src/b.rs:1:fn needle() {}\nsrc/e.rs:1:// needle added"),
        "{}",
        out.results
    );
    Ok(())
}

#[test]
fn file_in_new_subdirectory_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = GrepQuery::new("needle", dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    write(dir.path(), "src/deep/er/f.rs", "needle deep\n")?;
    let out = run(&engine, &query)?;
    assert_eq!(out.results, "a.txt\ndocs/d.md\nsrc/b.rs\nsrc/deep/er/f.rs");
    Ok(())
}

#[test]
fn deleted_file_is_gone() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = GrepQuery::new("needle", dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    std::fs::remove_file(dir.path().join("docs/d.md"))?;
    let out = run(&engine, &query)?;
    assert_eq!(out.results, "a.txt\nsrc/b.rs");
    Ok(())
}

#[test]
fn renamed_over_file_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = GrepQuery::new("needle", dir.path());
    run(&engine, &query)?;
    run(&engine, &query)?;
    // An editor's atomic save: write a temp file elsewhere, rename over.
    let other = tempfile::tempdir_in(dir.path())?;
    let tmp = other.path().join("tmp");
    std::fs::write(&tmp, "fn needle() {}\n")?;
    std::fs::rename(&tmp, dir.path().join("src/c.rs"))?;
    drop(other);
    let out = run(&engine, &query)?;
    assert_eq!(out.results, "a.txt\ndocs/d.md\nsrc/b.rs\nsrc/c.rs");
    Ok(())
}

#[test]
fn gitignore_rule_added_and_removed_is_seen() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let query = GrepQuery::new("needle", dir.path());
    run(&engine, &query)?;
    write(dir.path(), ".gitignore", "docs/\n")?;
    assert_eq!(run(&engine, &query)?.results, "a.txt\nsrc/b.rs");
    settle();
    assert_eq!(run(&engine, &query)?.results, "a.txt\nsrc/b.rs");
    // Edit the existing ignore file (its directory does not change).
    write(dir.path(), ".gitignore", "*.rs\n")?;
    assert_eq!(run(&engine, &query)?.results, "a.txt\ndocs/d.md");
    settle();
    run(&engine, &query)?;
    std::fs::remove_file(dir.path().join(".gitignore"))?;
    assert_eq!(run(&engine, &query)?.results, "a.txt\ndocs/d.md\nsrc/b.rs");
    Ok(())
}

#[test]
fn ignore_file_in_subdirectory_and_parent_is_seen() -> Result<()> {
    let outer = tempfile::tempdir()?;
    std::fs::create_dir(outer.path().join(".git"))?;
    let root = outer.path().join("project");
    write(&root, "keep.txt", "needle\n")?;
    write(&root, "sub/drop.txt", "needle\n")?;
    settle();
    let engine = engine();
    let query = GrepQuery::new("needle", &root);
    run(&engine, &query)?;
    run(&engine, &query)?;
    write(&root, "sub/.ignore", "drop.txt\n")?;
    assert_eq!(run(&engine, &query)?.results, "keep.txt");
    settle();
    std::fs::remove_file(root.join("sub/.ignore"))?;
    run(&engine, &query)?;
    settle();
    run(&engine, &query)?;
    // A rule in a parent of the search root applies too.
    write(outer.path(), ".gitignore", "keep.txt\n")?;
    assert_eq!(run(&engine, &query)?.results, "sub/drop.txt");
    Ok(())
}

#[test]
fn zero_budget_caches_nothing_and_stays_correct() -> Result<()> {
    let dir = tree()?;
    let engine = SearchEngine::new(EngineConfig::default().racy_window(WINDOW).memory_budget(0));
    let query = content(dir.path());
    run(&engine, &query)?;
    let out = run(&engine, &query)?;
    assert_eq!(out.stats.files_from_cache, 0);
    assert!(out.stats.walk_reused);
    assert_eq!(engine.cached_bytes(), 0);
    Ok(())
}

#[test]
fn budget_smaller_than_tree_caches_part_and_streams_the_rest() -> Result<()> {
    let dir = tree()?;
    let engine = SearchEngine::new(
        EngineConfig::default()
            .racy_window(WINDOW)
            .memory_budget(30),
    );
    let query = content(dir.path());
    run(&engine, &query)?;
    let out = run(&engine, &query)?;
    assert!(
        out.stats.files_from_cache >= 1 && out.stats.files_from_cache < 4,
        "{:?}",
        out.stats
    );
    assert!(engine.cached_bytes() <= 30);
    Ok(())
}

#[test]
fn engine_is_shared_across_threads() -> Result<()> {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchEngine>();
    let dir = tree()?;
    let engine = Arc::new(engine());
    let query = content(dir.path());
    let expected = grep(&query, &SearchLimits::none())?.results;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let engine = Arc::clone(&engine);
            let query = query.clone();
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        engine
                            .grep(&query, &SearchLimits::none())
                            .map(|o| o.results)
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .collect();
    for handle in handles {
        let results = handle
            .join()
            .map_err(|_| anyhow::anyhow!("thread panicked"))??;
        for result in results {
            assert_eq!(result, expected);
        }
    }
    Ok(())
}

#[test]
fn walk_lists_files_and_sees_new_ones() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let filter = WalkFilter::new().glob("*.rs");
    let names = |engine: &SearchEngine| -> Result<Vec<String>> {
        Ok(engine
            .walk(dir.path(), &filter, &SearchLimits::none())?
            .files
            .iter()
            .map(|f| f.relative().display().to_string())
            .collect())
    };
    assert_eq!(names(&engine)?, vec!["src/b.rs", "src/c.rs"]);
    assert_eq!(names(&engine)?, vec!["src/b.rs", "src/c.rs"]);
    write(dir.path(), "src/new/x.rs", "")?;
    assert_eq!(
        names(&engine)?,
        vec!["src/b.rs", "src/c.rs", "src/new/x.rs"]
    );
    Ok(())
}

#[test]
fn filtered_walk_keeps_contents_other_walks_use() -> Result<()> {
    let dir = tree()?;
    let engine = engine();
    let all = content(dir.path());
    run(&engine, &all)?;
    run(&engine, &content(dir.path()).glob("*.rs"))?;
    let out = run(&engine, &all)?;
    assert_eq!(out.stats.files_from_cache, 4);
    Ok(())
}
