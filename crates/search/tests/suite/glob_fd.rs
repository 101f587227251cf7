//! Differential tests: Glob and the real `fd` list the same files.
//!
//! A pattern with a `/` is compared with `fd --type f -s -p -g ROOT/PATTERN`
//! (full-path glob, case-sensitive); a pattern without one with
//! `fd --type f -s -g PATTERN` (file-name glob); extensions with `fd -e`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use ferrule_search::CaseMode;
use ferrule_search::SearchLimits;
use ferrule_search::glob::{GlobQuery, glob};
use pretty_assertions::assert_eq;

use crate::suite::glob_fixture;

fn fd_binary() -> PathBuf {
    let debian = PathBuf::from("/usr/bin/fdfind");
    if debian.exists() {
        debian
    } else {
        PathBuf::from("fd")
    }
}

/// The files `fd ARGS` prints when run in `root`, relative to `root`.
fn fd(root: &Path, args: &[&str]) -> Result<BTreeSet<String>> {
    let out = Command::new(fd_binary())
        .args(args)
        .current_dir(root)
        .output()
        .context("running fd")?;
    ensure!(
        out.status.success(),
        "fd {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    Ok(text
        .lines()
        .map(|l| l.strip_prefix("./").unwrap_or(l).to_string())
        .collect())
}

/// The files Glob returns for `pattern` below `root`, relative to `root`.
fn ferrule(root: &Path, pattern: &str, case: CaseMode) -> Result<BTreeSet<String>> {
    let out = glob(
        &GlobQuery::new(pattern).path(root).case(case).limit(None),
        &SearchLimits::none(),
    )?;
    ensure!(out.files.len() == out.total_matches && !out.truncated && out.partial.is_none());
    out.files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .map(|p| p.display().to_string())
                .with_context(|| format!("{} is outside {}", f.display(), root.display()))
        })
        .collect()
}

#[test]
fn glob_lists_the_same_files_as_fd_for_every_pattern() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    let patterns = [
        "**/*.rs",
        "*.rs",
        "*.{ts,tsx}",
        "*.{md,js}",
        "*.log",
        "?ain.rs",
        "src/*.rs",
        "src/**/*.rs",
        "src/a/*/*.rs",
        "**/b/**",
        "**/a/**/*.md",
        "docs/**/*.md",
        "**/[lm]*.rs",
        "**/b/c.rs",
        "**/*",
        "*",
        "src/*.{ts,tsx,js}",
        "weird name.rs",
        "**/*.RS",
    ];
    let mut checked = 0;
    for pattern in patterns {
        let expected = if pattern.contains('/') {
            let full = format!("{}/{pattern}", root.display());
            fd(root, &["--type", "f", "-s", "-p", "-g", &full])?
        } else {
            fd(root, &["--type", "f", "-s", "-g", pattern])?
        };
        let got = ferrule(root, pattern, CaseMode::Sensitive)?;
        assert_eq!(got, expected, "pattern {pattern:?}");
        checked += usize::from(!expected.is_empty());
    }
    // The comparison means something only if most patterns match files.
    assert!(checked >= 17, "only {checked} patterns matched anything");
    Ok(())
}

#[test]
fn absolute_pattern_lists_the_same_files_as_fd_full_path_glob() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    let pattern = format!("{}/src/**/*.rs", root.display());
    let expected = fd(root, &["--type", "f", "-s", "-p", "-g", &pattern])?;
    // The query path is somewhere else: the pattern's prefix wins.
    let out = glob(
        &GlobQuery::new(&pattern).path("/").limit(None),
        &SearchLimits::none(),
    )?;
    let got: BTreeSet<String> = out
        .files
        .iter()
        .filter_map(|f| f.strip_prefix(root).ok())
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(got.len(), out.files.len());
    assert_eq!(got, expected);
    Ok(())
}

#[test]
fn extension_search_matches_fd_extension_filter() -> Result<()> {
    let dir = glob_fixture::tree()?;
    let root = dir.path();
    for ext in ["rs", "md", "ts", "log"] {
        // fd -e compares extensions ignoring case.
        let expected = fd(root, &["--type", "f", "-e", ext])?;
        let got = ferrule(root, &format!("*.{ext}"), CaseMode::Insensitive)?;
        assert_eq!(got, expected, "extension {ext}");
    }
    Ok(())
}
