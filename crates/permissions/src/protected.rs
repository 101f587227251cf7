//! Protected paths: writing them changes how code runs or how tools behave,
//! so every write asks (reference §3.6, A-9).

use std::path::{Component, Path};

/// Directory names protected at any depth.
const PROTECTED_DIRS: &[&str] = &[".git", ".vscode", ".idea", ".husky"];

/// Subdirectories of `.qoder` that hold definitions, not configuration.
const QODER_DEFINITIONS: &[&str] = &["commands", "agents", "skills", "worktrees"];

/// File names protected anywhere.
const PROTECTED_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".zshrc",
    ".zprofile",
    ".profile",
    ".gitconfig",
    ".gitmodules",
    ".ripgreprc",
    ".mcp.json",
    ".qoder.json",
];

/// Why writing `path` needs approval, if it does. Names compare
/// case-insensitively.
pub fn protected_reason(path: &Path) -> Option<&'static str> {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let file = parts.last()?;
    if PROTECTED_FILES.contains(&file.as_str()) {
        return Some("a protected configuration file");
    }
    for (at, part) in parts.iter().enumerate() {
        let is_last = at + 1 == parts.len();
        if PROTECTED_DIRS.contains(&part.as_str()) {
            return Some("inside a protected directory");
        }
        if part == ".qoder" {
            let definition = parts.get(at + 1).is_some_and(|next| {
                QODER_DEFINITIONS.contains(&next.as_str()) && at + 2 < parts.len()
            });
            if !definition || is_last {
                return Some("qoder configuration");
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn protected_paths_per_reference() {
        let p = |s: &str| protected_reason(Path::new(s));
        assert_eq!(
            p("/w/vendor/x/.git/HEAD"),
            Some("inside a protected directory")
        );
        assert_eq!(
            p("/w/.VSCode/settings.json"),
            Some("inside a protected directory")
        );
        assert_eq!(p("/w/.qoder/settings.json"), Some("qoder configuration"));
        assert_eq!(p("/w/.qoder/commands/x.md"), None);
        assert_eq!(p("/home/u/.zshrc"), Some("a protected configuration file"));
        assert_eq!(p("/w/.gitignore"), None);
        assert_eq!(p("/w/.github/workflows/ci.yml"), None);
    }
}
