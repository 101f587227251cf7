//! `cargo xtask`: project automation in plain Rust (rust-analyzer's pattern).
//!
//! Subcommands:
//! - `bench [--quick] [--only NAME] [--bench TARGET]`: the benchmarks,
//!   side by side with rg and fd on the standard corpora.
//! - `ci`: everything CI checks — installs missing tools, then fmt, clippy,
//!   tests, cargo-deny, the schema check and the fuzz smoke run.
//! - `fuzz-smoke [SECONDS]`: run every fuzz target briefly.
//! - `schema [--check]`: write the generated JSON schemas, or check that
//!   the checked-in copies are current.
//! - `postgres`: start (installing if needed) a local PostgreSQL and print
//!   the `FERRULE_TEST_POSTGRES_URL` the server's PostgreSQL tests take.

mod bench;
mod ci;
mod cmd;
mod fuzz;
mod schema;
mod services;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        bail!("usage: cargo xtask <bench|ci|fuzz-smoke|schema|postgres> [ARGS]");
    };
    let rest = &args[1..];
    match task.as_str() {
        "bench" => bench::bench(rest),
        "ci" => ci::run_ci(rest),
        "fuzz-smoke" => fuzz::smoke(rest),
        "schema" => schema::schema(rest),
        "postgres" => {
            let url = services::postgres()?;
            #[allow(clippy::print_stdout, reason = "the URL is this task's output")]
            {
                println!("{url}");
            }
            Ok(())
        }
        other => {
            bail!("unknown xtask `{other}`; expected bench, ci, fuzz-smoke, schema or postgres")
        }
    }
}
