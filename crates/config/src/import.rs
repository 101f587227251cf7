//! `ferrule config import`: converting Claude Code files into Qoder files.
//!
//! | Claude Code | Qoder |
//! | --- | --- |
//! | `CLAUDE.md`, `CLAUDE.local.md` | `AGENTS.md`, `AGENTS.local.md` |
//! | `.claude/settings.json`, `.claude/settings.local.json` | `.qoder/settings.json`, `.qoder/settings.local.json` (merged into an existing file) |
//! | `.claude/skills/`, `.claude/agents/`, `.claude/commands/` | `.qoder/skills/`, `.qoder/agents/`, `.qoder/commands/` |
//!
//! For the user scope the sources are `~/.claude/CLAUDE.md`,
//! `~/.claude/settings.json` and `~/.claude/{skills,agents,commands}`, the
//! targets the Qoder user directory. An existing target file is never
//! overwritten: identical content is reported as already present, different
//! content as a conflict and skipped. Settings are merged instead: keys only
//! Claude has are added, permission lists gain the missing rules, and where
//! both set a key differently Qoder's value is kept and the key reported.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::parse::parse_object;

/// Which files to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportScope {
    /// The project at `cwd`.
    Project,
    /// The user's `~/.claude` into the Qoder user directory.
    User,
}

/// Whether to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Only report what would be done.
    DryRun,
    /// Write the files.
    Write,
}

/// What [`import`] converts.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The project root.
    pub cwd: PathBuf,
    /// The home directory (holds `.claude/` for the user scope).
    pub home: PathBuf,
    /// The Qoder user directory (`~/.qoder`, `$FERRULE_HOME`).
    pub user_dir: PathBuf,
    /// Project or user files.
    pub scope: ImportScope,
    /// Dry run or write.
    pub mode: ImportMode,
}

/// What happened (or would happen) to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImportKind {
    /// The target did not exist and is created as a copy.
    Create,
    /// Settings merged into an existing target: `added` key paths were
    /// added, `kept` key paths had a different value in the target, which
    /// was kept.
    Merge {
        /// Key paths (or `permissions.allow[...]` rules) added.
        added: Vec<String>,
        /// Key paths where the existing Qoder value was kept.
        kept: Vec<String>,
    },
    /// The target already has this content; nothing to do.
    AlreadyPresent,
    /// Not imported; the reason says why.
    Conflict {
        /// Why the file was skipped.
        reason: String,
    },
}

/// One source file and its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportAction {
    /// The Claude Code file.
    pub from: PathBuf,
    /// The Qoder file.
    pub to: PathBuf,
    /// What was (or would be) done.
    #[serde(flatten)]
    pub kind: ImportKind,
}

/// An I/O failure while importing.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {source}", path.display())]
pub struct ImportError {
    /// What was being done (`reading`, `writing`, `listing`).
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.to_path_buf();
    move |source| ImportError {
        action,
        path,
        source,
    }
}

/// Imports (or, in a dry run, plans to import) every Claude Code file of the
/// chosen scope. Sources that do not exist are not mentioned.
///
/// # Errors
/// Only I/O failures on files that exist (unreadable source, unwritable
/// target); conflicts are reported as [`ImportKind::Conflict`] actions.
pub fn import(opts: &ImportOptions) -> Result<Vec<ImportAction>, ImportError> {
    let (claude_dir, qoder_dir, memory) = match opts.scope {
        ImportScope::Project => (
            opts.cwd.join(".claude"),
            opts.cwd.join(".qoder"),
            vec![
                (opts.cwd.join("CLAUDE.md"), opts.cwd.join("AGENTS.md")),
                (
                    opts.cwd.join("CLAUDE.local.md"),
                    opts.cwd.join("AGENTS.local.md"),
                ),
            ],
        ),
        ImportScope::User => {
            let claude = opts.home.join(".claude");
            let memory = vec![(claude.join("CLAUDE.md"), opts.user_dir.join("AGENTS.md"))];
            (claude, opts.user_dir.clone(), memory)
        }
    };
    let mut actions = Vec::new();
    for (from, to) in memory {
        copy_file(&from, &to, opts.mode, &mut actions)?;
    }
    let settings_files: &[&str] = match opts.scope {
        ImportScope::Project => &["settings.json", "settings.local.json"],
        ImportScope::User => &["settings.json"],
    };
    for name in settings_files {
        merge_settings_file(
            &claude_dir.join(name),
            &qoder_dir.join(name),
            opts.mode,
            &mut actions,
        )?;
    }
    for dir in ["skills", "agents", "commands"] {
        copy_tree(
            &claude_dir.join(dir),
            &qoder_dir.join(dir),
            opts.mode,
            &mut actions,
        )?;
    }
    Ok(actions)
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, ImportError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", path)(e)),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ImportError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err("creating", parent))?;
    }
    std::fs::write(path, bytes).map_err(io_err("writing", path))
}

fn copy_file(
    from: &Path,
    to: &Path,
    mode: ImportMode,
    actions: &mut Vec<ImportAction>,
) -> Result<(), ImportError> {
    let Some(content) = read_if_exists(from)? else {
        return Ok(());
    };
    let kind = match read_if_exists(to)? {
        Some(existing) if existing == content => ImportKind::AlreadyPresent,
        Some(_) => ImportKind::Conflict {
            reason: "the target exists with different content; not overwritten".to_owned(),
        },
        None => {
            if mode == ImportMode::Write {
                write(to, &content)?;
            }
            ImportKind::Create
        }
    };
    actions.push(ImportAction {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        kind,
    });
    Ok(())
}

fn copy_tree(
    from: &Path,
    to: &Path,
    mode: ImportMode,
    actions: &mut Vec<ImportAction>,
) -> Result<(), ImportError> {
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("listing", from)(e)),
    };
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(io_err("listing", from))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let file_type = entry.file_type().map_err(io_err("reading", &src))?;
        if file_type.is_dir() {
            copy_tree(&src, &dst, mode, actions)?;
        } else if file_type.is_file() {
            copy_file(&src, &dst, mode, actions)?;
        } else {
            actions.push(ImportAction {
                from: src,
                to: dst,
                kind: ImportKind::Conflict {
                    reason: "not a regular file (symbolic link or special file); not copied"
                        .to_owned(),
                },
            });
        }
    }
    Ok(())
}

fn merge_settings_file(
    from: &Path,
    to: &Path,
    mode: ImportMode,
    actions: &mut Vec<ImportAction>,
) -> Result<(), ImportError> {
    let Some(claude_bytes) = read_if_exists(from)? else {
        return Ok(());
    };
    let action = |kind| ImportAction {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        kind,
    };
    let claude = match settings_object(from, &claude_bytes) {
        Ok(m) => m,
        Err(reason) => {
            actions.push(action(ImportKind::Conflict { reason }));
            return Ok(());
        }
    };
    let Some(qoder_bytes) = read_if_exists(to)? else {
        if mode == ImportMode::Write {
            write(to, &claude_bytes)?;
        }
        actions.push(action(ImportKind::Create));
        return Ok(());
    };
    let mut qoder = match settings_object(to, &qoder_bytes) {
        Ok(m) => m,
        Err(reason) => {
            actions.push(action(ImportKind::Conflict { reason }));
            return Ok(());
        }
    };
    let mut added = Vec::new();
    let mut kept = Vec::new();
    merge_missing(&mut qoder, &claude, "", &mut added, &mut kept);
    if added.is_empty() {
        actions.push(action(if kept.is_empty() {
            ImportKind::AlreadyPresent
        } else {
            ImportKind::Merge { added, kept }
        }));
        return Ok(());
    }
    if mode == ImportMode::Write {
        let mut text = serde_json::to_string_pretty(&Value::Object(qoder)).unwrap_or_default();
        text.push('\n');
        write(to, text.as_bytes())?;
    }
    actions.push(action(ImportKind::Merge { added, kept }));
    Ok(())
}

/// The file as a JSON object, or why it cannot be merged (with the
/// position of the problem).
fn settings_object(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| format!("{} is not valid UTF-8", path.display()))?;
    parse_object(text, path).map_err(|d| format!("cannot merge: {d}"))
}

/// Adds what `from` has and `into` lacks. Objects recurse; permission lists
/// (any array of strings under `permissions`) gain missing entries; any other
/// differing value keeps `into`'s and is reported in `kept`.
fn merge_missing(
    into: &mut Map<String, Value>,
    from: &Map<String, Value>,
    prefix: &str,
    added: &mut Vec<String>,
    kept: &mut Vec<String>,
) {
    for (key, value) in from {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (into.get_mut(key), value) {
            (None, _) => {
                into.insert(key.clone(), value.clone());
                added.push(path);
            }
            (Some(Value::Object(have)), Value::Object(add)) => {
                merge_missing(have, add, &path, added, kept);
            }
            (Some(Value::Array(have)), Value::Array(add)) if path.starts_with("permissions.") => {
                for item in add {
                    if !have.contains(item) {
                        have.push(item.clone());
                        added.push(format!("{path}[{item}]"));
                    }
                }
            }
            (Some(have), _) if have == value => {}
            (Some(_), _) => kept.push(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn settings_with_a_byte_order_mark_keep_their_keys_when_merged() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("claude.json");
        let to = dir.path().join("qoder.json");
        std::fs::write(&from, r#"{"model": "c", "env": {"A": "1"}}"#).unwrap();
        std::fs::write(&to, "\u{feff}{\"model\": \"q\", \"theme\": \"dark\"}").unwrap();
        let mut actions = Vec::new();
        merge_settings_file(&from, &to, ImportMode::Write, &mut actions).unwrap();
        let written: Value = serde_json::from_str(&std::fs::read_to_string(&to).unwrap()).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"model": "q", "theme": "dark", "env": {"A": "1"}})
        );
    }
}
