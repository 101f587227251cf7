//! `cargo xtask ci`: the whole CI gate, runnable on a fresh machine.

use anyhow::Result;

use crate::cmd::{have, root, run, run_in};

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
    // The server's PostgreSQL suite is `#[ignore]`d where no database is
    // set up; CI starts a local cluster and includes it. (One `cargo test
    // --workspace` run: a separate `-p` run would unify features differently
    // and build everything twice.) Tests last, so the test runner's summary
    // closes the CI log. FERRULE_CI makes a test whose tool (python with
    // pip, node, rg, git ...) is missing fail instead of skipping.
    let postgres = crate::services::postgres()?;
    run_in(
        &root(),
        "cargo",
        &["test", "--workspace", "--", "--include-ignored"],
        &[
            ("FERRULE_TEST_POSTGRES_URL", postgres.as_str()),
            ("FERRULE_CI", "1"),
        ],
    )?;
    Ok(())
}

/// System and cargo tools the checks need: rg and fd for the equivalence
/// tests and tmux for the terminal-interface tests (Debian packages),
/// cargo-deny from crates.io.
fn install_tools() -> Result<()> {
    let mut apt = Vec::new();
    if !have("rg") {
        apt.push("ripgrep");
    }
    if !have("fdfind") && !have("fd") {
        apt.push("fd-find");
    }
    if !have("tmux") {
        apt.push("tmux");
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
