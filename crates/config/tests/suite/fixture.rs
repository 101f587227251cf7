//! A temp dir holding a home and a project, filled from (path, text) pairs.

#![allow(
    clippy::unwrap_used,
    reason = "a fixture that cannot be built should fail the test at once"
)]

use std::path::{Path, PathBuf};

use ferrule_config::LoadOptions;

pub(crate) struct Tree {
    pub(crate) dir: tempfile::TempDir,
}

impl Tree {
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("proj")).unwrap();
        let tree = Tree { dir };
        for (path, text) in files {
            tree.write(path, text);
        }
        tree
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Options with home at `home/`, the user dir `home/.qoder`, the project
    /// `proj/`, and an empty environment.
    pub(crate) fn options(&self) -> LoadOptions {
        let mut o = LoadOptions::new(self.path("proj"));
        o.home = Some(self.path("home"));
        o.user_dir = Some(self.path("home/.qoder"));
        o.env = Some(Default::default());
        o
    }
}
