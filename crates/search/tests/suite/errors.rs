//! Bad input gives a clear error that says what and where; odd files are
//! skipped or shown lossily; nothing panics.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use ferrule_search::{GrepQuery, OutputMode, SearchEngine, SearchError, SearchLimits, grep};
use pretty_assertions::assert_eq;

fn error_text(query: &GrepQuery) -> String {
    match grep(query, &SearchLimits::none()) {
        Ok(out) => format!("unexpected success: {}", out.results),
        Err(err) => err.to_string(),
    }
}

#[test]
fn invalid_regex_names_the_problem_and_its_position() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let text = error_text(&GrepQuery::new("interface{ fn(x", dir.path()));
    assert_eq!(
        text,
        format!(
            "invalid regex \"interface{{ fn(x\": regex parse error:\n    interface{{ fn(x\n{}^\nerror: repetition quantifier expects a valid decimal",
            " ".repeat(15)
        )
    );
    let text = error_text(&GrepQuery::new("a(b", dir.path()));
    assert_eq!(
        text,
        "invalid regex \"a(b\": regex parse error:\n    a(b\n     ^\nerror: unclosed group"
    );
    Ok(())
}

#[test]
fn invalid_glob_names_the_glob_and_problem() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let text = error_text(&GrepQuery::new("x", dir.path()).glob("*.rs").glob("src/[a-"));
    assert_eq!(
        text,
        "invalid glob \"src/[a-\": unclosed character class; missing ']'"
    );
    Ok(())
}

#[test]
fn unknown_file_type_is_named() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let err = grep(
        &GrepQuery::new("x", dir.path()).file_type("rustacean"),
        &SearchLimits::none(),
    );
    assert!(
        matches!(err, Err(SearchError::UnknownFileType { ref name, .. }) if name == "rustacean")
    );
    Ok(())
}

#[test]
fn missing_root_is_a_clear_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("nope");
    let text = error_text(&GrepQuery::new("x", &missing));
    assert_eq!(
        text,
        format!("search path {missing:?} cannot be read: No such file or directory (os error 2)")
    );
    let engine = SearchEngine::default();
    assert!(matches!(
        engine.grep(&GrepQuery::new("x", &missing), &SearchLimits::none()),
        Err(SearchError::Root { .. })
    ));
    Ok(())
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn fifo_in_tree_is_not_opened_and_fifo_root_is_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("a.txt"), "needle\n")?;
    let fifo = dir.path().join("pipe");
    if !mkfifo(&fifo) {
        super::fixture::missing_prerequisite("mkfifo is not available");
        return Ok(());
    }
    // Opening the FIFO would block forever; the walk must skip it.
    let out = grep(&GrepQuery::new("needle", dir.path()), &SearchLimits::none())?;
    assert_eq!(out.results, "a.txt");
    let text = error_text(&GrepQuery::new("needle", &fifo));
    assert_eq!(
        text,
        format!("search path {fifo:?} is neither a file nor a directory")
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_and_content_are_shown_lossily() -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir()?;
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.path().join(name), b"na\xefve needle\n")?;
    let query = GrepQuery::new("needle", dir.path())
        .output_mode(OutputMode::Content)
        .line_numbers(true);
    let out = grep(&query, &SearchLimits::none())?;
    assert_eq!(out.results, "caf\u{fffd}.txt:1:na\u{fffd}ve needle");
    Ok(())
}

#[test]
fn huge_sparse_binary_file_is_skipped_and_big_text_file_is_searched() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let sparse = std::fs::File::create(dir.path().join("sparse.img"))?;
    sparse.set_len(1 << 30)?;
    drop(sparse);
    let mut big = "filler line without the word\n".repeat(800_000);
    big.push_str("the needle at the end\n");
    std::fs::write(dir.path().join("big.txt"), &big)?;
    let query = GrepQuery::new("needle", dir.path()).output_mode(OutputMode::Count);
    let engine = SearchEngine::default();
    for _ in 0..2 {
        let out = engine.grep(&query, &SearchLimits::none())?;
        assert_eq!(out.results, "big.txt:1");
        assert_eq!(
            out.stats.files_from_cache, 0,
            "files over the size cap are streamed"
        );
    }
    Ok(())
}

#[test]
fn pattern_that_can_match_everything_does_not_blow_up() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("a.txt"), "one\n\ntwo\n")?;
    let query = GrepQuery::new("", dir.path())
        .output_mode(OutputMode::Content)
        .line_numbers(true);
    let out = grep(&query, &SearchLimits::none())?;
    assert_eq!(out.results, "a.txt:1:one\na.txt:2:\na.txt:3:two");
    Ok(())
}
