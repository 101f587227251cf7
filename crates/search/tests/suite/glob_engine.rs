//! Glob behaviour: order, limits, partial results, errors.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use ferrule_search::glob::{GlobError, GlobOutput, GlobQuery, glob};
use ferrule_search::{CancelFlag, PartialReason, SearchLimits};
use pretty_assertions::assert_eq;

use crate::suite::glob_fixture::write;

fn set_mtime(path: &Path, secs_after_epoch: u64) -> Result<()> {
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs_after_epoch))?;
    Ok(())
}

/// `names` created in order with increasing mtimes, `equal` sharing one.
fn dated_tree(names: &[(&str, u64)]) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for (name, secs) in names {
        write(dir.path(), name, name)?;
        set_mtime(&dir.path().join(name), *secs)?;
    }
    Ok(dir)
}

fn paths(root: &Path, names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(|n| root.join(n)).collect()
}

#[test]
fn results_are_newest_first_with_ties_broken_by_path() -> Result<()> {
    let dir = dated_tree(&[
        ("old.rs", 1_000),
        ("b/tie.rs", 5_000),
        ("a/tie.rs", 5_000),
        ("new.rs", 9_000),
        ("skip.txt", 9_999),
    ])?;
    let out = glob(
        &GlobQuery::new("**/*.rs").path(dir.path()),
        &SearchLimits::none(),
    )?;
    let want = GlobOutput {
        files: paths(dir.path(), &["new.rs", "a/tie.rs", "b/tie.rs", "old.rs"]),
        total_matches: 4,
        truncated: false,
        partial: None,
        walk_reused: false,
    };
    assert_eq!(out, want);
    Ok(())
}

#[test]
fn limit_keeps_the_newest_and_reports_the_total() -> Result<()> {
    let names: Vec<(String, u64)> = (0..250)
        .map(|i| (format!("f{i:03}.rs"), 1_000 + i))
        .collect();
    let refs: Vec<(&str, u64)> = names.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = dated_tree(&refs)?;
    let out = glob(
        &GlobQuery::new("*.rs").path(dir.path()),
        &SearchLimits::none(),
    )?;
    let newest: Vec<PathBuf> = (150..250)
        .rev()
        .map(|i| dir.path().join(format!("f{i:03}.rs")))
        .collect();
    let want = GlobOutput {
        files: newest,
        total_matches: 250,
        truncated: true,
        partial: None,
        walk_reused: false,
    };
    assert_eq!(out, want);
    let all = glob(
        &GlobQuery::new("*.rs").path(dir.path()).limit(None),
        &SearchLimits::none(),
    )?;
    assert_eq!((all.files.len(), all.truncated), (250, false));
    let none = glob(
        &GlobQuery::new("*.rs").path(dir.path()).limit(Some(0)),
        &SearchLimits::none(),
    )?;
    assert_eq!(
        (none.files.len(), none.total_matches, none.truncated),
        (0, 250, true)
    );
    Ok(())
}

#[test]
fn budget_stops_the_walk_and_marks_the_result_partial() -> Result<()> {
    let names: Vec<(String, u64)> = (0..50)
        .map(|i| (format!("d{}/f{i}.rs", i % 5), 1_000 + i))
        .collect();
    let refs: Vec<(&str, u64)> = names.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = dated_tree(&refs)?;
    let out = glob(
        &GlobQuery::new("**/*.rs").path(dir.path()),
        &SearchLimits::none().max_results(7),
    )?;
    assert_eq!(
        (out.files.len(), out.total_matches, out.partial),
        (7, 7, Some(PartialReason::Budget))
    );
    // Still sorted newest first.
    let mut sorted = out.files.clone();
    sorted.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).and_then(|m| m.modified()).ok()));
    assert_eq!(out.files, sorted);
    let enough = glob(
        &GlobQuery::new("**/*.rs").path(dir.path()),
        &SearchLimits::none().max_results(51),
    )?;
    assert_eq!((enough.total_matches, enough.partial), (50, None));
    Ok(())
}

#[test]
fn a_passed_deadline_returns_a_partial_result() -> Result<()> {
    let dir = dated_tree(&[("a.rs", 1), ("b.rs", 2)])?;
    let out = glob(
        &GlobQuery::new("*.rs").path(dir.path()),
        &SearchLimits::none().deadline(Instant::now()),
    )?;
    // The walk checks the clock before its first entry.
    let want = GlobOutput {
        partial: Some(PartialReason::Deadline),
        ..GlobOutput::default()
    };
    assert_eq!(out, want);
    let later = Instant::now() + Duration::from_secs(600);
    let full = glob(
        &GlobQuery::new("*.rs").path(dir.path()),
        &SearchLimits::none().deadline(later),
    )?;
    assert_eq!((full.total_matches, full.partial), (2, None));
    Ok(())
}

#[test]
fn a_cancelled_flag_stops_the_walk() -> Result<()> {
    let dir = dated_tree(&[("a.rs", 1)])?;
    let flag = CancelFlag::new();
    flag.cancel();
    let out = glob(
        &GlobQuery::new("*.rs").path(dir.path()),
        &SearchLimits::none().cancel(flag),
    )?;
    assert_eq!(
        (out.files.len(), out.partial),
        (0, Some(PartialReason::Cancelled))
    );
    Ok(())
}

#[test]
fn invalid_glob_is_an_error_naming_the_glob() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let err = glob(
        &GlobQuery::new("src/**/*.{rs").path(dir.path()),
        &SearchLimits::none(),
    )
    .err();
    let want = GlobError::InvalidPattern {
        pattern: "src/**/*.{rs".to_string(),
        reason: "unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)".to_string(),
    };
    assert_eq!(err.as_ref(), Some(&want));
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("invalid glob `src/**/*.{rs`: unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)".to_string())
    );
    Ok(())
}

#[test]
fn missing_or_non_directory_root_is_an_error_naming_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "file.rs", "x")?;
    let missing = dir.path().join("nope");
    let err = glob(
        &GlobQuery::new("*.rs").path(&missing),
        &SearchLimits::none(),
    )
    .err();
    assert_eq!(
        err,
        Some(GlobError::Root {
            root: missing,
            reason: "No such file or directory (os error 2)".to_string()
        })
    );
    let file = dir.path().join("file.rs");
    let err = glob(&GlobQuery::new("*.rs").path(&file), &SearchLimits::none()).err();
    assert_eq!(
        err,
        Some(GlobError::Root {
            root: file,
            reason: "not a directory".to_string()
        })
    );
    Ok(())
}

#[test]
fn path_defaults_to_the_working_directory() -> Result<()> {
    // cargo runs integration tests in the package directory.
    let cwd = std::env::current_dir()?;
    let out = glob(&GlobQuery::new("Cargo.toml"), &SearchLimits::none())?;
    assert_eq!(out.files, vec![cwd.join("Cargo.toml")]);
    Ok(())
}

#[test]
fn relative_base_narrows_the_walk_but_keeps_parent_ignore_rules() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()?;
    write(root, ".gitignore", "gen_*.rs\n")?;
    write(root, "src/a/ok.rs", "x")?;
    write(root, "src/a/gen_x.rs", "x")?;
    write(root, "other/a/ok.rs", "x")?;
    let out = glob(
        &GlobQuery::new("src/a/*.rs").path(root),
        &SearchLimits::none(),
    )?;
    assert_eq!(out.files, vec![root.join("src/a/ok.rs")]);
    Ok(())
}
