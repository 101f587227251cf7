//! Where a hook was configured: the file and the kind of source, kept for
//! messages, trust and the plugin environment variables.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// The kind of place a hook comes from (cli-core.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceKind {
    /// A settings layer (user, project, local, `--settings`, policy ...),
    /// named by ferrule-config's scope name.
    Settings {
        /// `user`, `project`, `local`, `flag`, `session`, `policy` ...
        scope: String,
        /// Whether the file lives in the project (and needs trust).
        project: bool,
    },
    /// A plugin's `hooks/hooks.json` (or its manifest's hooks).
    Plugin {
        /// The plugin's name.
        name: String,
        /// The plugin's root directory (`QODER_PLUGIN_ROOT`).
        root: PathBuf,
        /// The plugin's data directory (`QODER_PLUGIN_DATA`).
        data: PathBuf,
    },
    /// A subagent definition's frontmatter `hooks` (scoped to it).
    Subagent {
        /// The subagent's name.
        name: String,
    },
    /// Hooks registered for this session only (a skill's hooks, the host).
    Session,
    /// SDK hook callbacks from `initialize.hooks`.
    Sdk,
}

/// One configuration source of hooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookSource {
    /// What kind of source.
    #[serde(flatten)]
    pub kind: SourceKind,
    /// The file, when the source is one (placeholders such as `<sdk>`
    /// otherwise).
    pub path: PathBuf,
}

impl HookSource {
    /// A settings-layer source.
    pub fn settings(scope: impl Into<String>, project: bool, path: impl Into<PathBuf>) -> Self {
        Self {
            kind: SourceKind::Settings {
                scope: scope.into(),
                project,
            },
            path: path.into(),
        }
    }

    /// A plugin's hooks: `QODER_PLUGIN_ROOT` and `QODER_PLUGIN_DATA` are set
    /// for its command hooks.
    pub fn plugin(
        name: impl Into<String>,
        root: impl Into<PathBuf>,
        data: impl Into<PathBuf>,
        path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            kind: SourceKind::Plugin {
                name: name.into(),
                root: root.into(),
                data: data.into(),
            },
            path: path.into(),
        }
    }

    /// A subagent definition's frontmatter hooks.
    pub fn subagent(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self {
            kind: SourceKind::Subagent { name: name.into() },
            path: path.into(),
        }
    }

    /// SDK callbacks.
    pub fn sdk() -> Self {
        Self {
            kind: SourceKind::Sdk,
            path: PathBuf::from("<sdk initialize>"),
        }
    }

    /// Hooks registered for the session only.
    pub fn session(label: impl Into<PathBuf>) -> Self {
        Self {
            kind: SourceKind::Session,
            path: label.into(),
        }
    }

    /// Whether hooks from here need a trusted project folder to run.
    pub fn needs_trust(&self) -> bool {
        match &self.kind {
            SourceKind::Settings { project, .. } => *project,
            SourceKind::Plugin { .. }
            | SourceKind::Subagent { .. }
            | SourceKind::Session
            | SourceKind::Sdk => false,
        }
    }

    /// Whether `once` applies to hooks from here: only session-scoped hooks
    /// are removed after their first successful run (cli-core.md §5.2;
    /// subagent frontmatter does not keep it).
    pub fn is_session_scoped(&self) -> bool {
        matches!(self.kind, SourceKind::Session | SourceKind::Sdk)
    }
}

impl fmt::Display for HookSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SourceKind::Settings { scope, .. } => {
                write!(f, "{scope} settings {}", self.path.display())
            }
            SourceKind::Plugin { name, .. } => write!(f, "plugin {name} {}", self.path.display()),
            SourceKind::Subagent { name } => write!(f, "subagent {name} {}", self.path.display()),
            SourceKind::Session => write!(f, "session {}", self.path.display()),
            SourceKind::Sdk => f.write_str("SDK callbacks"),
        }
    }
}
