//! The Agent Client Protocol host: editors (Zed and others) drive ferrule
//! over ACP with `ferrule --acp`, as the Qoder CLI's `--acp` does
//! (`qoder-docs/cli/acp.md`). Built on the `agent-client-protocol` crate,
//! protocol v1, JSON-RPC over stdin/stdout.
//!
//! [`run`] serves one client until it hangs up. Each `session/new` (or
//! `session/load`) assembles an agent with ferrule-setup in the client's
//! directory and starts the MCP servers of the settings and those the
//! client names (stdio and HTTP; a client server replaces a configured one
//! of the same name); prompts run one
//! at a time per session and stream `session/update` notifications:
//! agent message and thought chunks, `tool_call` / `tool_call_update` with
//! kind, status, locations, diffs for edits and the result, `plan` from
//! `TodoWrite`, and `current_mode_update` when plan-mode tools switch the
//! mode. Calls the permission engine cannot decide become
//! `session/request_permission` requests ([`ALLOW_ONCE`], [`ALLOW_ALWAYS`]
//! — a session rule from the engine's suggestions — and [`REJECT_ONCE`]);
//! `session/cancel` interrupts the turn (model stream, running tools,
//! pending permission requests) and the prompt ends `cancelled`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrule_acp::AcpError> {
//! use ferrule_setup::{Host, SetupOptions};
//!
//! let env = std::env::vars().collect();
//! let setup = SetupOptions::new(Host::Sdk, std::env::current_dir().unwrap(), env);
//! ferrule_acp::run(setup, tokio::io::stdin(), tokio::io::stdout()).await?;
//! # Ok(()) }
//! ```
//!
//! Decisions:
//! - Modes: `default`, `acceptEdits`, `plan`, `bypassPermissions` (the
//!   documented default and bypass modes plus the two other interactive
//!   permission modes); `dontAsk` and `auto` are listed only when the
//!   session starts in them. `session/set_mode` applies from the next call.
//! - Slash commands: `/init`, `/memory`, `/about`, `/help`, then the
//!   workspace's custom commands and user-invocable skills, announced with
//!   `available_commands_update` after `session/new`. A `/word` that is no
//!   command goes to the model unchanged.
//! - Stop reasons: `end_turn`, `max_tokens`, `refusal` from the model's
//!   stop reason; `max_turn_requests` for the turn limit (and a cost
//!   budget); `cancelled` for interrupts. A failed turn (model unreachable)
//!   answers the prompt with an internal error naming the cause.
//! - `AskUserQuestion` is answered "no question UI" (ACP v1 has none).
//! - Sessions run as the SDK host does (`Host::Sdk`): the client's
//!   directory is trusted. Authentication: none (the model's credentials
//!   come from the environment and settings).
//! - Files and commands run locally, not through the client's `fs/*` and
//!   `terminal/*` methods.

mod asker;
mod commands;
mod host;
mod mcp;
mod modes;
mod replay;
mod session;
mod tool_view;
mod updates;

use agent_client_protocol::ByteStreams;
use ferrule_setup::SetupOptions;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

pub use asker::{ALLOW_ALWAYS, ALLOW_ONCE, REJECT_ONCE};
pub use commands::BUILT_INS;

/// Why serving ACP stopped early.
#[derive(Debug, thiserror::Error)]
pub enum AcpError {
    /// The connection failed (broken transport, unreadable stream).
    #[error("ACP connection failed: {0}")]
    Connection(#[from] agent_client_protocol::Error),
    /// The async runtime could not be started ([`run_stdio`]).
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Serves one ACP client reading JSON-RPC from `input` and writing to
/// `output`, until `input` ends. Every session is interrupted and its
/// tools stopped before this returns. `setup` is the template of every
/// session (flags and environment); each session's directory is the one
/// the client names.
///
/// # Errors
/// When the transport fails.
pub async fn run<R, W>(setup: SetupOptions, input: R, output: W) -> Result<(), AcpError>
where
    R: AsyncRead + Send + 'static,
    W: AsyncWrite + Send + 'static,
{
    let transport = ByteStreams::new(output.compat_write(), input.compat());
    host::serve(setup, transport).await?;
    Ok(())
}

/// [`run`] on the process's stdin and stdout, on a runtime of its own
/// (for `ferrule --acp`).
///
/// # Errors
/// When the runtime cannot start or the transport fails.
pub fn run_stdio(setup: SetupOptions) -> Result<(), AcpError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(setup, tokio::io::stdin(), tokio::io::stdout()));
    // A pending stdin read must not keep the process alive.
    runtime.shutdown_background();
    result
}
