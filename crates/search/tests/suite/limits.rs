//! Deadlines, result budgets, cancellation, and `head_limit`/`offset`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use ferrule_search::{
    CancelFlag, EngineConfig, GrepQuery, OutputMode, PartialReason, SearchEngine, SearchLimits,
    grep,
};
use pretty_assertions::assert_eq;
use proptest::prelude::*;

fn many_files(n: usize) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for i in 0..n {
        let sub = dir.path().join(format!("d{}", i % 10));
        std::fs::create_dir_all(&sub)?;
        std::fs::write(
            sub.join(format!("f{i:04}.txt")),
            format!("line one\nneedle {i}\nline three\n"),
        )?;
    }
    Ok(dir)
}

#[test]
fn passed_deadline_returns_partial_without_error() -> Result<()> {
    let dir = many_files(50)?;
    let limits = SearchLimits::none().deadline(Instant::now());
    let query = GrepQuery::new("needle", dir.path());
    let out = grep(&query, &limits)?;
    assert_eq!(out.partial, Some(PartialReason::Deadline));
    let out = SearchEngine::default().grep(&query, &limits)?;
    assert_eq!(out.partial, Some(PartialReason::Deadline));
    Ok(())
}

#[test]
fn budget_stops_search_and_keeps_what_was_found() -> Result<()> {
    let dir = many_files(300)?;
    let query = GrepQuery::new("needle", dir.path());
    let out = grep(&query, &SearchLimits::none().max_results(5))?;
    assert_eq!(out.partial, Some(PartialReason::Budget));
    assert!(
        out.matched_files >= 5 && out.matched_files < 300,
        "{}",
        out.matched_files
    );
    let lines: Vec<&str> = out.results.split('\n').collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "partial results are still sorted");

    let content = query.output_mode(OutputMode::Content);
    let out = grep(&content, &SearchLimits::none().max_results(3))?;
    assert_eq!(out.partial, Some(PartialReason::Budget));
    assert!(out.match_count >= 3 && out.match_count < 300);
    Ok(())
}

#[test]
fn set_cancel_flag_stops_search() -> Result<()> {
    let dir = many_files(50)?;
    let flag = CancelFlag::new();
    flag.cancel();
    let limits = SearchLimits::none().cancel(flag);
    let query = GrepQuery::new("needle", dir.path());
    let out = grep(&query, &limits)?;
    assert_eq!(out.partial, Some(PartialReason::Cancelled));
    assert_eq!(out.matched_files, 0);
    Ok(())
}

#[test]
fn cancelling_from_another_thread_stops_a_long_search() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("big.txt"),
        "no match on this line\n".repeat(2_000_000),
    )?;
    let flag = CancelFlag::new();
    let canceller = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            flag.cancel();
        })
    };
    // A pattern with no literal makes the scan slow enough to interrupt.
    let query = GrepQuery::new(r"(\w+\s+){9}\d", dir.path());
    let out = grep(&query, &SearchLimits::none().cancel(flag))?;
    canceller
        .join()
        .map_err(|_| anyhow::anyhow!("canceller panicked"))?;
    assert_eq!(out.partial, Some(PartialReason::Cancelled));
    Ok(())
}

#[test]
fn no_limits_means_not_partial() -> Result<()> {
    let dir = many_files(20)?;
    let engine = SearchEngine::new(EngineConfig::default());
    let out = engine.grep(&GrepQuery::new("needle", dir.path()), &SearchLimits::none())?;
    assert_eq!(
        (out.partial, out.matched_files, out.truncated),
        (None, 20, false)
    );
    Ok(())
}

fn full_and_windowed(
    root: &Path,
    mode: OutputMode,
    offset: usize,
    limit: Option<usize>,
) -> Result<(String, ferrule_search::GrepOutput)> {
    let base = GrepQuery::new("needle|three", root)
        .output_mode(mode)
        .line_numbers(true)
        .context(usize::from(mode == OutputMode::Content));
    let full = grep(&base, &SearchLimits::none())?;
    let windowed = grep(
        &base.offset(offset).head_limit(limit),
        &SearchLimits::none(),
    )?;
    Ok((full.results, windowed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn head_limit_and_offset_slice_the_full_output(
        offset in 0usize..80,
        limit in proptest::option::of(0usize..40),
        mode in prop_oneof![Just(OutputMode::Content), Just(OutputMode::FilesWithMatches), Just(OutputMode::Count)],
    ) {
        let dir = many_files(12).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (full, windowed) = full_and_windowed(dir.path(), mode, offset, limit)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let lines: Vec<&str> = full.split('\n').collect();
        let expected: Vec<&str> = lines.iter().copied().skip(offset).take(limit.unwrap_or(usize::MAX)).collect();
        prop_assert_eq!(windowed.results, expected.join("\n"));
        prop_assert_eq!(windowed.total_entries, lines.len());
        prop_assert_eq!(windowed.entries.len(), expected.len());
        prop_assert_eq!(windowed.truncated, offset.saturating_add(limit.unwrap_or(usize::MAX)) < lines.len());
    }
}
