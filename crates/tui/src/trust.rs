//! Folder trust for the interface (cli-core.md §3.7, A-22): project
//! settings, hooks and AGENTS.md apply only in a trusted folder, and only
//! the interface asks. A folder is trusted when it is, or is inside, an
//! entry of `permissions.trustDirectories` in the user settings file;
//! answering "yes" adds the folder there.
//!
//! ferrule-setup decides trust by host: every host but
//! [`Host::Interactive`] trusts its folder, so a trusted folder is
//! prepared as [`Host::Print`] (trust is the only thing the host decides
//! in setup).

use std::path::{Path, PathBuf};

use ferrule_setup::{Host, SetupOptions};
use serde_json::{Map, Value};

/// The user settings file (`<user dir>/settings.json`).
pub(crate) fn user_settings(options: &SetupOptions) -> Option<PathBuf> {
    options
        .resolved_user_dir()
        .map(|dir| dir.join("settings.json"))
}

/// Whether `options.cwd` is trusted by the user settings.
pub(crate) fn is_trusted(options: &SetupOptions) -> bool {
    let Some(file) = user_settings(options) else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return false;
    };
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let home = options.resolved_home();
    value
        .pointer("/permissions/trustDirectories")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|entry| expand(entry, home.as_deref()))
        .any(|dir| options.cwd.starts_with(dir))
}

fn expand(entry: &str, home: Option<&Path>) -> Option<PathBuf> {
    let path = match entry.strip_prefix("~/") {
        Some(rest) => home?.join(rest),
        None if entry == "~" => home?.to_path_buf(),
        None => PathBuf::from(entry),
    };
    path.is_absolute().then_some(path)
}

/// The options with trust applied: a trusted folder is prepared as a
/// trusting host.
pub(crate) fn with_trust(mut options: SetupOptions) -> SetupOptions {
    if options.host == Host::Interactive && is_trusted(&options) {
        options.host = Host::Print;
    }
    options
}

/// Adds `options.cwd` to `permissions.trustDirectories` of the user
/// settings file, keeping everything else in it. A file that is not a JSON
/// object is left alone.
pub(crate) fn trust(options: &SetupOptions) -> Result<PathBuf, String> {
    let file = user_settings(options).ok_or("no user directory: set HOME or FERRULE_HOME")?;
    let mut root = match std::fs::read_to_string(&file) {
        Ok(text) if text.trim().is_empty() => Value::Object(Map::new()),
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not valid JSON ({e}); not changing it",
                file.display()
            )
        })?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Value::Object(Map::new()),
        Err(error) => return Err(format!("reading {}: {error}", file.display())),
    };
    let shape = || {
        format!(
            "{}: permissions.trustDirectories is not a list",
            file.display()
        )
    };
    let permissions = root
        .as_object_mut()
        .ok_or_else(shape)?
        .entry("permissions")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(shape)?;
    let list = permissions
        .entry("trustDirectories")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(shape)?;
    let dir = Value::String(options.cwd.display().to_string());
    if !list.contains(&dir) {
        list.push(dir);
    }
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let mut text = serde_json::to_string_pretty(&root).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(&file, text).map_err(|e| format!("writing {}: {e}", file.display()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn options(cwd: &Path, user: &Path) -> SetupOptions {
        let env = BTreeMap::from([
            ("FERRULE_HOME".to_owned(), user.display().to_string()),
            ("HOME".to_owned(), user.display().to_string()),
        ]);
        SetupOptions::new(Host::Interactive, cwd, env)
    }

    #[test]
    fn trusting_a_folder_covers_its_subfolders_and_keeps_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user");
        let proj = dir.path().join("proj");
        std::fs::create_dir_all(proj.join("sub")).unwrap();
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(
            user.join("settings.json"),
            r#"{"model": "x", "permissions": {"allow": ["Read"]}}"#,
        )
        .unwrap();
        let opts = options(&proj, &user);
        assert!(!is_trusted(&opts));
        assert_eq!(with_trust(opts.clone()).host, Host::Interactive);
        trust(&opts).unwrap();
        trust(&opts).unwrap();
        assert!(is_trusted(&opts));
        assert!(is_trusted(&options(&proj.join("sub"), &user)));
        assert!(!is_trusted(&options(dir.path(), &user)));
        assert_eq!(with_trust(opts).host, Host::Print);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(user.join("settings.json")).unwrap())
                .unwrap();
        assert_eq!(written["model"], "x");
        assert_eq!(written["permissions"]["allow"], serde_json::json!(["Read"]));
        assert_eq!(
            written["permissions"]["trustDirectories"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_broken_settings_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), "{broken").unwrap();
        let error = trust(&options(dir.path(), dir.path())).unwrap_err();
        assert!(error.contains("not valid JSON"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("settings.json")).unwrap(),
            "{broken"
        );
    }

    #[test]
    fn home_relative_entries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("settings.json"),
            r#"{"permissions": {"trustDirectories": ["~/work"]}}"#,
        )
        .unwrap();
        assert!(is_trusted(&options(&dir.path().join("work/p"), dir.path())));
    }
}
