//! The rule grammar: `Tool`, `Tool(content)`, `*` and the MCP forms
//! (reference `cli-core.md` §3.4.1–3.4.2).

use std::fmt;

/// Which tools a rule names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToolPattern {
    /// `*`: every tool, built-in and MCP.
    Any,
    /// `mcp__*`: every MCP tool.
    AllMcp,
    /// `mcp__server` or `mcp__server__*`: every tool of one MCP server.
    McpServer {
        /// The server name.
        server: String,
        /// Whether the rule was written with the trailing `__*`.
        star: bool,
    },
    /// One tool by its exact (case-sensitive) name, MCP tools included.
    Tool(String),
}

impl ToolPattern {
    /// Whether this pattern names the tool called `name` (already canonical,
    /// see [`canonical_tool_name`]).
    pub fn matches(&self, name: &str) -> bool {
        match self {
            ToolPattern::Any => true,
            ToolPattern::AllMcp => name.starts_with("mcp__"),
            ToolPattern::McpServer { server, .. } => {
                mcp_server_of(name).is_some_and(|found| found == server)
            }
            ToolPattern::Tool(tool) => canonical_tool_name(tool) == name,
        }
    }
}

/// The server part of an MCP tool name `mcp__server__tool`, if `name` is one.
pub fn mcp_server_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("mcp__")?;
    let (server, _tool) = rest.split_once("__")?;
    Some(server)
}

/// Maps accepted aliases to the canonical tool name (`Task` → `Agent`).
pub fn canonical_tool_name(name: &str) -> &str {
    match name {
        "Task" => "Agent",
        other => other,
    }
}

/// The content part of a rule, kept in the form it was written so that a
/// parsed rule displays back to its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleContent {
    /// No parentheses: `Bash`.
    None,
    /// `Bash()`: same meaning as no content.
    Empty,
    /// `Bash(*)`: same meaning as no content.
    Star,
    /// `Bash(npm run:*)`: the unescaped content text.
    Text(String),
}

/// One parsed permission rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The tools the rule names.
    pub tool: ToolPattern,
    /// The tool-specific content, if any.
    pub content: RuleContent,
}

impl Rule {
    /// The content text, or `None` for a tool-level rule (`Tool`, `Tool()`,
    /// `Tool(*)`).
    pub fn content_text(&self) -> Option<&str> {
        match &self.content {
            RuleContent::Text(text) => Some(text),
            RuleContent::None | RuleContent::Empty | RuleContent::Star => None,
        }
    }

    /// Whether the rule covers whole tools rather than some of their calls.
    pub fn is_tool_level(&self) -> bool {
        self.content_text().is_none()
    }
}

/// Why a rule string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule is empty or only whitespace.
    #[error("the rule is empty")]
    Empty,
    /// Nothing before the `(`.
    #[error("the tool name before `(` is empty")]
    EmptyTool,
    /// A `(` without the closing `)` at the end.
    #[error("`(` at byte {open} has no closing `)` at the end of the rule")]
    Unclosed {
        /// Byte offset of the opening parenthesis.
        open: usize,
    },
    /// Something follows the closing parenthesis.
    #[error("text after the closing `)`: `{trailing}`")]
    Trailing {
        /// The text after the parenthesis.
        trailing: String,
    },
    /// A `)` with no `(` before it.
    #[error("unbalanced `)` at byte {at}")]
    Unbalanced {
        /// Byte offset of the parenthesis.
        at: usize,
    },
    /// A character that cannot appear in a tool name.
    #[error("invalid character `{ch}` in tool name `{tool}`")]
    BadToolChar {
        /// The tool name as written.
        tool: String,
        /// The offending character.
        ch: char,
    },
    /// A `*` somewhere other than the documented wildcard forms.
    #[error("`*` in tool name `{tool}`: only `*`, `mcp__*` and `mcp__server__*` are wildcards")]
    BadWildcard {
        /// The tool name as written.
        tool: String,
    },
    /// The content does not fit the tool (bad path pattern, bad URL host...).
    #[error("invalid content for {tool}: {reason}")]
    BadContent {
        /// The tool name as written.
        tool: String,
        /// What is wrong with the content.
        reason: String,
    },
}

/// The text before the first unescaped `(` of `text` (trimmed): the tool a
/// rule names even when the rest of it is malformed.
pub fn tool_part(text: &str) -> &str {
    let text = text.trim();
    match find_unescaped(text, b'(', Direction::First) {
        Some(at) => text[..at].trim(),
        None => text,
    }
}

impl std::str::FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_rule(text)
    }
}

/// Parses one rule string (reference §3.4.2).
pub fn parse_rule(text: &str) -> Result<Rule, RuleError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(RuleError::Empty);
    }
    let (tool_text, content) = match find_unescaped(text, b'(', Direction::First) {
        None => {
            if let Some(at) = find_unescaped(text, b')', Direction::First) {
                return Err(RuleError::Unbalanced { at });
            }
            (text, RuleContent::None)
        }
        Some(open) => {
            let close = find_unescaped(text, b')', Direction::Last)
                .filter(|&close| close > open)
                .ok_or(RuleError::Unclosed { open })?;
            if close + 1 != text.len() {
                return Err(RuleError::Trailing {
                    trailing: text[close + 1..].to_string(),
                });
            }
            let raw = &text[open + 1..close];
            let content = match raw {
                "" => RuleContent::Empty,
                "*" => RuleContent::Star,
                _ => RuleContent::Text(unescape(raw)),
            };
            (text[..open].trim_end(), content)
        }
    };
    let tool = parse_tool(tool_text)?;
    Ok(Rule { tool, content })
}

fn parse_tool(tool: &str) -> Result<ToolPattern, RuleError> {
    if tool.is_empty() {
        return Err(RuleError::EmptyTool);
    }
    if let Some(ch) = tool
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*' | '.')))
    {
        return Err(RuleError::BadToolChar {
            tool: tool.to_string(),
            ch,
        });
    }
    if tool == "*" {
        return Ok(ToolPattern::Any);
    }
    if tool == "mcp__*" {
        return Ok(ToolPattern::AllMcp);
    }
    let bad_wildcard = || RuleError::BadWildcard {
        tool: tool.to_string(),
    };
    if let Some(rest) = tool.strip_prefix("mcp__") {
        match rest.split_once("__") {
            None if !rest.is_empty() && !rest.contains('*') => {
                return Ok(ToolPattern::McpServer {
                    server: rest.to_string(),
                    star: false,
                });
            }
            Some((server, "*")) if !server.is_empty() && !server.contains('*') => {
                return Ok(ToolPattern::McpServer {
                    server: server.to_string(),
                    star: true,
                });
            }
            _ => {}
        }
    }
    if tool.contains('*') {
        return Err(bad_wildcard());
    }
    Ok(ToolPattern::Tool(tool.to_string()))
}

#[derive(Clone, Copy)]
enum Direction {
    First,
    Last,
}

/// Byte offset of the first or last `byte` not preceded by an odd number of
/// backslashes.
fn find_unescaped(text: &str, byte: u8, direction: Direction) -> Option<usize> {
    let bytes = text.as_bytes();
    let escaped = |at: usize| {
        let slashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        slashes % 2 == 1
    };
    let mut found = bytes
        .iter()
        .enumerate()
        .filter(|&(at, &b)| b == byte && !escaped(at))
        .map(|(at, _)| at);
    match direction {
        Direction::First => found.next(),
        Direction::Last => found.next_back(),
    }
}

/// `\(` → `(`, `\)` → `)`, `\\` → `\`; other backslashes are kept.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next @ ('(' | ')' | '\\')) = chars.peek()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// The inverse of [`unescape`] with the fewest escapes: parentheses always,
/// a backslash only where it would otherwise be read as an escape.
fn escape(content: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => out.write_str("\\(")?,
            ')' => out.write_str("\\)")?,
            '\\' => match chars.peek() {
                None | Some('(' | ')' | '\\') => out.write_str("\\\\")?,
                Some(_) => out.write_str("\\")?,
            },
            other => fmt::Write::write_char(out, other)?,
        }
    }
    Ok(())
}

impl fmt::Display for ToolPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolPattern::Any => f.write_str("*"),
            ToolPattern::AllMcp => f.write_str("mcp__*"),
            ToolPattern::McpServer { server, star } => {
                write!(f, "mcp__{server}")?;
                if *star {
                    f.write_str("__*")?;
                }
                Ok(())
            }
            ToolPattern::Tool(name) => f.write_str(name),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.tool)?;
        match &self.content {
            RuleContent::None => Ok(()),
            RuleContent::Empty => f.write_str("()"),
            RuleContent::Star => f.write_str("(*)"),
            RuleContent::Text(text) => {
                f.write_str("(")?;
                escape(text, f)?;
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn text(tool: &str, content: &str) -> Rule {
        Rule {
            tool: ToolPattern::Tool(tool.to_string()),
            content: RuleContent::Text(content.to_string()),
        }
    }

    #[test]
    fn escaped_parentheses_are_content() {
        let rule = parse_rule(r#"Bash(python -c "print\(1\)")"#);
        assert_eq!(rule, Ok(text("Bash", r#"python -c "print(1)""#)));
    }

    #[test]
    fn display_round_trips_documented_forms() {
        for written in [
            "Bash",
            "Bash()",
            "Bash(*)",
            "*",
            "mcp__*",
            "mcp__github",
            "mcp__github__*",
            "mcp__github__create_issue",
            r#"Bash(python -c "print\(1\)")"#,
            r"Bash(echo \*)",
            "Read(//tmp/**)",
            r"Bash(a\\)",
        ] {
            let rule = parse_rule(written);
            assert_eq!(rule.map(|r| r.to_string()), Ok(written.to_string()));
        }
    }

    #[test]
    fn malformed_rules_say_why() {
        assert_eq!(parse_rule("Bash(ls"), Err(RuleError::Unclosed { open: 4 }));
        assert_eq!(
            parse_rule("Bash(ls)x"),
            Err(RuleError::Trailing {
                trailing: "x".into()
            })
        );
        assert_eq!(parse_rule("(ls)"), Err(RuleError::EmptyTool));
        assert_eq!(parse_rule("Bash)"), Err(RuleError::Unbalanced { at: 4 }));
        assert_eq!(parse_rule("  "), Err(RuleError::Empty));
        assert_eq!(
            parse_rule("Ba*sh"),
            Err(RuleError::BadWildcard {
                tool: "Ba*sh".into()
            })
        );
    }

    #[test]
    fn mcp_server_rule_does_not_match_other_servers() {
        let pattern = ToolPattern::McpServer {
            server: "github".into(),
            star: false,
        };
        assert!(pattern.matches("mcp__github__create_issue"));
        assert!(!pattern.matches("mcp__githubx__t"));
        assert!(!pattern.matches("mcp__github_enterprise__t"));
    }
}
