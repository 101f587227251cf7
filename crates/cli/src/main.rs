//! `ferrule`: the command-line agent. A thin binary over the library crates:
//! each subcommand lives in its own module and only wires libraries together;
//! without a subcommand, `run` does one headless run (`-p`).

mod config;
mod hooks;
mod mcp;
mod memory;
mod permissions;
mod remote;
mod run;
mod worktree;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

/// The ferrule command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferrule",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    about = "A composable agent core compatible with the Qoder CLI"
)]
struct Cli {
    #[command(flatten)]
    run: run::RunArgs,
    #[command(flatten)]
    remote: remote::RemoteArgs,
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
    /// Manage MCP servers (`add`, `list`, ...) or serve ferrule's tools (`serve`).
    Mcp(mcp::McpArgs),
}

fn main() -> ExitCode {
    // Usage errors exit 1, as the shipped CLI does; help exits 0.
    let argv = run::tolerate_unknown_flags(&Cli::command(), std::env::args_os().collect());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    dispatch(cli).unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None if cli.remote.requested() => remote::main(cli.remote, &cli.run),
        None if std::env::args_os().any(|arg| arg == "--acp") => {
            worktree::around(cli.run, false, acp)
        }
        None if run::is_stream_json_input(&cli.run) => {
            worktree::around(cli.run, false, run::stream_json_input)
        }
        None if interactive(&cli.run) => worktree::around(cli.run, true, tui),
        None => worktree::around(cli.run, false, run::main),
        Some(Command::Config(args)) => config::run(args),
        Some(Command::Hooks(args)) => hooks::run(args),
        Some(Command::Memory(args)) => memory::run(args),
        Some(Command::Permissions(args)) => permissions::run(args),
        Some(Command::Mcp(args)) => mcp::run(args),
    }
}

/// `ferrule --acp` (hidden, documented in qoder-docs/cli/acp.md): an Agent
/// Client Protocol agent on stdin/stdout for editors such as Zed.
fn acp(args: run::RunArgs) -> anyhow::Result<ExitCode> {
    let cwd = args.project_dir(&std::env::current_dir()?);
    let options = args.setup_options(ferrule_setup::Host::Sdk, cwd, std::env::vars().collect())?;
    ferrule_acp::run_stdio(options)?;
    Ok(ExitCode::SUCCESS)
}

/// `ferrule` with no prompt, stdin and stdout on a terminal, or with
/// `-i PROMPT`: the interface.
fn interactive(args: &run::RunArgs) -> bool {
    use std::io::IsTerminal;
    let asks_nothing =
        !args.version && !args.list_sessions && !args.list_models && args.delete_session.is_none();
    if args.prompt_interactive.is_some() && args.print.is_none() {
        return asks_nothing;
    }
    args.print.is_none()
        && args.query.is_empty()
        && asks_nothing
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
}

fn tui(args: run::RunArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    args.check()?;
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        anyhow::bail!(
            "-i/--prompt-interactive needs a terminal on stdin and stdout; use -p PROMPT to run without one"
        );
    }
    let cwd = args.project_dir(&std::env::current_dir()?);
    let (options, agent_prompt) = args.setup_options_and_prompt(
        ferrule_setup::Host::Interactive,
        cwd,
        std::env::vars().collect(),
    )?;
    if !args.attachment.is_empty() {
        anyhow::bail!(
            "--attachment works with -p; in the interactive interface mention files with @path"
        );
    }
    let first = args.prompt_interactive.or(agent_prompt);
    Ok(ferrule_tui::run(options, first)?)
}
