//! The string replacement at the heart of Edit and MultiEdit, as a pure
//! function (fuzzed by `fuzz_edit`).
//!
//! `old_string` must occur exactly once unless every occurrence is to be
//! replaced (`cli-core.md` §2.4). A model usually writes `\n` even when the
//! file uses `\r\n`; when the text as given does not occur in a file with
//! CRLF line endings, both strings are retried with CRLF endings.

use crate::text::lf_to_crlf;

/// How many occurrences an edit replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceMode {
    /// Exactly one occurrence must exist; it is replaced.
    Once,
    /// Every occurrence (at least one) is replaced.
    All,
}

impl ReplaceMode {
    /// `All` when `replace_all` is set.
    pub fn from_replace_all(replace_all: bool) -> Self {
        if replace_all { Self::All } else { Self::Once }
    }
}

/// Why a replacement cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplaceError {
    /// `old_string` and `new_string` are the same.
    #[error("no changes to apply: `old_string` and `new_string` are exactly the same")]
    NoChange,
    /// `old_string` is empty on a file that has content.
    #[error("`old_string` is empty; give the exact text to replace")]
    EmptyOldString,
    /// `old_string` does not occur.
    #[error(
        "could not find the string to replace; `old_string` must match the file exactly, \
         including whitespace and indentation, without the line-number prefixes Read shows"
    )]
    NotFound,
    /// `old_string` occurs several times and only one was to be replaced.
    #[error(
        "expected 1 occurrence but found {count}; add surrounding lines to `old_string` to make \
         it unique, or set `replace_all` to replace every occurrence"
    )]
    Ambiguous {
        /// How many times it occurs.
        count: usize,
    },
}

/// A replacement that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The new content.
    pub text: String,
    /// How many occurrences were replaced.
    pub count: usize,
    /// The search text actually used (CRLF-adjusted when that was needed).
    pub old_used: String,
    /// The replacement actually inserted (CRLF-adjusted likewise).
    pub new_used: String,
}

/// Replaces `old` by `new` in `content` according to `mode`.
pub fn replace(
    content: &str,
    old: &str,
    new: &str,
    mode: ReplaceMode,
) -> Result<Replaced, ReplaceError> {
    if old == new {
        return Err(ReplaceError::NoChange);
    }
    if old.is_empty() {
        return Err(ReplaceError::EmptyOldString);
    }
    let (old_used, new_used) = choose_strings(content, old, new);
    let count = content.matches(old_used.as_str()).count();
    let text = match (count, mode) {
        (0, _) => return Err(ReplaceError::NotFound),
        (1, ReplaceMode::Once) | (_, ReplaceMode::All) => {
            content.replace(old_used.as_str(), &new_used)
        }
        (count, ReplaceMode::Once) => return Err(ReplaceError::Ambiguous { count }),
    };
    Ok(Replaced {
        text,
        count,
        old_used,
        new_used,
    })
}

/// The strings as given, or with CRLF endings when only those occur.
fn choose_strings(content: &str, old: &str, new: &str) -> (String, String) {
    if old.contains('\n') && content.contains("\r\n") && !content.contains(old) {
        let old_crlf = lf_to_crlf(old);
        if old_crlf != old && content.contains(old_crlf.as_str()) {
            return (old_crlf, lf_to_crlf(new));
        }
    }
    (old.to_owned(), new.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn lf_old_string_matches_crlf_content() {
        let replaced = replace("a\r\nb\r\nc\r\n", "a\nb", "x\ny", ReplaceMode::Once).unwrap();
        assert_eq!(replaced.text, "x\r\ny\r\nc\r\n");
    }

    #[test]
    fn errors_by_case() {
        let cases = [
            ("abc", "b", "b", ReplaceMode::Once, ReplaceError::NoChange),
            (
                "abc",
                "",
                "x",
                ReplaceMode::Once,
                ReplaceError::EmptyOldString,
            ),
            ("abc", "z", "x", ReplaceMode::Once, ReplaceError::NotFound),
            (
                "a a a",
                "a",
                "b",
                ReplaceMode::Once,
                ReplaceError::Ambiguous { count: 3 },
            ),
        ];
        for (content, old, new, mode, expected) in cases {
            assert_eq!(replace(content, old, new, mode), Err(expected));
        }
        assert_eq!(
            replace("a a a", "a", "b", ReplaceMode::All).unwrap().text,
            "b b b"
        );
    }
}
