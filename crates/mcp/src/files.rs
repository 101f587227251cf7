//! Writing server configs and project-server choices back to the files
//! `ferrule mcp add|remove|approve` manage (cli-core.md §8.1): `.mcp.json`
//! for the project scope, `settings.local.json` / the user `settings.json`
//! for the others. Every other key of a file is kept in its order; a file
//! that is not a JSON object is never overwritten.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::McpScope;
use crate::sources::{DISABLED_KEY, ENABLED_KEY};

/// Why a config file could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Reading or writing failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// `reading` or `writing`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is not a JSON object (or its `mcpServers` is not
    /// an object); it was left unchanged.
    #[error("not editing {}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// The file a scope's servers live in: `<cwd>/.mcp.json` (project),
/// `<cwd>/.qoder/settings.local.json` (local), `<user_dir>/settings.json`
/// (user). Other scopes are not written by `ferrule mcp`.
pub fn scope_file(scope: McpScope, cwd: &Path, user_dir: &Path) -> Option<PathBuf> {
    match scope {
        McpScope::Project => Some(cwd.join(".mcp.json")),
        McpScope::Local => Some(ferrule_config::local_settings_file(cwd)),
        McpScope::User => Some(ferrule_config::user_settings_file(user_dir)),
        McpScope::Plugin | McpScope::Flag | McpScope::Dynamic => None,
    }
}

/// The servers written in `path` (`mcpServers`), empty when the file is
/// missing.
///
/// # Errors
/// An unreadable file or one that is not a JSON object.
pub fn read_servers(path: &Path) -> Result<Map<String, Value>, FileError> {
    let root = read_object(path)?;
    match root.get("mcpServers") {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(FileError::Invalid {
            path: path.to_path_buf(),
            message: "`mcpServers` is not an object".to_owned(),
        }),
    }
}

/// Sets (`Some`) or removes (`None`) server `name` in `path`'s
/// `mcpServers`, creating the file when needed. Returns whether the file
/// changed (removing an absent server changes nothing).
///
/// # Errors
/// See [`FileError`].
pub fn set_server(path: &Path, name: &str, config: Option<Value>) -> Result<bool, FileError> {
    let mut root = read_object(path)?;
    let before = root.clone();
    let servers = root
        .entry("mcpServers".to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        return Err(FileError::Invalid {
            path: path.to_path_buf(),
            message: "`mcpServers` is not an object".to_owned(),
        });
    };
    match config {
        Some(config) => {
            servers.insert(name.to_owned(), config);
        }
        None => {
            servers.remove(name);
        }
    }
    if root == before {
        return Ok(false);
    }
    write_object(path, &root)?;
    Ok(true)
}

/// Records the user's choice for project server `name` (from `.mcp.json`)
/// in the local settings file `path`: approved → `enabledMcpjsonServers`,
/// rejected → `disabledMcpjsonServers` (and out of the other list).
///
/// # Errors
/// See [`FileError`].
pub fn set_project_choice(path: &Path, name: &str, approve: bool) -> Result<bool, FileError> {
    let (add, remove) = if approve {
        (ENABLED_KEY, DISABLED_KEY)
    } else {
        (DISABLED_KEY, ENABLED_KEY)
    };
    let mut root = read_object(path)?;
    let before = root.clone();
    edit_list(&mut root, remove, |list| {
        list.retain(|v| v.as_str() != Some(name))
    });
    edit_list(&mut root, add, |list| {
        if !list.iter().any(|v| v.as_str() == Some(name)) {
            list.push(Value::String(name.to_owned()));
        }
    });
    if root == before {
        return Ok(false);
    }
    write_object(path, &root)?;
    Ok(true)
}

/// Switches server `name` off (`disabledMcpServers` in the settings file
/// `path`) or back on. Returns whether the file changed.
///
/// # Errors
/// See [`FileError`].
pub fn set_switched_off(path: &Path, name: &str, off: bool) -> Result<bool, FileError> {
    let mut root = read_object(path)?;
    let before = root.clone();
    edit_list(&mut root, crate::sources::SWITCHED_OFF_KEY, |list| {
        list.retain(|v| v.as_str() != Some(name));
        if off {
            list.push(Value::String(name.to_owned()));
        }
    });
    if root == before {
        return Ok(false);
    }
    write_object(path, &root)?;
    Ok(true)
}

/// Forgets every project-server choice in `path`
/// (`ferrule mcp reset-project-choices`).
///
/// # Errors
/// See [`FileError`].
pub fn reset_project_choices(path: &Path) -> Result<bool, FileError> {
    let mut root = read_object(path)?;
    let before = root.clone();
    root.remove(ENABLED_KEY);
    root.remove(DISABLED_KEY);
    root.remove(crate::sources::ENABLE_ALL_KEY);
    if root == before {
        return Ok(false);
    }
    write_object(path, &root)?;
    Ok(true)
}

fn edit_list(root: &mut Map<String, Value>, key: &str, f: impl FnOnce(&mut Vec<Value>)) {
    let slot = root
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    if let Value::Array(list) = slot {
        f(list);
        if list.is_empty() {
            root.remove(key);
        }
    }
}

fn read_object(path: &Path) -> Result<Map<String, Value>, FileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(source) => {
            return Err(FileError::Io {
                action: "reading",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(FileError::Invalid {
            path: path.to_path_buf(),
            message: "not a JSON object".to_owned(),
        }),
        Err(e) => Err(FileError::Invalid {
            path: path.to_path_buf(),
            message: format!("not valid JSON: {e}"),
        }),
    }
}

fn write_object(path: &Path, root: &Map<String, Value>) -> Result<(), FileError> {
    let io = |source| FileError::Io {
        action: "writing",
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string_pretty(root).unwrap_or_default();
    text.push('\n');
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    // Write beside the file and rename, so a crash never leaves half a file.
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_and_remove_keep_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".qoder/settings.local.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"permissions": {"allow": ["Read"]}, "model": "m"}"#,
        )
        .unwrap();
        assert!(set_server(&path, "a", Some(json!({"command": "x"}))).unwrap());
        assert!(!set_server(&path, "a", Some(json!({"command": "x"}))).unwrap());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["permissions"]["allow"][0], "Read");
        assert_eq!(v["mcpServers"]["a"]["command"], "x");
        assert!(set_server(&path, "a", None).unwrap());
        assert!(!set_server(&path, "a", None).unwrap());
        assert!(read_servers(&path).unwrap().is_empty());
    }

    #[test]
    fn broken_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcp.json");
        std::fs::write(&path, "{oops").unwrap();
        let e = set_server(&path, "a", Some(json!({}))).unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{oops");
    }

    #[test]
    fn choices_move_between_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.local.json");
        set_project_choice(&path, "a", true).unwrap();
        set_project_choice(&path, "b", true).unwrap();
        set_project_choice(&path, "a", false).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v[ENABLED_KEY], json!(["b"]));
        assert_eq!(v[DISABLED_KEY], json!(["a"]));
        assert!(reset_project_choices(&path).unwrap());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v, json!({}));
    }
}
