//! Per-hook `if` conditions: `Tool` or `Tool(glob)` (cli-core.md §5.3).
//!
//! The tool part follows [`Matcher`] rules; the glob (not a regex) is tested
//! against the call's primary argument: `command`, else `file_path`, `path`,
//! `url`, `query`, `pattern`. For Bash, the whole command and each simple
//! command in it are tested, so `Bash(git *)` fires on `cd x && git push`.

use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;

use crate::matcher::Matcher;

/// The input fields an `if` glob is tested against, in order of preference.
const PRIMARY_ARGUMENTS: [&str; 6] = ["command", "file_path", "path", "url", "query", "pattern"];

/// A compiled `if` condition.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    tool: Matcher,
    glob: Option<GlobMatcher>,
    /// The glob's text up to its first wildcard: a subcommand the glob
    /// matches contains it, so a command without it is not analysed.
    literal: String,
}

/// Why an `if` value could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionError {
    /// Empty text.
    #[error("the condition is empty (write `Tool` or `Tool(glob)`)")]
    Empty,
    /// `Tool(` without the closing `)`.
    #[error("`{0}` has no closing `)` (write `Tool` or `Tool(glob)`)")]
    Unclosed(String),
    /// The glob does not compile.
    #[error("bad glob `{glob}`: {message}")]
    BadGlob {
        /// The glob as written.
        glob: String,
        /// globset's explanation.
        message: String,
    },
}

impl Condition {
    /// Compiles an `if` value.
    ///
    /// # Errors
    /// Empty text, a missing `)`, or a glob globset rejects.
    pub fn parse(text: &str) -> Result<Self, ConditionError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ConditionError::Empty);
        }
        let (tool, glob) = match trimmed.find('(') {
            None => (trimmed, None),
            Some(open) => {
                let Some(inner) = trimmed[open + 1..].strip_suffix(')') else {
                    return Err(ConditionError::Unclosed(trimmed.to_owned()));
                };
                (&trimmed[..open], Some(inner))
            }
        };
        let literal: String = glob
            .unwrap_or("")
            .chars()
            .take_while(|c| !matches!(c, '*' | '?' | '[' | '{' | '\\'))
            .collect();
        let glob = match glob {
            None => None,
            Some(g) => Some(
                GlobBuilder::new(g)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| ConditionError::BadGlob {
                        glob: g.to_owned(),
                        message: e.kind().to_string(),
                    })?
                    .compile_matcher(),
            ),
        };
        Ok(Self {
            text: trimmed.to_owned(),
            tool: Matcher::compile(Some(tool)),
            glob,
            literal,
        })
    }

    /// The condition as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a call of `tool` with `input` satisfies the condition.
    pub fn is_match(&self, tool: &str, input: &Value) -> bool {
        if !self.tool.is_match(tool) {
            return false;
        }
        let Some(glob) = &self.glob else {
            return true;
        };
        let Some(argument) = PRIMARY_ARGUMENTS
            .iter()
            .find_map(|key| input.get(key).and_then(Value::as_str))
        else {
            return false;
        };
        if glob.is_match(argument) {
            return true;
        }
        // A command without shell operators is one simple command, already
        // tested whole; only compound ones are split (tree-sitter is costly).
        let compound = argument.contains([';', '&', '|', '\n', '`', '(', '$']);
        if compound
            && argument.contains(self.literal.as_str())
            && tool == "Bash"
            && input.get("command").is_some()
        {
            let analysis = ferrule_permissions::shell::analyze(argument);
            return analysis
                .commands
                .iter()
                .any(|c| glob.is_match(c.text.trim()));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(cond: &str, tool: &str, input: Value) -> bool {
        Condition::parse(cond).map(|c| c.is_match(tool, &input)) == Ok(true)
    }

    #[test]
    fn a_bare_tool_name_matches_that_tool_only() {
        assert!(check("Bash", "Bash", json!({})));
        assert!(!check("Bash", "Read", json!({})));
    }

    #[test]
    fn a_glob_tests_the_command_of_bash() {
        assert!(check("Bash(git *)", "Bash", json!({"command": "git push"})));
        assert!(!check(
            "Bash(git *)",
            "Bash",
            json!({"command": "rm -rf x"})
        ));
    }

    #[test]
    fn each_bash_subcommand_is_tested() {
        assert!(check(
            "Bash(git *)",
            "Bash",
            json!({"command": "cd x && git push"})
        ));
    }

    #[test]
    fn a_glob_tests_the_file_path_of_file_tools() {
        assert!(check(
            "Edit(*.ts)",
            "Edit",
            json!({"file_path": "/w/src/a.ts"})
        ));
        assert!(!check(
            "Edit(*.ts)",
            "Edit",
            json!({"file_path": "/w/src/a.rs"})
        ));
        assert!(check(
            "Write|Edit(*.md)",
            "Write",
            json!({"file_path": "x.md"})
        ));
    }

    #[test]
    fn a_glob_without_a_primary_argument_does_not_match() {
        assert!(!check("Bash(git *)", "Bash", json!({"other": 1})));
    }

    #[test]
    fn malformed_conditions_are_errors() {
        assert_eq!(Condition::parse(" ").err(), Some(ConditionError::Empty));
        assert!(matches!(
            Condition::parse("Bash(git *"),
            Err(ConditionError::Unclosed(_))
        ));
        assert!(matches!(
            Condition::parse("Edit([a)"),
            Err(ConditionError::BadGlob { .. })
        ));
    }
}
