//! FileChanged: the `watchPaths` hooks registered, what happened to them,
//! and the hooks' context for the model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferrule_hooks::{EventPayload, FileChangedInput, FileEvent};

use super::Watch;
use super::fs::FileStamp;

/// The watched paths whose stamps changed, with what happened; their new
/// stamps are kept.
pub(crate) fn changes(
    files: &mut BTreeMap<PathBuf, Option<FileStamp>>,
) -> Vec<(PathBuf, FileEvent)> {
    let mut out = Vec::new();
    for (path, seen) in files.iter_mut() {
        let now = FileStamp::of(path);
        let event = match (&*seen, &now) {
            (None, None) => continue,
            (None, Some(_)) => FileEvent::Add,
            (Some(_), None) => FileEvent::Unlink,
            (Some(before), Some(after)) if before == after => continue,
            (Some(_), Some(_)) => FileEvent::Change,
        };
        *seen = now;
        out.push((path.clone(), event));
    }
    out
}

impl Watch {
    /// Fires FileChanged for each change; the hooks' context is queued for
    /// the model's next request and their `watchPaths` are watched too.
    pub(crate) async fn files_changed(&self, changed: Vec<(PathBuf, FileEvent)>) {
        for (path, event) in changed {
            let payload = EventPayload::FileChanged(FileChangedInput {
                file_path: path.display().to_string(),
                event,
            });
            let Some(dispatch) = self.fire(payload).await else {
                continue;
            };
            let outcome = dispatch.outcome;
            self.add_paths(&outcome.watch_paths);
            match self.controls.get() {
                Some(controls) => {
                    for text in outcome.additional_context {
                        controls.add_context(text);
                    }
                }
                None if !outcome.additional_context.is_empty() => {
                    tracing::debug!("FileChanged context before the agent exists; dropped");
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_change_and_unlink_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watched.txt");
        let mut files = BTreeMap::from([(path.clone(), FileStamp::of(&path))]);
        assert!(changes(&mut files).is_empty());
        std::fs::write(&path, "a").unwrap();
        assert_eq!(changes(&mut files), vec![(path.clone(), FileEvent::Add)]);
        assert!(changes(&mut files).is_empty(), "nothing new");
        std::fs::write(&path, "bb").unwrap();
        assert_eq!(changes(&mut files), vec![(path.clone(), FileEvent::Change)]);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(changes(&mut files), vec![(path, FileEvent::Unlink)]);
    }
}
