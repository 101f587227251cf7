//! `ferrule [-p] PROMPT`: one headless run (print mode, cli-core.md §10.2).
//!
//! The flags become `ferrule_setup::SetupOptions`, `prepare` assembles the
//! agent, the prompt runs to completion, and the output goes to stdout in
//! the chosen format; logs go to stderr. Exit status 0 when the result is
//! not an error, 1 when it is (and for usage errors). Ctrl-C interrupts the
//! run: the running tools are killed, the result is printed as an error,
//! and the exit status is 1; a second Ctrl-C exits at once with 130.

mod args;
mod attach;
mod background;
mod compact;
mod formats;
mod models;
mod output;
mod sdk_argv;
mod sessions;
mod slash;
mod unsupported;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Read as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use ferrule_agent::{Emitted, UserInput};
use ferrule_hooks::SessionEndReason;
use ferrule_protocol::ContentBlock;
use ferrule_setup::Host;
use tracing_subscriber::EnvFilter;

use args::InputFormat;
pub(crate) use args::RunArgs;
use output::{Printer, error_result, result_message};
pub(crate) use sdk_argv::tolerate_unknown_flags;

/// Whether the run reads the Agent SDK protocol on stdin.
pub(crate) fn is_stream_json_input(args: &RunArgs) -> bool {
    args.input_format == "stream-json"
}

/// `--input-format stream-json`: the Agent SDK host's entry point.
pub(crate) fn stream_json_input(args: RunArgs) -> Result<ExitCode> {
    init_logging(&args);
    if args.output_format != "stream-json" {
        bail!("--input-format stream-json needs --output-format stream-json");
    }
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let setup = args.setup_options(Host::Sdk, args.project_dir(&here), env)?;
    let mut options = ferrule_sdk_host::HostOptions::new(setup);
    options.include_partial_messages = args.include_partial_messages;
    options.include_hook_events = args.include_hook_events;
    options.replay_user_messages = args.replay_user_messages;
    options
        .permission_prompt_tool
        .clone_from(&args.permission_prompt_tool);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(ferrule_sdk_host::run_stdio(options));
    // A stdin read may still be pending (SIGTERM); do not wait for it.
    runtime.shutdown_background();
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// Runs `ferrule` without a subcommand.
pub(crate) fn main(args: RunArgs) -> Result<ExitCode> {
    if args.version {
        writeln!(std::io::stdout(), "{}", env!("CARGO_PKG_VERSION"))?;
        return Ok(ExitCode::SUCCESS);
    }
    init_logging(&args);
    let checked = args.check()?;
    if checked.input == InputFormat::StreamJson {
        return stream_json_input(args);
    }
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let cwd = args.project_dir(&here);
    let env: BTreeMap<String, String> = std::env::vars().collect();
    if args.list_models {
        let options = args.setup_options(Host::Print, cwd, env)?;
        return models::list(&options, checked.output);
    }
    let (options, agent_prompt) = args.setup_options_and_prompt(Host::Print, cwd, env)?;
    if args.list_sessions {
        return sessions::list(&options, checked.output);
    }
    if let Some(index) = args.delete_session {
        return sessions::delete(&options, index);
    }
    let prompt = prompt(&args, agent_prompt)?;
    let attachments = attach::blocks(&options.cwd, &args.attachment)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let printer = Printer::new(
        checked.output,
        args.include_partial_messages,
        std::io::stdout(),
    )
    .with_hook_events(args.include_hook_events);
    runtime.block_on(run(options, prompt, attachments, printer, args.name))
}

/// The prompt: `-p VALUE`, the query, else stdin when it is not a
/// terminal, else the `--agent`'s `initialPrompt`.
fn prompt(args: &RunArgs, agent_prompt: Option<String>) -> Result<String> {
    if let Some(prompt) = args.prompt_arg() {
        return Ok(prompt);
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        if let Some(prompt) = agent_prompt {
            return Ok(prompt);
        }
        bail!(
            "no prompt: pass one with -p PROMPT or as arguments, or pipe it on stdin (without a prompt on a terminal, ferrule starts the interactive interface)"
        );
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .context("reading the prompt from stdin")?;
    if text.trim().is_empty() {
        return agent_prompt.context("no prompt: stdin was empty");
    }
    Ok(text)
}

async fn run(
    options: ferrule_setup::SetupOptions,
    prompt: String,
    attachments: Vec<ContentBlock>,
    mut printer: Printer<std::io::Stdout>,
    name: Option<String>,
) -> Result<ExitCode> {
    let mut prepared = ferrule_setup::prepare(options)?;
    prepared.start_mcp().await?;
    let hooks = std::sync::Arc::clone(&prepared.hooks);
    let command_host = ferrule_setup::CommandShell::new(
        prepared.cwd.clone(),
        prepared.policy.clone().mode(prepared.mode).build(),
    );
    let (builder, info) = prepared.into_builder();
    let session_hooks = ferrule_setup::SessionHooks::new(hooks, &info);
    let mut agent = builder.build()?;
    printer.init(
        info.init_facts(agent.tool_names())
            .to_system_init(uuid::Uuid::new_v4().to_string()),
    )?;

    let controls = agent.controls();
    let interrupts = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("interrupted: stopping the run");
            controls.interrupt();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });

    let (sink, mut events) = tokio::sync::mpsc::unbounded_channel::<Emitted>();
    let writer = tokio::spawn(async move {
        while let Some(emitted) = events.recv().await {
            printer.event(&emitted)?;
        }
        anyhow::Ok(printer)
    });
    let message =
        match slash::expand(&prompt, &info.workspace, &command_host, info.mcp.as_ref()).await {
            Err(error) => error_result(agent.session_id(), error),
            Ok(expanded) => {
                let prompt = match expanded {
                    Some(expansion) => {
                        agent.controls().allow_for_session(&expansion.allowed_tools);
                        expansion.text
                    }
                    None => prompt,
                };
                if let Some(instructions) = compact::instructions(&prompt) {
                    compact::run(&mut agent, instructions, &sink).await
                } else {
                    // SessionStart's additions reach the model ahead of the prompt.
                    let context = session_hooks.start().await;
                    let input = if context.is_empty() && attachments.is_empty() {
                        UserInput::text(prompt)
                    } else {
                        let mut blocks: Vec<ContentBlock> =
                            context.into_iter().map(ContentBlock::text).collect();
                        blocks.extend(attachments);
                        blocks.push(ContentBlock::text(prompt));
                        UserInput::blocks(blocks)
                    };
                    let result = agent.run(input, &sink).await;
                    let result = background::settle(&mut agent, &sink, result).await;
                    result_message(&result, agent.session_id())
                }
            }
        };
    session_hooks.end(SessionEndReason::Other).await;
    drop(sink);
    let mut printer = writer.await.context("the output task failed")??;
    interrupts.abort();

    if let Some(name) = name
        && info.transcript_path.is_some()
    {
        let store = ferrule_session::SessionStore::new(&info.user_dir);
        if let Err(err) = store.rename(&info.cwd, &info.session_id, &name) {
            tracing::warn!("cannot name the session: {err}");
        }
    }
    if let Some(record) = &info.record {
        tracing::info!("recorded the model's responses to {}", record.display());
    }
    drop(agent);
    drop(info);
    printer.finish(&message)?;
    Ok(if message.is_error {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Logs go to stderr: warnings by default, `--verbose` adds info, `-d`
/// debug; a `FERRULE_LOG` / `RUST_LOG` filter overrides them.
fn init_logging(args: &RunArgs) {
    let default = match (args.debug, args.verbose) {
        (true, _) => "debug",
        (false, true) => "info",
        (false, false) => "warn",
    };
    let filter = std::env::var("FERRULE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|text| EnvFilter::try_new(text).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}
