//! `ferrule`: the command-line agent. A thin binary over the library crates.

use clap::Parser;

/// The ferrule command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferrule",
    version,
    about = "A composable agent core compatible with the Qoder CLI"
)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
