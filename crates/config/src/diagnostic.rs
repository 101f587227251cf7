//! Problems found while loading settings, each tied to a file and position.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Something was ignored or kept as-is (an unknown key, a setting read
    /// from a layer that may not set it); the rest of the layer applies.
    Warning,
    /// The layer, or the part of it named by the diagnostic, was not applied.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Severity::Warning => f.write_str("warning"),
            Severity::Error => f.write_str("error"),
        }
    }
}

/// One problem in one settings source.
///
/// `path` is the file (or a placeholder such as `--settings` for inline
/// JSON); `line` and `column` are 1-based and present whenever the parser
/// knows them; `json_path` names the offending key (`permissions.allow[2]`)
/// for type errors and unknown keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The settings file, or the source placeholder for inline settings.
    pub path: PathBuf,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Where in the JSON document, as `a.b[0].c`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
    /// Whether the setting (or layer) was dropped.
    pub severity: Severity,
}

impl Diagnostic {
    /// A diagnostic with no position, for problems with the whole file.
    pub fn new(path: impl Into<PathBuf>, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            column: None,
            json_path: None,
            message: message.into(),
            severity,
        }
    }

    /// Adds a 1-based line and column. A zero (serde_json's "unknown") is
    /// treated as absent.
    #[must_use]
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = (line > 0).then_some(line);
        self.column = (column > 0).then_some(column);
        self
    }

    /// Adds the JSON path of the offending value.
    #[must_use]
    pub fn with_json_path(mut self, json_path: impl Into<String>) -> Self {
        self.json_path = Some(json_path.into());
        self
    }
}

/// `error: /p/.qoder/settings.json:3:14: permissions.allow: expected a sequence`
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(json_path) = &self.json_path {
            write!(f, "{json_path}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn display_names_file_position_and_key() {
        let d = Diagnostic::new("/p/s.json", Severity::Error, "expected a sequence")
            .at(3, 14)
            .with_json_path("permissions.allow");
        assert_eq!(
            d.to_string(),
            "error: /p/s.json:3:14: permissions.allow: expected a sequence"
        );
    }

    #[test]
    fn zero_position_counts_as_unknown() {
        let d = Diagnostic::new("x", Severity::Warning, "m").at(0, 0);
        assert_eq!((d.line, d.column), (None, None));
        assert_eq!(d.to_string(), "warning: x: m");
    }
}
