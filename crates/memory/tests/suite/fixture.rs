//! A temp folder with a home, a user dir and a project, filled from
//! `(path, text)` pairs.

#![allow(
    clippy::expect_used,
    reason = "a fixture that cannot be built should fail the test at once"
)]

use std::path::{Path, PathBuf};

use ferrule_memory::{LoadOptions, Workspace};

/// `home/` (HOME), `home/.qoder` (user dir), `repo/` (a git repository).
pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) base: PathBuf,
}

impl Fixture {
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(base.join("repo/.git")).expect("git dir");
        std::fs::create_dir_all(base.join("home/.qoder")).expect("user dir");
        let fixture = Self { _dir: dir, base };
        fixture.write(files);
        fixture
    }

    pub(crate) fn write(&self, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = self.base.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("parent");
            }
            std::fs::write(&path, text).expect("write");
        }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    pub(crate) fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.base)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    pub(crate) fn options(&self, cwd: &str) -> LoadOptions {
        LoadOptions::new(self.path(cwd)).with_home(self.path("home"))
    }

    pub(crate) fn load(&self, cwd: &str) -> Workspace {
        Workspace::load(&self.options(cwd))
    }
}
