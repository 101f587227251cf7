//! The anchor binaries (rg, fd) and timing one run of a process.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

/// Where `cargo install --root /var/cache/ferrule/anchors ripgrep fd-find`
/// puts the current releases.
pub const INSTALL_ROOT: &str = "/var/cache/ferrule/anchors/bin";

/// The rg and fd binaries a run compares against.
#[derive(Debug, Clone)]
pub struct Anchors {
    /// ripgrep.
    pub rg: PathBuf,
    /// fd (`fdfind` on Debian).
    pub fd: PathBuf,
}

impl Anchors {
    /// `RG` and `FD` from the environment, else the binaries under
    /// [`INSTALL_ROOT`], else Debian's `/usr/bin/rg` and `/usr/bin/fdfind`.
    pub fn locate() -> Self {
        let pick = |var: &str, installed: &str, debian: &str| {
            std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
                let built = Path::new(INSTALL_ROOT).join(installed);
                if built.exists() {
                    built
                } else {
                    PathBuf::from(debian)
                }
            })
        };
        Self {
            rg: pick("RG", "rg", "/usr/bin/rg"),
            fd: pick("FD", "fd", "/usr/bin/fdfind"),
        }
    }

    /// The first line of `binary --version`.
    ///
    /// # Errors
    /// When the binary cannot be run.
    pub fn version(binary: &Path) -> Result<String> {
        let out = Command::new(binary)
            .arg("--version")
            .output()
            .with_context(|| format!("running {} --version", binary.display()))?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string())
    }
}

/// A process to run: program, arguments and working directory.
#[derive(Debug, Clone)]
pub struct Process {
    /// The binary.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Where it runs.
    pub dir: PathBuf,
}

impl Process {
    /// `program args...` in `dir`.
    pub fn new(program: &Path, args: &[&str], dir: &Path) -> Self {
        Self {
            program: program.to_path_buf(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            dir: dir.to_path_buf(),
        }
    }

    /// The command line, for the report.
    pub fn display(&self) -> String {
        let name = self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut line = name;
        for arg in &self.args {
            line.push(' ');
            if arg.contains(['|', '*', ' ', '\'']) {
                line.push_str(&format!("'{arg}'"));
            } else {
                line.push_str(arg);
            }
        }
        line
    }

    /// Runs it once with stdout read through a pipe (as a tool caller
    /// reads it) and returns the output. rg exits 1 for "no match", which
    /// is not a failure here.
    ///
    /// # Errors
    /// When it cannot start or exits with a status other than 0 or 1.
    pub fn output(&self) -> Result<Vec<u8>> {
        let out = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.display()))?;
        ensure!(
            matches!(out.status.code(), Some(0 | 1)),
            "{} failed with {}: {}",
            self.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out.stdout)
    }

    /// Runs it once and returns the wall time from spawn to exit, with
    /// all of stdout read.
    ///
    /// # Errors
    /// When it cannot start.
    pub fn time(&self) -> Result<Duration> {
        let start = Instant::now();
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.display()))?;
        let mut sink = Vec::with_capacity(1 << 16);
        if let Some(mut stdout) = child.stdout.take() {
            stdout.read_to_end(&mut sink)?;
        }
        child.wait()?;
        Ok(start.elapsed())
    }
}
