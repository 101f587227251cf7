//! Group `matcher`s, compiled once when the configuration loads
//! (cli-core.md §5.3, decision A-21).
//!
//! Omitted, `""` and `*` match everything. A plain word matches only that
//! exact value; `A|B` of plain words matches either (spaces around `|` are
//! ignored, as the IDE docs write `Write | Edit`). Anything else is a
//! regular expression that must match the whole value; a pattern that is not
//! a valid regular expression is compared literally.

use regex::Regex;

/// A compiled matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Matches every value.
    All,
    /// Matches exactly this value.
    Exact(String),
    /// Matches any of these values.
    Words(Box<[String]>),
    /// Matches values the anchored expression matches.
    Regex(Regex),
}

impl Matcher {
    /// Compiles a group's `matcher` field.
    pub fn compile(pattern: Option<&str>) -> Self {
        let Some(pattern) = pattern.map(str::trim) else {
            return Matcher::All;
        };
        if pattern.is_empty() || pattern == "*" {
            return Matcher::All;
        }
        if is_word(pattern) {
            return Matcher::Exact(pattern.to_owned());
        }
        let words: Vec<&str> = pattern.split('|').map(str::trim).collect();
        if words.iter().all(|w| is_word(w)) {
            return Matcher::Words(words.into_iter().map(str::to_owned).collect());
        }
        match Regex::new(&format!("^(?:{pattern})$")) {
            Ok(re) => Matcher::Regex(re),
            Err(_) => Matcher::Exact(pattern.to_owned()),
        }
    }

    /// Whether `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Exact(word) => word == value,
            Matcher::Words(words) => words.iter().any(|w| w == value),
            Matcher::Regex(re) => re.is_match(value),
        }
    }
}

/// Letters, digits, `_`, `-` and `.`: no regex meaning worth honouring
/// (`.` in a file name such as `package.json` is meant literally).
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: Option<&str>, value: &str) -> bool {
        Matcher::compile(pattern).is_match(value)
    }

    #[test]
    fn omitted_empty_and_star_match_everything() {
        for p in [None, Some(""), Some("*"), Some("  ")] {
            assert!(matches(p, "Bash"), "{p:?}");
        }
    }

    #[test]
    fn an_exact_name_does_not_match_a_longer_name() {
        assert!(matches(Some("Bash"), "Bash"));
        assert!(!matches(Some("Bash"), "BashOutput"));
    }

    #[test]
    fn bar_lists_match_each_word_with_or_without_spaces() {
        assert!(matches(Some("Write|Edit"), "Edit"));
        assert!(matches(Some("Write | Edit"), "Write"));
        assert!(!matches(Some("Write|Edit"), "Read"));
    }

    #[test]
    fn regexes_must_match_the_whole_value() {
        assert!(matches(Some("mcp__.*"), "mcp__github__list"));
        assert!(!matches(Some("mcp__.*"), "xmcp__a"));
        assert!(matches(Some("Notebook.*|Edit"), "NotebookEdit"));
    }

    #[test]
    fn an_invalid_regex_is_compared_literally() {
        assert!(matches(Some("Bash("), "Bash("));
        assert!(!matches(Some("Bash("), "Bash"));
    }

    #[test]
    fn file_names_with_dots_are_literal() {
        assert!(matches(Some("package.json"), "package.json"));
        assert!(!matches(Some("package.json"), "packageXjson"));
    }
}
