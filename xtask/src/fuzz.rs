//! `cargo xtask fuzz-smoke`: every target in `fuzz/` runs briefly.

use anyhow::{Context, Result};

use crate::cmd::{have, root, run, run_in};

/// Runs each fuzz target for a few seconds (default 10) on its committed corpus.
pub(crate) fn smoke(args: &[String]) -> Result<()> {
    let seconds: u64 = match args.first() {
        Some(s) => s
            .parse()
            .with_context(|| format!("seconds must be a number, got `{s}`"))?,
        None => 10,
    };
    let fuzz_dir = root().join("fuzz");
    let targets = targets(&fuzz_dir)?;
    if targets.is_empty() {
        eprintln!("xtask: no fuzz targets yet");
        return Ok(());
    }
    if !have("cargo-fuzz") {
        run("cargo", &["install", "--locked", "cargo-fuzz"])?;
    }
    // A build directory of its own (beside the main one when CI sets
    // CARGO_TARGET_DIR), so fuzz flags never invalidate the main build.
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::PathBuf::from(dir).with_file_name("fuzz-target"),
        None => fuzz_dir.join("target"),
    };
    let target_dir = target_dir.to_string_lossy().into_owned();
    let env = [
        ("RUSTC_BOOTSTRAP", "1"),
        ("CARGO_TARGET_DIR", target_dir.as_str()),
    ];
    // cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable
    // toolchain accept them, so no second toolchain is required.
    run_in(
        &fuzz_dir,
        "cargo",
        &["fuzz", "build", "--sanitizer", "none"],
        &env,
    )?;
    let max_time = format!("-max_total_time={seconds}");
    // A fixed seed makes the smoke run replay the same mutations each time,
    // so CI is repeatable; long exploratory runs use `cargo fuzz run` directly.
    let seed = "-seed=1";
    for target in &targets {
        let corpus = format!("corpus/{target}");
        std::fs::create_dir_all(fuzz_dir.join(&corpus))?;
        run_in(
            &fuzz_dir,
            "cargo",
            &[
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                target,
                &corpus,
                "--",
                &max_time,
                seed,
            ],
            &env,
        )?;
    }
    Ok(())
}

/// The `[[bin]]` targets in `fuzz/fuzz_targets/`, by file stem.
fn targets(fuzz_dir: &std::path::Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}
