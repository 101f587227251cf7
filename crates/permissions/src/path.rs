//! Lexical path handling: making a path absolute and removing `.`, `..` and
//! repeated separators without touching the file system (reference §3.4.5).

use std::path::{Component, Path, PathBuf};

/// Makes `path` absolute and lexically normal: `~` and `~/…` resolve against
/// `home`, relative paths against `cwd`; `.` is dropped, `..` removes the
/// previous component (never above `/`). The file system is not consulted.
pub fn normalize(path: &str, cwd: &Path, home: &Path) -> PathBuf {
    let joined = if path == "~" {
        home.to_path_buf()
    } else if let Some(rest) = path.strip_prefix("~/") {
        home.join(rest)
    } else {
        cwd.join(path)
    };
    normalize_absolute(&joined)
}

/// Lexically normalizes an already absolute path (a relative one is taken as
/// relative to `/`).
pub(crate) fn normalize_absolute(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}

/// Whether `path` is `dir` or below it, component by component (`/w/proj2`
/// is not inside `/w/proj`). Both must be normalized.
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn dot_dot_and_tilde_resolve_lexically() {
        let cwd = Path::new("/w/proj");
        let home = Path::new("/home/u");
        assert_eq!(
            normalize("../x/./y//z", cwd, home),
            PathBuf::from("/w/x/y/z")
        );
        assert_eq!(normalize("~/a/../b", cwd, home), PathBuf::from("/home/u/b"));
        assert_eq!(normalize("/../../etc", cwd, home), PathBuf::from("/etc"));
        assert_eq!(normalize("~", cwd, home), PathBuf::from("/home/u"));
    }

    #[test]
    fn inside_is_a_component_test() {
        assert!(is_inside(Path::new("/w/proj/a"), Path::new("/w/proj")));
        assert!(is_inside(Path::new("/w/proj"), Path::new("/w/proj")));
        assert!(!is_inside(Path::new("/w/proj2"), Path::new("/w/proj")));
    }
}
