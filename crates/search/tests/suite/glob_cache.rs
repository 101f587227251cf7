//! Glob on a warm `SearchEngine`: repeated calls reuse the walk, and an
//! added, deleted, modified, renamed or newly un-ignored file is never
//! missed on the very next call.

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use ferrule_search::glob::{GlobOutput, GlobQuery, glob};
use ferrule_search::{EngineConfig, GrepQuery, SearchEngine, SearchLimits};
use pretty_assertions::assert_eq;

use crate::suite::glob_fixture::{self, write};

const WINDOW: Duration = Duration::from_millis(20);

fn engine() -> SearchEngine {
    SearchEngine::new(EngineConfig::default().racy_window(WINDOW))
}

/// Waits until everything written so far is older than the racy window,
/// so the engine may remember the walk.
fn settle() {
    std::thread::sleep(WINDOW * 3);
}

/// The engine's answer, checked against a fresh walk (all but the reuse
/// flag must be equal).
fn run(engine: &SearchEngine, root: &Path, pattern: &str) -> Result<GlobOutput> {
    let query = GlobQuery::new(pattern).path(root).limit(None);
    let warm = engine.glob(&query, &SearchLimits::none())?;
    let fresh = glob(&query, &SearchLimits::none())?;
    let without_flag = GlobOutput {
        walk_reused: false,
        ..warm.clone()
    };
    assert_eq!(
        without_flag, fresh,
        "engine and fresh walk differ for {pattern:?}"
    );
    Ok(warm)
}

fn names(root: &Path, out: &GlobOutput) -> Vec<String> {
    out.files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn second_call_reuses_the_walk() -> Result<()> {
    let dir = glob_fixture::tree()?;
    settle();
    let engine = engine();
    let first = run(&engine, dir.path(), "**/*.rs")?;
    assert!(!first.walk_reused);
    let second = run(&engine, dir.path(), "**/*.rs")?;
    assert!(second.walk_reused);
    // Another pattern on the same root shares the walk.
    let third = run(&engine, dir.path(), "*.md")?;
    assert!(third.walk_reused);
    assert_eq!(
        sorted(names(dir.path(), &third)),
        vec![
            "README.md",
            "docs/guide/a/x.md",
            "docs/guide/intro.md",
            "docs/readme.md"
        ]
    );
    Ok(())
}

#[test]
fn grep_and_glob_of_one_root_share_the_walk() -> Result<()> {
    let dir = glob_fixture::tree()?;
    settle();
    let engine = engine();
    engine.grep(&GrepQuery::new("src", dir.path()), &SearchLimits::none())?;
    let out = run(&engine, dir.path(), "**/*.rs")?;
    assert!(out.walk_reused);
    Ok(())
}

#[test]
fn added_and_deleted_files_are_seen_on_the_next_call() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    settle();
    let engine = engine();
    run(&engine, root, "**/*.rs")?;
    write(root, "src/a/new.rs", "x")?;
    write(root, "fresh/dir/n.rs", "x")?;
    std::fs::remove_file(root.join("src/lib.rs"))?;
    let out = run(&engine, root, "**/*.rs")?;
    let got = sorted(names(root, &out));
    for want in ["src/a/new.rs", "fresh/dir/n.rs"] {
        assert!(
            got.contains(&want.to_string()),
            "{want} missing from {got:?}"
        );
    }
    assert!(!got.contains(&"src/lib.rs".to_string()));
    settle();
    // Calm again: one call remembers the new walk, the next reuses it.
    assert!(!run(&engine, root, "**/*.rs")?.walk_reused);
    assert!(run(&engine, root, "**/*.rs")?.walk_reused);
    Ok(())
}

/// A file created in a directory that no listed file lives under: the
/// only stamp that changes is that directory's own.
fn file_in_unlisted_directory_is_seen(setup: &[(&str, &str)], added: &str) -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    for (rel, text) in setup {
        if rel.ends_with('/') {
            std::fs::create_dir_all(root.join(rel))?;
        } else {
            write(root, rel, text)?;
        }
    }
    settle();
    let engine = engine();
    assert!(!run(&engine, root, "**/*.txt")?.walk_reused);
    assert!(run(&engine, root, "**/*.txt")?.walk_reused);
    write(root, added, "x")?;
    let out = run(&engine, root, "**/*.txt")?;
    assert_eq!(names(root, &out), vec![added.to_string()]);
    Ok(())
}

#[test]
fn a_file_added_to_an_empty_directory_is_seen() -> Result<()> {
    file_in_unlisted_directory_is_seen(&[("empty/", "")], "empty/first.txt")
}

#[test]
fn a_file_added_to_a_directory_of_ignored_files_is_seen() -> Result<()> {
    file_in_unlisted_directory_is_seen(&[("logs/only.log", "x")], "logs/visible.txt")
}

#[test]
fn modified_file_moves_to_the_front() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    for (i, name) in ["src/main.rs", "src/lib.rs", "src/a/mod.rs"]
        .iter()
        .enumerate()
    {
        let file = std::fs::File::options().write(true).open(root.join(name))?;
        file.set_modified(old + Duration::from_secs(i as u64))?;
    }
    settle();
    let engine = engine();
    let before = run(&engine, root, "src/**/*.rs")?;
    assert_eq!(
        before.files.last().map(|p| p.ends_with("src/main.rs")),
        Some(true)
    );
    std::fs::write(root.join("src/main.rs"), "edited")?;
    let after = run(&engine, root, "src/**/*.rs")?;
    assert!(after.walk_reused, "an edit in place keeps the walk");
    assert_eq!(
        after.files.first().map(|p| p.ends_with("src/main.rs")),
        Some(true)
    );
    Ok(())
}

#[test]
fn renamed_file_and_edited_ignore_rules_are_seen() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    settle();
    let engine = engine();
    run(&engine, root, "**/*.rs")?;
    std::fs::rename(root.join("src/a/b/c.rs"), root.join("src/a/b/renamed.rs"))?;
    // Un-ignore `generated.rs` by emptying the nested .gitignore.
    std::fs::write(root.join("src/a/.gitignore"), "")?;
    let out = run(&engine, root, "src/a/**/*.rs")?;
    assert_eq!(
        sorted(names(root, &out)),
        vec![
            "src/a/b/deep/d.rs",
            "src/a/b/renamed.rs",
            "src/a/generated.rs",
            "src/a/mod.rs"
        ]
    );
    Ok(())
}

fn set_mtime(path: &Path, secs: u64) -> Result<()> {
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))?;
    Ok(())
}

#[test]
fn setting_a_time_back_reorders_on_the_next_call() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    for (name, secs) in [("a.rs", 3_000), ("b.rs", 2_000), ("c.rs", 1_000)] {
        write(root, name, name)?;
        set_mtime(&root.join(name), secs)?;
    }
    settle();
    let engine = engine();
    let first = run(&engine, root, "*.rs")?;
    assert_eq!(names(root, &first), vec!["a.rs", "b.rs", "c.rs"]);
    // Only the file's own times change (as `touch -d` does).
    set_mtime(&root.join("a.rs"), 500)?;
    let second = run(&engine, root, "*.rs")?;
    assert!(second.walk_reused);
    assert_eq!(names(root, &second), vec!["b.rs", "c.rs", "a.rs"]);
    Ok(())
}

#[test]
fn an_edit_through_a_hard_link_elsewhere_is_seen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "old.rs", "x")?;
    set_mtime(&root.join("old.rs"), 5_000)?;
    write(root, "linked.rs", "x")?;
    set_mtime(&root.join("linked.rs"), 1_000)?;
    std::fs::hard_link(root.join("linked.rs"), outside.path().join("alias.rs"))?;
    settle();
    let engine = engine();
    assert_eq!(
        names(root, &run(&engine, root, "*.rs")?),
        vec!["old.rs", "linked.rs"]
    );
    // The edit notifies only the other directory.
    set_mtime(&outside.path().join("alias.rs"), 9_000)?;
    assert_eq!(
        names(root, &run(&engine, root, "*.rs")?),
        vec!["linked.rs", "old.rs"]
    );
    Ok(())
}
