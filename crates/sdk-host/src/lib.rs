//! The Qoder Agent SDK control protocol over stdin/stdout
//! (`reference/sdk-protocol.md`): what `ferrule` does when a Qoder Agent
//! SDK (Python or TypeScript) starts it as its CLI with
//! `--input-format stream-json --output-format stream-json`.
//!
//! [`run`] is the whole host: it reads NDJSON lines from stdin, answers
//! `initialize` (assembling the agent with ferrule-setup plus what the
//! request adds: SDK hook callbacks, subagents, in-process MCP servers),
//! queues user messages and runs them as turns one at a time, serves every
//! control request while a turn runs (interrupt, permission mode, model,
//! plan mode, MCP status, rewind, …), and asks the SDK itself through
//! control requests (`can_use_tool`, `hook_callback`, `mcp_message`).
//! stdout carries protocol lines only; logs go through `tracing`.
//!
//! ```no_run
//! # async fn demo() {
//! use ferrule_sdk_host::{HostOptions, run};
//! use ferrule_setup::{Host, SetupOptions};
//!
//! let env = std::env::vars().collect();
//! let setup = SetupOptions::new(Host::Sdk, std::env::current_dir().unwrap(), env);
//! let mut options = HostOptions::new(setup);
//! options.permission_prompt_tool = Some("stdio".to_owned());
//! let code = run(options, tokio::io::stdin(), tokio::io::stdout()).await;
//! std::process::exit(code);
//! # }
//! ```
//!
//! Decisions:
//! - Exit code `1` when the last line written was an error `result` with no
//!   `assistant`/`user` line after it, else `0` (§8.4).
//! - On stdin EOF the queued turns still run; requests to the SDK that can
//!   no longer be answered fail (an unanswerable `can_use_tool` denies and
//!   ends the turn).
//! - `shouldQuery: false` messages start no turn; their content goes to
//!   the model ahead of the next prompt (the agent has no "append without
//!   a turn").
//! - Capabilities advertised: `plan_mode_v1`, `interrupt_cancel_queued_v1`.
//! - In-process SDK MCP servers are bridged here ([`SdkMcpServer`]); every
//!   other MCP server (stdio, http, sse) is started by ferrule-setup's
//!   `Prepared::start_mcp`, and `mcp_status` lists both.
//! - `rewind_files` and `get_context_usage` run on the agent between turns:
//!   asked during a turn, they are answered when it ends.
//! - `--permission-prompt-tool stdio` answers asks with `can_use_tool`;
//!   `mcp__srv__tool` with that MCP tool ([`McpPromptAsker`]); without the
//!   flag asks are denied, as in print mode.
//! - Kinds not listed in `control.rs` (goals, side questions, background
//!   tasks, BYOK, OAuth, plugins reload, `mcp_set_servers`, …) get the
//!   "Unsupported control request subtype" error answer.

mod asker;
mod callbacks;
mod control;
mod events;
mod host;
mod options;
mod outbox;
mod peer;
mod queue;
mod sdk_mcp;
mod session;
mod turns;

pub use asker::{McpPromptAsker, SdkAsker, answer_from, can_use_tool_request};
pub use callbacks::SdkCallbacks;
pub use events::{EventIds, EventLines, assistant_error};
pub use host::{run, run_stdio};
pub use options::HostOptions;
pub use outbox::{Outbox, OutboxWriter};
pub use peer::{Peer, PeerError};
pub use queue::{QueuedTurn, TurnQueue};
pub use sdk_mcp::{SdkMcpError, SdkMcpServer, failed_status};
