//! `cargo xtask bench`: the benchmarks of `benches/`, side by side with rg
//! and fd on the standard corpora.
//!
//! Fetches the corpora with `shared/bench/get-corpus.sh` (a no-op when
//! they are current), makes sure the anchor binaries exist (the current rg
//! and fd releases built into `/var/cache/ferrule/anchors`, unless `RG`
//! and `FD` name others), then runs `cargo bench -p ferrule-benches`.
//!
//! Flags: `--quick` (fewer runs), `--only SUBSTRING` (only the queries
//! whose name has it), `--bench NAME` (one bench target, e.g. `search`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cmd::{root, run, run_in};

/// Where the corpora go unless `FERRULE_CORPUS` says otherwise.
const CORPUS_DIR: &str = "/var/cache/ferrule/corpus";
/// Where `cargo install` puts the anchors.
const ANCHOR_ROOT: &str = "/var/cache/ferrule/anchors";

/// Runs the benches; see the module docs for the flags.
pub(crate) fn bench(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut only = None;
    let mut target = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => only = Some(it.next().context("--only needs a value")?.clone()),
            "--bench" => target = Some(it.next().context("--bench needs a value")?.clone()),
            other => {
                bail!("unknown bench flag `{other}`; expected --quick, --only NAME or --bench NAME")
            }
        }
    }
    let corpus = std::env::var("FERRULE_CORPUS").unwrap_or_else(|_| CORPUS_DIR.to_string());
    let shared =
        std::env::var_os("FERRULE_SHARED").map_or_else(|| root().join("../shared"), PathBuf::from);
    let get_corpus = shared.join("bench/get-corpus.sh");
    if !get_corpus.exists() {
        bail!(
            "{} not found; set FERRULE_SHARED to the directory holding bench/get-corpus.sh",
            get_corpus.display()
        );
    }
    run(&get_corpus.to_string_lossy(), &[&corpus])?;
    let anchor_bin = PathBuf::from(ANCHOR_ROOT).join("bin");
    let have_anchors = anchor_bin.join("rg").exists() && anchor_bin.join("fd").exists();
    if !have_anchors && (std::env::var_os("RG").is_none() || std::env::var_os("FD").is_none()) {
        eprintln!("xtask: building the anchors (current rg and fd releases), a few minutes once");
        run(
            "cargo",
            &[
                "install",
                "--locked",
                "--root",
                ANCHOR_ROOT,
                "ripgrep",
                "fd-find",
            ],
        )?;
    }
    let mut cargo_args = vec!["bench", "-p", "ferrule-benches"];
    if let Some(target) = &target {
        cargo_args.extend(["--bench", target]);
    }
    let mut env = vec![("FERRULE_CORPUS", corpus.as_str())];
    if quick {
        env.push(("FERRULE_BENCH_QUICK", "1"));
    }
    if let Some(only) = &only {
        env.push(("FERRULE_BENCH_ONLY", only.as_str()));
    }
    run_in(&root(), "cargo", &cargo_args, &env)
}
