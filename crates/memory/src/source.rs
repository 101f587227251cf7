//! Where a loaded item came from, and what was skipped and why.

use std::path::PathBuf;

use serde::Serialize;

/// The level a file was found at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// The user config directory (`~/.qoder`, `FERRULE_HOME`, or `~/.claude`).
    User,
    /// A project directory (shared, usually committed).
    Project,
    /// A project directory's machine-local file (`AGENTS.local.md`).
    Local,
    /// A plugin directory.
    Plugin,
    /// The command line (`--agents` JSON).
    Flag,
}

/// Which tool's file layout a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Qoder's layout: `AGENTS.md`, `.qoder/...`.
    Qoder,
    /// Claude Code's layout: `CLAUDE.md`, `.claude/...`, read after Qoder's
    /// files at the same level.
    Claude,
}

/// The kind of file something was loaded from or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// An `AGENTS.md` (or `CLAUDE.md`) memory file or one of its imports.
    Memory,
    /// A rule under `rules/`.
    Rule,
    /// A `SKILL.md`.
    Skill,
    /// A custom slash command.
    Command,
    /// A subagent definition.
    Subagent,
    /// A plugin manifest or plugin data file.
    Plugin,
}

/// A file that was found but not loaded, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// What kind of file it is.
    pub kind: Kind,
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the problem, when there is one.
    pub line: Option<usize>,
    /// Why it was skipped, in words a user can act on.
    pub reason: String,
}

impl Skipped {
    /// A skipped file with no line.
    pub fn new(kind: Kind, path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
            line: None,
            reason: reason.into(),
        }
    }

    /// A skipped file whose problem sits on `line`.
    pub fn at_line(
        kind: Kind,
        path: impl Into<PathBuf>,
        line: usize,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            path: path.into(),
            line: Some(line),
            reason: reason.into(),
        }
    }
}

/// A loaded file that has a problem which does not stop it from loading
/// (for example a rule whose glob is invalid, so it is not applied
/// automatically).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What kind of file it is.
    pub kind: Kind,
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and what follows from it.
    pub message: String,
}

/// One same-name definition hidden by a higher-priority one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shadowed {
    /// What kind of definition it is.
    pub kind: Kind,
    /// The shared name.
    pub name: String,
    /// The hidden definition's file.
    pub path: PathBuf,
    /// The file of the definition that wins.
    pub by: PathBuf,
}
