//! What to load: the working directory, the user directories, plugins and
//! the memory settings (`context.fileName`, `agentsMdExcludes`).

use std::path::{Path, PathBuf};

/// The default name of a memory file `[mem]`.
pub const DEFAULT_CONTEXT_FILE: &str = "AGENTS.md";

/// The import depth limit of the shipped CLI (cli-core §6.4).
pub const DEFAULT_IMPORT_DEPTH: usize = 5;

/// The cap on the total size of active rules, in characters (cli-core §6.2,
/// taken from the IDE's documented limit).
pub const DEFAULT_RULES_CHAR_CAP: usize = 100_000;

/// Which Claude Code files are read besides Qoder's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaudeFiles {
    /// Read `CLAUDE.md` and `.claude/{rules,skills,commands,agents}` after
    /// Qoder's files at the same level.
    Read,
    /// Read only Qoder's files.
    Ignore,
}

/// Whether project and local files may be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The folder is trusted: project and local files load.
    Trusted,
    /// The folder is not trusted: only user and plugin files load `[mem]`.
    Untrusted,
}

/// Everything [`crate::Workspace::load`] needs to know. Build with
/// [`LoadOptions::new`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The directory the session starts in.
    pub cwd: PathBuf,
    /// The user's home directory, for `~/` imports and `~/.claude`.
    pub home: Option<PathBuf>,
    /// The Qoder user config directory (`~/.qoder`, or `FERRULE_HOME`).
    pub user_dir: Option<PathBuf>,
    /// Extra plugin directories (`--plugin-dir`), loaded in order.
    pub plugin_dirs: Vec<PathBuf>,
    /// Memory file names (`context.fileName`); default `AGENTS.md`.
    pub context_file_names: Vec<String>,
    /// Glob patterns of memory files not to load (`agentsMdExcludes`),
    /// matched against absolute paths.
    pub excludes: Vec<String>,
    /// Maximum import nesting.
    pub import_depth: usize,
    /// Whether project and local memory may import files outside the
    /// project root.
    pub external_imports: bool,
    /// Claude Code compatibility.
    pub claude: ClaudeFiles,
    /// Folder trust.
    pub trust: Trust,
    /// Cap on the total characters of active rules.
    pub rules_char_cap: usize,
    /// Subagents from `--agents` JSON (an object of name → definition);
    /// they rank above every file `[sub]`.
    pub flag_agents: Option<String>,
}

impl LoadOptions {
    /// Options for a session in `cwd` with no user directory; add one with
    /// [`LoadOptions::with_home`] / [`LoadOptions::with_user_dir`] or use
    /// [`LoadOptions::from_env`].
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        Self {
            cwd: cwd.into(),
            home: None,
            user_dir: None,
            plugin_dirs: Vec::new(),
            context_file_names: vec![DEFAULT_CONTEXT_FILE.to_string()],
            excludes: Vec::new(),
            import_depth: DEFAULT_IMPORT_DEPTH,
            external_imports: false,
            claude: ClaudeFiles::Read,
            trust: Trust::Trusted,
            rules_char_cap: DEFAULT_RULES_CHAR_CAP,
            flag_agents: None,
        }
    }

    /// Options for `cwd` with the home from `HOME` and the user directory
    /// from `FERRULE_HOME`, else `$HOME/.qoder`.
    pub fn from_env(cwd: impl Into<PathBuf>) -> Self {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let user_dir = std::env::var_os("FERRULE_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".qoder")));
        let mut options = Self::new(cwd);
        options.home = home;
        options.user_dir = user_dir;
        options
    }

    /// Sets the home directory; the user directory becomes `home/.qoder`
    /// unless one was set.
    #[must_use]
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        let home = home.into();
        if self.user_dir.is_none() {
            self.user_dir = Some(home.join(".qoder"));
        }
        self.home = Some(home);
        self
    }

    /// Sets the Qoder user config directory.
    #[must_use]
    pub fn with_user_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.user_dir = Some(dir.into());
        self
    }

    /// Adds a plugin directory.
    #[must_use]
    pub fn with_plugin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plugin_dirs.push(dir.into());
        self
    }

    /// Replaces the memory file names (`context.fileName`).
    #[must_use]
    pub fn with_context_file_names(mut self, names: Vec<String>) -> Self {
        self.context_file_names = names;
        self
    }

    /// Sets the memory excludes (`agentsMdExcludes`).
    #[must_use]
    pub fn with_excludes(mut self, patterns: Vec<String>) -> Self {
        self.excludes = patterns;
        self
    }

    /// Sets the import depth limit.
    #[must_use]
    pub fn with_import_depth(mut self, depth: usize) -> Self {
        self.import_depth = depth;
        self
    }

    /// Allows project memory to import files outside the project root.
    #[must_use]
    pub fn with_external_imports(mut self, allowed: bool) -> Self {
        self.external_imports = allowed;
        self
    }

    /// Sets Claude Code compatibility.
    #[must_use]
    pub fn with_claude(mut self, claude: ClaudeFiles) -> Self {
        self.claude = claude;
        self
    }

    /// Sets folder trust.
    #[must_use]
    pub fn with_trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Sets the `--agents` JSON.
    #[must_use]
    pub fn with_flag_agents(mut self, json: impl Into<String>) -> Self {
        self.flag_agents = Some(json.into());
        self
    }

    /// Claude Code's user directory, `~/.claude`.
    pub fn claude_user_dir(&self) -> Option<PathBuf> {
        self.home.as_ref().map(|h| h.join(".claude"))
    }
}

/// The project root for `cwd`: the nearest directory (cwd included) that
/// contains `.git`; without one, `cwd` itself (cli-core §6.1: the walk stops
/// at the repository root; outside a repository we do not climb, so files
/// in unrelated parent folders are never picked up).
pub fn project_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The directories from `root` down to `dir` (both included), outermost
/// first. `dir` must be under `root`; otherwise only `dir`.
pub fn dirs_between(root: &Path, dir: &Path) -> Vec<PathBuf> {
    if !dir.starts_with(root) {
        return vec![dir.to_path_buf()];
    }
    let mut dirs: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn dirs_between_lists_root_to_leaf() {
        assert_eq!(
            dirs_between(Path::new("/r"), Path::new("/r/a/b")),
            vec![
                PathBuf::from("/r"),
                PathBuf::from("/r/a"),
                PathBuf::from("/r/a/b")
            ]
        );
    }

    #[test]
    fn dirs_between_outside_root_is_the_dir_alone() {
        assert_eq!(
            dirs_between(Path::new("/r"), Path::new("/x/y")),
            vec![PathBuf::from("/x/y")]
        );
    }
}
