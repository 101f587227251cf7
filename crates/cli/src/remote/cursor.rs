//! The last event of each remote session this machine has shown, so that
//! `--remote-session ID` continues right after it: one small file per
//! session under `<user dir>/remote-sessions/`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// Checks that `id` looks like a session id (it becomes a file name).
pub(crate) fn check_id(id: &str) -> Result<()> {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        bail!("{id:?} is not a session id (expected sess_…)");
    }
    Ok(())
}

fn file(dir: &Path, session: &str) -> PathBuf {
    dir.join(format!("{session}.last-event"))
}

/// The saved cursor of `session`, if any.
pub(crate) fn load(dir: &Path, session: &str) -> Option<String> {
    let text = std::fs::read_to_string(file(dir, session)).ok()?;
    let id = text.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Saves `event_id` as the last event of `session` shown here.
pub(crate) fn save(dir: &Path, session: &str, event_id: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = file(dir, session);
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{event_id}\n"))
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{check_id, load, save};

    #[test]
    fn cursors_round_trip_and_odd_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), "sess_1"), None);
        save(dir.path(), "sess_1", "evt_9").unwrap();
        save(dir.path(), "sess_1", "evt_10").unwrap();
        assert_eq!(load(dir.path(), "sess_1").as_deref(), Some("evt_10"));
        assert!(check_id("sess_01ab").is_ok());
        assert!(check_id("../x").is_err());
        assert!(check_id("").is_err());
    }
}
