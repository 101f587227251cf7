//! `ferrule`: the command-line agent. A thin binary over the library crates:
//! each subcommand lives in its own module and only wires libraries together.

mod config;
mod hooks;
mod memory;
mod permissions;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The ferrule command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferrule",
    version,
    about = "A composable agent core compatible with the Qoder CLI"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

/// Subcommands. Each variant's handler lives in a module of the same name.
#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect and convert settings (`show`, `import`).
    Config(config::ConfigArgs),
    /// Fire the project's hooks on a made-up event (`test`).
    Hooks(hooks::HooksArgs),
    /// Show loaded memory, rules, skills, commands and subagents (`show`).
    Memory(memory::MemoryArgs),
    /// Explain permission decisions (`check`).
    Permissions(permissions::PermissionsArgs),
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        None => Ok(ExitCode::SUCCESS),
        Some(Command::Config(args)) => config::run(args),
        Some(Command::Hooks(args)) => hooks::run(args),
        Some(Command::Memory(args)) => memory::run(args),
        Some(Command::Permissions(args)) => permissions::run(args),
    }
}
