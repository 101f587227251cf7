//! Permission modes and their accepted spellings (reference §3.2, A-1).

use std::fmt;
use std::str::FromStr;

/// A permission mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Asks stay asks.
    #[default]
    Default,
    /// In-workspace file edits waiting only for approval are allowed.
    AcceptEdits,
    /// No prompts: what would ask goes to a classifier, or is denied.
    Auto,
    /// Everything that would ask is allowed, except interaction tools and
    /// catastrophic removals.
    BypassPermissions,
    /// Everything that would ask is denied.
    DontAsk,
    /// Default plus the Plan work state: writes only to plan files.
    Plan,
}

impl Mode {
    /// The canonical snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Default => "default",
            Mode::AcceptEdits => "accept_edits",
            Mode::Auto => "auto",
            Mode::BypassPermissions => "bypass_permissions",
            Mode::DontAsk => "dont_ask",
            Mode::Plan => "plan",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown permission mode `{0}`; expected one of default, accept_edits (acceptEdits), auto, bypass_permissions (bypassPermissions, yolo), dont_ask (dontAsk), plan"
)]
pub struct ModeError(pub String);

impl FromStr for Mode {
    type Err = ModeError;

    /// Accepts snake_case, camelCase, kebab-case and the `yolo` alias, in any
    /// letter case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let folded: String = name
            .trim()
            .chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "default" => Ok(Mode::Default),
            "acceptedits" => Ok(Mode::AcceptEdits),
            "auto" => Ok(Mode::Auto),
            "bypasspermissions" | "yolo" => Ok(Mode::BypassPermissions),
            "dontask" => Ok(Mode::DontAsk),
            "plan" => Ok(Mode::Plan),
            _ => Err(ModeError(name.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_documented_spelling_parses() {
        for (name, mode) in [
            ("default", Mode::Default),
            ("accept_edits", Mode::AcceptEdits),
            ("acceptEdits", Mode::AcceptEdits),
            ("ACCEPT-EDITS", Mode::AcceptEdits),
            ("auto", Mode::Auto),
            ("bypass_permissions", Mode::BypassPermissions),
            ("bypassPermissions", Mode::BypassPermissions),
            ("yolo", Mode::BypassPermissions),
            ("YOLO", Mode::BypassPermissions),
            ("dont_ask", Mode::DontAsk),
            ("dontAsk", Mode::DontAsk),
            ("plan", Mode::Plan),
        ] {
            assert_eq!(name.parse::<Mode>(), Ok(mode), "{name}");
        }
        assert_eq!("yollo".parse::<Mode>(), Err(ModeError("yollo".into())));
    }
}
