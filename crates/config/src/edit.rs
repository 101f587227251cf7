//! Writing changes back to one settings file, keeping everything else in it.
//!
//! Used for `/allow` and `/deny` (persisted to `settings.local.json`,
//! cli-core.md §3.9) and for SDK permission updates whose destination is
//! `localSettings`, `projectSettings` or `userSettings`. A file that does
//! not parse is never overwritten: the edit fails with its diagnostic.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::parse::parse_object;

/// Which permission list an edit targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleList {
    /// `permissions.allow`.
    Allow,
    /// `permissions.deny`.
    Deny,
    /// `permissions.ask`.
    Ask,
}

impl RuleList {
    fn key(self) -> &'static str {
        match self {
            RuleList::Allow => "allow",
            RuleList::Deny => "deny",
            RuleList::Ask => "ask",
        }
    }
}

/// One change to a settings file (the `PermissionUpdate` kinds of the SDK).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingsEdit {
    /// Append rules not already in the list.
    AddRules(RuleList, Vec<String>),
    /// Replace the whole list.
    ReplaceRules(RuleList, Vec<String>),
    /// Remove these rules from the list.
    RemoveRules(RuleList, Vec<String>),
    /// Set `general.defaultPermissionMode`.
    SetMode(String),
    /// Append to `permissions.additionalDirectories`.
    AddDirectories(Vec<String>),
    /// Remove from `permissions.additionalDirectories`.
    RemoveDirectories(Vec<String>),
    /// Set the value at a key path (`["permissions", "defaultMode"]`),
    /// creating the objects on the way; `None` removes the key.
    Set(Vec<String>, Option<Value>),
}

/// Why a settings file could not be edited.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The file exists but is not usable settings; it was left unchanged.
    #[error("not editing a broken settings file: {0}")]
    Invalid(Diagnostic),
    /// The edit would make the file unusable settings (a value of the
    /// wrong type, say); the file was left unchanged.
    #[error("the change would break the settings file: {0}")]
    Rejected(Diagnostic),
    /// Reading or writing failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// `reading`, `writing` or `creating`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Applies `edits` to the settings file at `path` (created, with its
/// directory, when missing) and writes it back pretty-printed. Keys the
/// edits do not touch, unknown ones included, are kept in their order.
/// Returns whether the file changed; an unchanged file is not rewritten.
///
/// # Errors
/// [`EditError::Invalid`] when the existing file (or the `permissions` /
/// `general` value in it) is not usable; [`EditError::Io`] on I/O failure.
pub fn edit_settings_file(path: &Path, edits: &[SettingsEdit]) -> Result<bool, EditError> {
    let io = |action: &'static str, p: &Path| {
        let path = p.to_path_buf();
        move |source| EditError::Io {
            action,
            path,
            source,
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io("reading", path)(e)),
    };
    let mut root = parse_object(&text, path).map_err(EditError::Invalid)?;
    let before = root.clone();
    for edit in edits {
        apply(&mut root, edit);
    }
    if root == before && !text.trim().is_empty() {
        return Ok(false);
    }
    let mut out = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
    out.push('\n');
    // The edited file must still be settings ferrule can load.
    if let Some(error) = crate::parse::parse_settings(&out, path)
        .diagnostics
        .into_iter()
        .find(|d| d.severity == crate::diagnostic::Severity::Error)
    {
        return Err(EditError::Rejected(error));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
    }
    // Write beside the file and rename, so a crash never leaves half a file.
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    std::fs::write(&tmp, out).map_err(io("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("writing", path))?;
    Ok(true)
}

/// The object under `key`, created when absent. The file was validated
/// against [`crate::Settings`], so an existing value is an object.
fn section<'a>(root: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = root
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

fn list<'a>(permissions: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let slot = permissions
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(v) => v,
        _ => unreachable!("just made an array"),
    }
}

fn add(items: &mut Vec<Value>, new: &[String]) {
    for s in new {
        let v = Value::String(s.clone());
        if !items.contains(&v) {
            items.push(v);
        }
    }
}

fn remove(items: &mut Vec<Value>, gone: &[String]) {
    items.retain(|v| !v.as_str().is_some_and(|s| gone.iter().any(|g| g == s)));
}

fn apply(root: &mut Map<String, Value>, edit: &SettingsEdit) {
    match edit {
        SettingsEdit::AddRules(l, rules) => add(list(section(root, "permissions"), l.key()), rules),
        SettingsEdit::ReplaceRules(l, rules) => {
            let items = list(section(root, "permissions"), l.key());
            items.clear();
            add(items, rules);
        }
        SettingsEdit::RemoveRules(l, rules) => {
            remove(list(section(root, "permissions"), l.key()), rules);
        }
        SettingsEdit::SetMode(mode) => {
            section(root, "general").insert(
                "defaultPermissionMode".to_owned(),
                Value::String(mode.clone()),
            );
        }
        SettingsEdit::AddDirectories(dirs) => {
            add(
                list(section(root, "permissions"), "additionalDirectories"),
                dirs,
            );
        }
        SettingsEdit::RemoveDirectories(dirs) => {
            remove(
                list(section(root, "permissions"), "additionalDirectories"),
                dirs,
            );
        }
        SettingsEdit::Set(path, value) => set(root, path, value.as_ref()),
    }
}

/// Sets (or, with `None`, removes) the value at `path` under `root`.
/// Objects on the way are created; a scalar on the way is replaced by an
/// object only when setting.
fn set(root: &mut Map<String, Value>, path: &[String], value: Option<&Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = root;
    for key in parents {
        if value.is_none() && !map.get(key).is_some_and(Value::is_object) {
            return;
        }
        map = section(map, key);
    }
    match value {
        Some(value) => {
            map.insert(last.clone(), value.clone());
        }
        None => {
            map.shift_remove(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn read(path: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn adding_a_rule_creates_the_file_and_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".qoder/settings.local.json");
        let edits = [SettingsEdit::AddRules(
            RuleList::Allow,
            vec!["Bash(npm test)".to_owned()],
        )];
        assert!(edit_settings_file(&path, &edits).unwrap());
        assert_eq!(
            read(&path),
            json!({"permissions": {"allow": ["Bash(npm test)"]}})
        );
    }

    #[test]
    fn set_writes_and_removes_nested_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, r#"{"model": "a", "env": {"X": "1"}}"#).unwrap();
        let key = |k: &str| k.split('.').map(str::to_owned).collect::<Vec<_>>();
        let edits = [
            SettingsEdit::Set(key("model"), Some(json!("b"))),
            SettingsEdit::Set(key("env.Y"), Some(json!("2"))),
            SettingsEdit::Set(key("permissions.defaultMode"), Some(json!("plan"))),
            SettingsEdit::Set(key("env.X"), None),
            SettingsEdit::Set(key("nothing.here"), None),
        ];
        assert!(edit_settings_file(&path, &edits).unwrap());
        assert_eq!(
            read(&path),
            json!({"model": "b", "env": {"Y": "2"}, "permissions": {"defaultMode": "plan"}})
        );
    }

    #[test]
    fn an_edit_that_breaks_the_settings_is_rejected_and_the_file_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let before = "{\"permissions\": {\"allow\": [\"Read\"]}}";
        std::fs::write(&path, before).unwrap();
        let edits = [SettingsEdit::Set(
            vec!["permissions".to_owned(), "allow".to_owned()],
            Some(json!(42)),
        )];
        let error = edit_settings_file(&path, &edits).unwrap_err();
        assert!(matches!(error, EditError::Rejected(_)), "{error}");
        assert!(error.to_string().contains("permissions.allow"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }

    #[test]
    fn edits_keep_other_keys_and_skip_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(
            &path,
            r#"{"x": {"y": 1}, "permissions": {"allow": ["Read"], "deny": ["A", "B"]}}"#,
        )
        .unwrap();
        let edits = [
            SettingsEdit::AddRules(RuleList::Allow, vec!["Read".to_owned(), "Grep".to_owned()]),
            SettingsEdit::RemoveRules(RuleList::Deny, vec!["A".to_owned()]),
            SettingsEdit::ReplaceRules(RuleList::Ask, vec!["WebFetch".to_owned()]),
            SettingsEdit::SetMode("plan".to_owned()),
            SettingsEdit::AddDirectories(vec!["../lib".to_owned()]),
        ];
        assert!(edit_settings_file(&path, &edits).unwrap());
        assert_eq!(
            read(&path),
            json!({
                "x": {"y": 1},
                "permissions": {"allow": ["Read", "Grep"], "deny": ["B"], "ask": ["WebFetch"], "additionalDirectories": ["../lib"]},
                "general": {"defaultPermissionMode": "plan"}
            })
        );
        let again = [SettingsEdit::AddRules(
            RuleList::Allow,
            vec!["Grep".to_owned()],
        )];
        assert!(
            !edit_settings_file(&path, &again).unwrap(),
            "nothing new to add"
        );
    }

    #[test]
    fn a_broken_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{\"permissions\": {\"allow\": 1}}").unwrap();
        let edits = [SettingsEdit::AddRules(
            RuleList::Deny,
            vec!["Bash".to_owned()],
        )];
        let err = edit_settings_file(&path, &edits).unwrap_err();
        let EditError::Invalid(d) = err else {
            panic!("expected Invalid, got {err:?}");
        };
        assert_eq!(
            (d.json_path.as_deref(), d.line, d.column),
            (Some("permissions.allow"), Some(1), Some(27))
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"permissions\": {\"allow\": 1}}"
        );
    }
}
