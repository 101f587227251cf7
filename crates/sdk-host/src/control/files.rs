//! Files and directories the SDK hands the session mid-way (TypeScript
//! kinds, `sdk-protocol.md` §6.5): `add_directories` makes more working
//! directories allowed, `seed_read_state` records a file as read.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use ferrule_protocol::sdk::{PermissionDestination, PermissionUpdate, SeedReadStateRequest};
use ferrule_tool::FileStamp;
use serde_json::{Map, Value, json};

use super::with_ready;
use crate::host::Shared;

/// `add_directories` `{directories}`: each existing directory becomes a
/// working directory of the tools and the permission engine for the rest
/// of the session, as `--add-dir` would (a session rule, so it outlives a
/// rebuilt agent). Answers `{added, failed: [{path, error}], directories}`
/// where `directories` are all the additional working directories now.
pub(super) fn add_directories(
    shared: &Shared,
    request: &Map<String, Value>,
) -> Result<Value, String> {
    let Some(asked) = request.get("directories").and_then(Value::as_array) else {
        return Err("add_directories: `directories` must be a list of directory paths".to_owned());
    };
    let (cwd, home) = with_ready(shared, |ready| {
        (ready.cwd.clone(), ready.model_env.get("HOME").cloned())
    })?;
    let mut added: Vec<String> = Vec::new();
    let mut failed = Vec::new();
    for entry in asked {
        let Some(raw) = entry.as_str() else {
            failed.push(
                json!({"path": entry.to_string(), "error": "not a path (expected a string)"}),
            );
            continue;
        };
        match directory(&cwd, home.as_deref(), raw) {
            Ok(dir) => {
                let dir = dir.display().to_string();
                if !added.contains(&dir) {
                    added.push(dir);
                }
            }
            Err(error) => failed.push(json!({"path": raw, "error": error})),
        }
    }
    let directories = with_ready(shared, |ready| {
        if !added.is_empty() {
            let update = [PermissionUpdate::AddDirectories {
                directories: added.clone(),
                destination: PermissionDestination::Session,
            }];
            ready.controls.apply_permission_updates(&update);
            ready.blueprint.rules.record(&update);
        }
        working_dirs(&ready.start_dirs, &ready.blueprint.rules.all())
    })?;
    Ok(json!({"added": added, "failed": failed, "directories": directories}))
}

/// `raw` as an absolute, canonical directory: `~` is the home directory,
/// a relative path is taken from the session's cwd.
fn directory(cwd: &Path, home: Option<&str>, raw: &str) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("the path is empty".to_owned());
    }
    let path = match (raw.strip_prefix('~'), home) {
        (Some(""), Some(home)) => PathBuf::from(home),
        (Some(rest), Some(home)) if rest.starts_with('/') => {
            Path::new(home).join(rest.trim_start_matches('/'))
        }
        _ => cwd.join(raw),
    };
    let canonical = path.canonicalize().map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => format!("{} does not exist", path.display()),
        _ => format!("cannot open {}: {error}", path.display()),
    })?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(format!("{} is not a directory", canonical.display()))
    }
}

/// The additional working directories: those the session started with,
/// then those added by session rules, less those removed.
fn working_dirs(start: &[PathBuf], rules: &[PermissionUpdate]) -> Vec<String> {
    let mut dirs: Vec<String> = start.iter().map(|d| d.display().to_string()).collect();
    for rule in rules {
        match rule {
            PermissionUpdate::AddDirectories { directories, .. } => {
                for dir in directories {
                    if !dirs.contains(dir) {
                        dirs.push(dir.clone());
                    }
                }
            }
            PermissionUpdate::RemoveDirectories { directories, .. } => {
                dirs.retain(|dir| !directories.contains(dir));
            }
            _ => {}
        }
    }
    dirs
}

/// `seed_read_state` `{path, mtime}`: the host read the file (at `mtime`,
/// milliseconds since the Unix epoch as Node's `stat.mtimeMs` gives it, or
/// an RFC 3339 time); when the file on disk still has that modification
/// time it is recorded as read, so Edit and Write accept it.
pub(super) fn seed_read_state(
    shared: &Shared,
    request: &SeedReadStateRequest,
) -> Result<Value, String> {
    let raw = &request.path;
    let (cwd, file_state) = with_ready(shared, |ready| {
        (ready.cwd.clone(), ready.controls.file_state())
    })?;
    if raw.trim().is_empty() {
        return Err("seed_read_state: `path` is empty".to_owned());
    }
    let given = mtime_millis(&request.mtime).ok_or_else(|| {
        format!(
            "seed_read_state ({raw}): `mtime` must be milliseconds since the Unix epoch (a number) or an RFC 3339 time, not {}",
            request.mtime
        )
    })?;
    let path = cwd
        .join(raw)
        .canonicalize()
        .map_err(|error| format!("seed_read_state: cannot open {raw}: {error}"))?;
    let metadata = std::fs::metadata(&path)
        .map_err(|error| format!("seed_read_state: cannot open {}: {error}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!("seed_read_state: {} is not a file", path.display()));
    }
    let on_disk = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_secs_f64() * 1000.0)
        .ok_or_else(|| {
            format!(
                "seed_read_state: {} has no modification time to compare",
                path.display()
            )
        })?;
    // Whole milliseconds: hosts floor `mtimeMs`, or send it with a fraction.
    if on_disk.floor() != given.floor() {
        return Err(format!(
            "seed_read_state: {} was modified at {} ms since the epoch, not at the given mtime {}; the file changed since the host read it, so it is not recorded as read",
            path.display(),
            on_disk.floor(),
            request.mtime
        ));
    }
    let bytes = std::fs::read(&path)
        .map_err(|error| format!("seed_read_state: cannot read {}: {error}", path.display()))?;
    file_state.record(&path, FileStamp::new(&bytes, &metadata));
    Ok(json!({}))
}

/// The milliseconds since the epoch of a JSON number, or of a string
/// holding a number or an RFC 3339 time.
fn mtime_millis(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64().filter(|ms| ms.is_finite() && *ms >= 0.0),
        Value::String(text) => {
            if let Ok(ms) = text.trim().parse::<f64>() {
                return Some(ms).filter(|ms| ms.is_finite() && *ms >= 0.0);
            }
            let time: jiff::Timestamp = text.trim().parse().ok()?;
            // Exact: milliseconds of any real date fit an f64's 53 bits.
            Some(time.as_millisecond() as f64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtimes_are_read_from_numbers_and_times() {
        assert_eq!(
            mtime_millis(&json!(1_700_000_000_123.5)),
            Some(1_700_000_000_123.5)
        );
        assert_eq!(
            mtime_millis(&json!("1700000000123")),
            Some(1_700_000_000_123.0)
        );
        assert_eq!(
            mtime_millis(&json!("2023-11-14T22:13:20.123Z")),
            Some(1_700_000_000_123.0)
        );
        assert_eq!(mtime_millis(&json!(-1)), None);
        assert_eq!(mtime_millis(&json!(null)), None);
        assert_eq!(mtime_millis(&json!("yesterday")), None);
    }

    #[test]
    fn working_dirs_follow_added_and_removed_rules() {
        let add = |d: &str| PermissionUpdate::AddDirectories {
            directories: vec![d.to_owned()],
            destination: PermissionDestination::Session,
        };
        let remove = PermissionUpdate::RemoveDirectories {
            directories: vec!["/a".to_owned()],
            destination: PermissionDestination::Session,
        };
        let dirs = working_dirs(
            &[PathBuf::from("/s")],
            &[add("/a"), add("/b"), remove, add("/b")],
        );
        assert_eq!(dirs, ["/s", "/b"]);
    }
}
