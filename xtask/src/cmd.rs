//! Running external commands with their command line echoed to stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    // `cargo run` (the `cargo xtask` alias) passes the manifest directory
    // at run time too. Prefer that over the compile-time value: a build
    // cache shared between checkouts can hand one checkout an xtask
    // binary compiled in another, whose baked-in path is the other tree.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), Path::to_path_buf)
}

/// Runs `program args...` in the workspace root and fails if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<()> {
    run_in(&root(), program, args, &[])
}

/// Runs a command in `dir` with extra environment variables.
pub(crate) fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("could not start `{program}`"))?;
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

/// True when `program` can be found on PATH.
pub(crate) fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}
