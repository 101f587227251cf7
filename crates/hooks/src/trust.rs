//! Folder trust (cli-core.md §3.7, decision A-22): hooks from project and
//! local settings run only in a trusted folder. A folder is trusted when it
//! is inside a directory listed in `permissions.trustDirectories` of the
//! user (or policy) settings — project settings cannot trust themselves —
//! or inside a directory the host trusted for this run (non-interactive
//! runs trust their startup directory and `--add-dir` directories).

use std::path::{Path, PathBuf};

use ferrule_config::{LoadedSettings, Scope};

/// The directories that are trusted, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    entries: Vec<(PathBuf, TrustReason)>,
}

/// Why a directory is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustReason {
    /// Listed in `permissions.trustDirectories` of this settings file.
    Settings(PathBuf),
    /// Trusted by the host for this run (startup directory, `--add-dir`).
    Session,
}

impl TrustStore {
    /// An empty store: nothing is trusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `permissions.trustDirectories` of the user and policy layers of
    /// `loaded`; `~` is the home directory and relative entries resolve
    /// against it too (they are not tied to any project).
    pub fn from_settings(loaded: &LoadedSettings, home: Option<&Path>) -> Self {
        let mut store = Self::new();
        for layer in &loaded.layers {
            if !matches!(layer.scope, Scope::User | Scope::Policy) {
                continue;
            }
            let Some(dirs) = layer
                .settings
                .permissions
                .as_ref()
                .map(|p| &p.trust_directories)
            else {
                continue;
            };
            let file = layer.path.clone().unwrap_or_default();
            for dir in dirs {
                let path = resolve(dir, home);
                store
                    .entries
                    .push((path, TrustReason::Settings(file.clone())));
            }
        }
        store
    }

    /// Trusts `dir` (and everything inside it) for this run.
    pub fn trust(&mut self, dir: impl Into<PathBuf>) {
        self.entries
            .push((normalize(&dir.into()), TrustReason::Session));
    }

    /// Why `dir` is trusted, or `None` when it is not.
    pub fn why_trusted(&self, dir: &Path) -> Option<&TrustReason> {
        let dir = normalize(dir);
        self.entries
            .iter()
            .find(|(root, _)| dir.starts_with(normalize(root)))
            .map(|(_, why)| why)
    }

    /// Whether `dir` is inside a trusted directory (a path-component test:
    /// `/w/proj2` is not inside `/w/proj`).
    pub fn is_trusted(&self, dir: &Path) -> bool {
        self.why_trusted(dir).is_some()
    }
}

fn resolve(entry: &str, home: Option<&Path>) -> PathBuf {
    let home = home.map(Path::to_path_buf).unwrap_or_default();
    let path = if entry == "~" {
        home
    } else if let Some(rest) = entry.strip_prefix("~/") {
        home.join(rest)
    } else if Path::new(entry).is_absolute() {
        PathBuf::from(entry)
    } else {
        home.join(entry)
    };
    normalize(&path)
}

/// Resolves symlinks when the path exists, so `/tmp/x` and its real path
/// compare equal.
fn normalize(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_covers_subdirectories_but_not_siblings_with_a_common_prefix() {
        let mut store = TrustStore::new();
        store.trust("/w/proj");
        assert!(store.is_trusted(Path::new("/w/proj")));
        assert!(store.is_trusted(Path::new("/w/proj/sub")));
        assert!(!store.is_trusted(Path::new("/w/proj2")));
        assert!(!store.is_trusted(Path::new("/w")));
    }
}
