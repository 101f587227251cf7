//! Paths of a call as the permission check sees them, and reads outside
//! the working directories (cli-core.md §3.3 "Read, Glob, Grep, LS": such
//! a read asks; print mode denies it naming the rule to add).
//!
//! The tool context only lets tools touch the working and additional
//! directories. A read elsewhere is not refused up front: the permission
//! engine decides on the resolved path (so a symlink inside the workspace
//! that points out of it asks too), and when the call goes ahead the
//! tool's context also allows the directory read.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::pipeline::canonical;

/// The path field of a read tool's input: Read's `file_path`, the `path`
/// of Glob, Grep and LS, or the fixed part of an absolute Glob pattern.
fn read_path(name: &str, input: &Value) -> Option<(&'static str, String)> {
    let field = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    match canonical(name) {
        "Read" => field("file_path").map(|p| ("file_path", p)),
        "Grep" | "LS" => field("path").map(|p| ("path", p)),
        "Glob" => field("path").map(|p| ("path", p)).or_else(|| {
            let pattern = field("pattern")?;
            pattern.starts_with('/').then(|| {
                let fixed: PathBuf = Path::new(&pattern)
                    .components()
                    .take_while(|c| {
                        !c.as_os_str()
                            .to_string_lossy()
                            .contains(['*', '?', '[', '{'])
                    })
                    .collect();
                ("pattern", fixed.display().to_string())
            })
        }),
        _ => None,
    }
}

/// `cwd`-relative or absolute `raw`, normalised, with the existing part's
/// symlinks resolved.
fn resolve(cwd: &Path, raw: &str) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in cwd.join(raw).components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other.as_os_str()),
        }
    }
    let mut existing = normal.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        let Some(name) = existing.file_name().map(ToOwned::to_owned) else {
            return normal;
        };
        rest.push(name);
        if !existing.pop() {
            return normal;
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.iter().rev() {
        out.push(part);
    }
    out
}

/// A read outside the allowed directories: the directory the tool context
/// must also allow, and the input the permission check decides on (the
/// path resolved).
#[derive(Debug)]
pub(crate) struct OutsideRead {
    pub(crate) dir: PathBuf,
    pub(crate) decision_input: Value,
}

/// `Some` when the call reads a path outside `allowed` (a
/// [`ferrule_tool::ToolContext::is_allowed`] check).
pub(crate) fn outside_read(
    name: &str,
    input: &Value,
    cwd: &Path,
    allowed: impl Fn(&Path) -> bool,
) -> Option<OutsideRead> {
    let (key, raw) = read_path(name, input)?;
    if raw.is_empty() || raw.contains('\0') {
        return None;
    }
    let resolved = resolve(cwd, &raw);
    if allowed(&resolved) {
        return None;
    }
    let dir = if resolved.is_dir() {
        resolved.clone()
    } else {
        resolved.parent()?.to_path_buf()
    };
    if !dir.is_dir() {
        return None;
    }
    let mut decision_input = input.clone();
    if let Value::Object(map) = &mut decision_input {
        if key == "pattern" {
            // The check reads Glob's root from `path`.
            map.insert("path".into(), Value::String(resolved.display().to_string()));
        } else {
            map.insert(key.into(), Value::String(resolved.display().to_string()));
        }
    }
    Some(OutsideRead {
        dir,
        decision_input,
    })
}

/// The input the permission check sees when the run's directory is not the
/// session's original cwd (a worktree): relative paths made absolute
/// against the run's directory, as the tool resolves them.
pub(crate) fn absolute_paths(input: &Value, cwd: &Path) -> Value {
    let mut out = input.clone();
    if let Value::Object(map) = &mut out {
        for key in ["file_path", "notebook_path", "path"] {
            if let Some(Value::String(raw)) = map.get(key)
                && !raw.is_empty()
                && !raw.starts_with('/')
                && !raw.starts_with('~')
            {
                let absolute = cwd.join(raw).display().to_string();
                map.insert(key.into(), Value::String(absolute));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_read_root_of_each_tool() {
        let cwd = Path::new("/w");
        let inside = |p: &Path| p.starts_with("/w");
        let tmp = std::env::temp_dir().canonicalize().unwrap();
        let file = tmp.join("x.txt").display().to_string();
        let read = outside_read("Read", &json!({"file_path": file}), cwd, inside).unwrap();
        assert_eq!(read.dir, tmp);
        assert_eq!(read.decision_input["file_path"], file);
        let glob = outside_read(
            "Glob",
            &json!({"pattern": format!("{}/**/*.rs", tmp.display())}),
            cwd,
            inside,
        )
        .unwrap();
        assert_eq!(glob.dir, tmp);
        assert_eq!(glob.decision_input["path"], tmp.display().to_string());
        assert!(outside_read("Read", &json!({"file_path": "a.txt"}), cwd, inside).is_none());
        assert!(outside_read("Write", &json!({"file_path": file}), cwd, inside).is_none());
        assert!(outside_read("Glob", &json!({"pattern": "**/*.rs"}), cwd, inside).is_none());
    }

    #[test]
    fn relative_paths_become_absolute_for_the_check() {
        let input = json!({"file_path": "src/a.rs", "path": "/abs", "other": "x"});
        let out = absolute_paths(&input, Path::new("/wt"));
        assert_eq!(out["file_path"], "/wt/src/a.rs");
        assert_eq!(out["path"], "/abs");
        assert_eq!(out["other"], "x");
    }
}
