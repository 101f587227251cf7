//! The regex matcher and line searcher, configured the way ripgrep
//! configures them, so results and literal prefilters equal rg's.
//!
//! See ripgrep `crates/core/flags/hiargs.rs` (`matcher_rust`, `searcher`):
//! the matcher always runs in multi-line anchor mode (`^`/`$` at line
//! boundaries); outside multiline search it is told the line terminator,
//! which lets grep-regex strip `\n` from the pattern and use its inner
//! literal prefilter to find candidate lines fast.

use grep_matcher::LineTerminator;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, MmapChoice, Searcher, SearcherBuilder};

use crate::error::SearchError;
use crate::query::{CaseMode, GrepQuery, OutputMode};

/// Builds the matcher for `query`, or says what is wrong with the pattern.
pub(crate) fn build_matcher(query: &GrepQuery) -> Result<RegexMatcher, SearchError> {
    let mut builder = RegexMatcherBuilder::new();
    builder.multi_line(true).unicode(true).octal(false);
    match query.case {
        CaseMode::Sensitive => builder.case_insensitive(false),
        CaseMode::Insensitive => builder.case_insensitive(true),
    };
    if query.multiline {
        builder.dot_matches_new_line(true);
    } else {
        builder
            .line_terminator(Some(b'\n'))
            .dot_matches_new_line(false);
    }
    // Binary detection is on, so (as rg does) a match can never contain NUL.
    builder.ban_byte(Some(b'\x00'));
    builder
        .build(&query.pattern)
        .map_err(|err| SearchError::Regex {
            pattern: query.pattern.clone(),
            message: syntax_error(&query.pattern).unwrap_or_else(|| err.to_string()),
        })
}

/// The parser's report of a syntax error in `pattern` as written.
///
/// grep-regex parses the pattern wrapped in a group, so its report quotes
/// and points into the wrapped text; parsing the pattern alone gives the
/// same error with the caret under the user's own text.
fn syntax_error(pattern: &str) -> Option<String> {
    regex::Regex::new(pattern).err().and_then(|err| match err {
        regex::Error::Syntax(message) => Some(message),
        _ => None,
    })
}

/// How a file came to be searched, which decides how binary data is
/// handled (rg: `BinaryDetection::quit` for files found by the walk,
/// `convert` for files named explicitly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Found by walking a directory: a NUL byte means "skip this file".
    Walked,
    /// The search root itself: searched anyway, with a note when a match
    /// lies in binary data.
    Explicit,
}

/// Builds a searcher for `query` and files of the given origin.
pub(crate) fn build_searcher(query: &GrepQuery, origin: Origin) -> Searcher {
    let mut builder = SearcherBuilder::new();
    let content = matches!(query.output_mode, OutputMode::Content);
    builder
        .line_terminator(LineTerminator::byte(b'\n'))
        .invert_match(false)
        // Counting lines costs a pass over the data; only content needs it.
        .line_number(content)
        .multi_line(query.multiline)
        .before_context(if content { query.before_context } else { 0 })
        .after_context(if content { query.after_context } else { 0 });
    match origin {
        Origin::Walked => {
            builder
                .binary_detection(BinaryDetection::quit(b'\x00'))
                .memory_map(MmapChoice::never());
        }
        Origin::Explicit => {
            builder
                .binary_detection(BinaryDetection::convert(b'\x00'))
                .memory_map(mmap_for_one_file());
        }
    }
    builder.build()
}

/// rg memory-maps when it searches a few explicitly named files, where a
/// map beats read(2); for many small files found by a walk it does not.
#[allow(unsafe_code)]
fn mmap_for_one_file() -> MmapChoice {
    // SAFETY: `MmapChoice::auto` is unsafe because another process may
    // truncate or change a mapped file while it is searched, which can
    // raise SIGBUS or yield inconsistent bytes. We accept this for a single
    // explicitly named file exactly as ripgrep does; files found by a walk
    // are never mapped.
    unsafe { MmapChoice::auto() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_regex_error_names_pattern_and_position() {
        let query = GrepQuery::new("foo(bar", ".");
        let err = build_matcher(&query).map(|_| ()).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("foo(bar"), "{text}");
        assert!(text.contains("unclosed group"), "{text}");
        assert!(text.contains('^'), "position marker missing: {text}");
    }

    #[test]
    fn multiline_pattern_with_newline_is_accepted_only_in_multiline_mode() {
        assert!(build_matcher(&GrepQuery::new("a\\nb", ".")).is_err());
        assert!(build_matcher(&GrepQuery::new("a\\nb", ".").multiline(true)).is_ok());
    }
}
