//! A temp home and project for running `ferrule config` as a child process.

#![allow(
    clippy::unwrap_used,
    reason = "a fixture that cannot be built should fail the test at once"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "proj"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let env = Env { dir };
        for (rel, text) in files {
            env.write(rel, text);
        }
        env
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn p(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// Runs `ferrule <args>` in `proj/` with HOME at `home/`, no
    /// FERRULE_HOME, and the policy file at `policy.json`.
    pub(crate) fn run(&self, args: &[&str], ferrule_home: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrule"));
        cmd.args(args)
            .current_dir(self.path("proj"))
            .env("HOME", self.path("home"))
            .env("FERRULE_POLICY_SETTINGS", self.path("policy.json"))
            .env_remove("FERRULE_HOME");
        if let Some(h) = ferrule_home {
            cmd.env("FERRULE_HOME", self.path(h));
        }
        cmd.output().unwrap()
    }
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
