//! `Bash(...)` rule content: exact, prefix (`:*`) and wildcard forms
//! (reference §3.4.4, A-12), compiled per rule list.

use std::collections::HashMap;

use regex::RegexSet;

/// The kind of a `Bash(...)` rule content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BashRuleKind {
    /// No unescaped `*` and no `:*` suffix: the whole command must be equal.
    Exact,
    /// Ends with `:*`: the command is the prefix, or starts with the prefix
    /// and a space.
    Prefix,
    /// Any other unescaped `*`: a glob where `*` matches any text.
    Wildcard,
}

/// Classifies Bash rule content.
pub fn bash_rule_kind(content: &str) -> BashRuleKind {
    if content.ends_with(":*") && !ends_escaped(content, content.len() - 1) {
        BashRuleKind::Prefix
    } else if has_unescaped_star(content) {
        BashRuleKind::Wildcard
    } else {
        BashRuleKind::Exact
    }
}

fn ends_escaped(text: &str, at: usize) -> bool {
    let slashes = text.as_bytes()[..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    slashes % 2 == 1
}

fn has_unescaped_star(content: &str) -> bool {
    content
        .bytes()
        .enumerate()
        .any(|(at, b)| b == b'*' && !ends_escaped(content, at))
}

/// `\*` → `*` (a literal star) for exact comparison.
fn unescape_stars(content: &str) -> String {
    content.replace("\\*", "*")
}

/// The compiled Bash rules of one list.
#[derive(Debug, Clone, Default)]
pub(crate) struct BashRuleSet {
    exact: HashMap<String, usize>,
    prefixes: Vec<(String, usize)>,
    wildcards: Option<(RegexSet, Vec<usize>)>,
}

impl BashRuleSet {
    /// Compiles `(rule index, content)` pairs; a wildcard whose pattern does
    /// not compile is returned with the reason.
    pub(crate) fn build<'a>(
        rules: impl IntoIterator<Item = (usize, &'a str)>,
    ) -> (Self, Vec<(usize, String)>) {
        let mut set = Self::default();
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (rule, content) in rules {
            let content = content.trim();
            match bash_rule_kind(content) {
                BashRuleKind::Exact => {
                    set.exact.entry(unescape_stars(content)).or_insert(rule);
                }
                BashRuleKind::Prefix => {
                    let prefix = unescape_stars(&content[..content.len() - 2]);
                    set.prefixes.push((prefix.trim_end().to_string(), rule));
                }
                BashRuleKind::Wildcard => {
                    patterns.push(wildcard_regex(content));
                    owners.push(rule);
                }
            }
        }
        let mut errors = Vec::new();
        if !patterns.is_empty() {
            match RegexSet::new(&patterns) {
                Ok(regexes) => set.wildcards = Some((regexes, owners)),
                Err(err) => {
                    for rule in owners {
                        errors.push((rule, format!("wildcard does not compile: {err}")));
                    }
                }
            }
        }
        (set, errors)
    }

    /// Whether the list has no rules.
    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty() && self.wildcards.is_none()
    }

    /// The lowest rule index matching `command` exactly (the exact form only).
    pub(crate) fn exact_match(&self, command: &str) -> Option<usize> {
        self.exact.get(command.trim()).copied()
    }

    /// The lowest rule index of any form matching `command`.
    pub(crate) fn first_match(&self, command: &str) -> Option<usize> {
        let command = command.trim();
        let mut best = self.exact.get(command).copied();
        for (prefix, rule) in &self.prefixes {
            if best.is_some_and(|b| b < *rule) {
                continue;
            }
            let hit = command
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '));
            if hit {
                best = Some(*rule);
            }
        }
        if let Some((regexes, owners)) = &self.wildcards {
            if !regexes.is_match(command) {
                return best;
            }
            for hit in regexes.matches(command).iter() {
                if let Some(&rule) = owners.get(hit) {
                    best = Some(best.map_or(rule, |b| b.min(rule)));
                }
            }
        }
        best
    }
}

/// The anchored regex of a wildcard: `*` is any text (spaces included),
/// `\*` a literal star, and a single trailing ` *` is optional.
fn wildcard_regex(content: &str) -> String {
    let (body, optional_tail) = match content.strip_suffix(" *") {
        Some(body) if !ends_escaped(content, content.len() - 1) => (body, true),
        _ => (content, false),
    };
    let mut out = String::from("^(?s:");
    let mut literal = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'*') => {
                chars.next();
                literal.push('*');
            }
            '*' => {
                out.push_str(&regex::escape(&literal));
                literal.clear();
                out.push_str(".*");
            }
            other => literal.push(other),
        }
    }
    out.push_str(&regex::escape(&literal));
    if optional_tail {
        out.push_str("(?: .*)?");
    }
    out.push_str(")$");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn one(content: &str) -> BashRuleSet {
        let (set, errors) = BashRuleSet::build([(0, content)]);
        assert_eq!(errors, Vec::new());
        set
    }

    #[test]
    fn prefix_needs_a_space_after_it() {
        let set = one("npm run test:*");
        assert_eq!(set.first_match("npm run test"), Some(0));
        assert_eq!(set.first_match("npm run test --watch"), Some(0));
        assert_eq!(set.first_match("npm run testing"), None);
        assert_eq!(set.first_match("npm run test:unit"), None);
    }

    #[test]
    fn wildcard_trailing_star_is_optional() {
        let set = one("git log *");
        assert_eq!(set.first_match("git log"), Some(0));
        assert_eq!(set.first_match("git log --oneline -3"), Some(0));
        assert_eq!(set.first_match("git logs"), None);
    }

    #[test]
    fn escaped_star_is_literal_and_exact() {
        let set = one(r"echo \*");
        assert_eq!(bash_rule_kind(r"echo \*"), BashRuleKind::Exact);
        assert_eq!(set.first_match("echo *"), Some(0));
        assert_eq!(set.first_match("echo a"), None);
    }
}
