//! `cargo xtask ci`: the whole CI gate, runnable on a fresh machine.

use anyhow::Result;

use crate::cmd::{have, run};

/// Installs what a fresh machine lacks, then runs every check in order.
pub(crate) fn run_ci(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    install_tools()?;
    run("cargo", &["fmt", "--all", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    crate::schema::schema(&["--check".to_owned()])?;
    if !quick {
        // The advisory database lives on a git host this machine cannot reach,
        // so CI checks licenses, bans and sources; run `cargo deny check` with
        // network access for advisories.
        run(
            "cargo",
            &[
                "deny",
                "--log-level",
                "error",
                "check",
                "licenses",
                "bans",
                "sources",
            ],
        )?;
        crate::fuzz::smoke(&[])?;
    }
    // Tests last, so the test runner's summary closes the CI log.
    run("cargo", &["test", "--workspace"])?;
    Ok(())
}

/// System and cargo tools the checks need: rg and fd for the equivalence
/// tests (Debian packages), cargo-deny from crates.io.
fn install_tools() -> Result<()> {
    let mut apt = Vec::new();
    if !have("rg") {
        apt.push("ripgrep");
    }
    if !have("fdfind") && !have("fd") {
        apt.push("fd-find");
    }
    if !apt.is_empty() {
        run("apt-get", &["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(apt);
        run("apt-get", &args)?;
    }
    if !have("cargo-deny") {
        run("cargo", &["install", "--locked", "cargo-deny"])?;
    }
    Ok(())
}
