//! Test modules and the shared temp-dir setup.

mod compat;
mod fork;
mod listing;
mod load_errors;
mod persistence;
mod python_sdk;
mod resume;
mod roundtrip;
mod sanitize;

use std::path::{Path, PathBuf};

use ferrule_protocol::{AssistantMessage, ContentBlock, Message};
use ferrule_session::{OpenedSession, SessionOptions, SessionStore};
use tempfile::TempDir;

/// A user directory and a project directory, both temporary.
pub(crate) struct Env {
    pub(crate) home: TempDir,
    pub(crate) project: TempDir,
    pub(crate) store: SessionStore,
}

impl Env {
    pub(crate) fn new() -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let project = tempfile::tempdir().expect("temp project");
        let store = SessionStore::new(home.path());
        Self {
            home,
            project,
            store,
        }
    }

    pub(crate) fn cwd(&self) -> &Path {
        self.project.path()
    }

    pub(crate) fn open(&self, options: &SessionOptions) -> OpenedSession {
        self.store.open(self.cwd(), options).expect("open session")
    }

    pub(crate) fn new_session(&self) -> OpenedSession {
        self.open(&SessionOptions::default())
    }

    pub(crate) fn resume(id: &str) -> SessionOptions {
        SessionOptions {
            resume: Some(id.to_owned()),
            ..SessionOptions::default()
        }
    }

    /// Every file under the user directory, relative to it, sorted.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).expect("under root").to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home.path(), self.home.path(), &mut out);
        out.sort();
        out
    }
}

/// A model response holding one text block.
pub(crate) fn reply(text: &str) -> AssistantMessage {
    AssistantMessage::new("scripted/test", vec![ContentBlock::text(text)])
}

/// The conversation message an [`reply`] loads back as.
pub(crate) fn reply_message(text: &str) -> Message {
    Message::assistant(vec![ContentBlock::text(text)])
}

/// Path of a checked-in fixture transcript.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Whether this run is CI: `CI` or `FERRULE_CI` is set (to anything but
/// empty, `0` or `false`). `cargo xtask ci` sets `FERRULE_CI=1`.
pub(crate) fn on_ci() -> bool {
    ["CI", "FERRULE_CI"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")))
}

/// Reports that a tool a test needs is missing: on CI ([`on_ci`]) the test
/// fails with `what`; elsewhere it prints a warning and the caller returns
/// early.
pub(crate) fn missing_prerequisite(what: &str) {
    assert!(
        !on_ci(),
        "{what}; CI (CI or FERRULE_CI is set) requires it, so the test fails instead of skipping"
    );
    eprintln!("SKIPPED: {what}");
}
