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
//! plan mode, MCP status, rewind, plugin reload, …), and asks the SDK itself through
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
//! - Capabilities advertised: `plan_mode_v1`, `interrupt_cancel_queued_v1`,
//!   `session_rewind_v1`, `side_question_v1`, `background_tasks_v1`,
//!   `goal_v1`, `goal_max_turns_v1`, `goal_resume_v1`, `reload_skills_v1`.
//! - In-process SDK MCP servers are ferrule-mcp servers of transport
//!   `sdk` in a manager of their own, whose [`sdk_connector`] carries their
//!   JSON-RPC as `mcp_message` requests; every other MCP server (stdio,
//!   http, sse) is started by ferrule-setup's `Prepared::start_mcp`.
//!   `mcp_status`, `mcp_reconnect` and `mcp_toggle` serve both.
//! - `rewind_files`, `rewind` and `get_context_usage` run on the agent
//!   between turns: asked during a turn, they are answered when it ends.
//!   `rewind` of the conversation builds the agent again from the
//!   `initialize` setup with the transcript resumed at the entry before the
//!   target user message (`rebuild.rs`); MCP servers, the mode, the model
//!   and the SDK's session rules carry over, background shells are stopped.
//!   `mcp_set_servers` rebuilds the same way with the whole conversation,
//!   and so do `reload_plugins` and `reload_skills`: plugins
//!   (`--plugin-dir`), skills, commands, subagents, their hooks and memory
//!   files are read from disk again as at start; the MCP servers keep
//!   running. Keeping the whole conversation needs no transcript file (the
//!   history is taken from the agent) and keeps the record of files read.
//! - `add_directories` adds working directories for the tools and the
//!   permission engine as a session rule (kept across rebuilds); paths
//!   that are not directories are answered in `failed` with the reason.
//! - `set_max_thinking_tokens` sets the thinking budget of the next model
//!   requests (`0`: off; `null`: the `--thinking-budget` of the start).
//! - `seed_read_state` records a file as read (Edit and Write accept it)
//!   when its modification time on disk is the one given, in milliseconds
//!   since the epoch; otherwise it answers with an error.
//! - `side_question` and `generate_session_title` are one model call each,
//!   without tools, outside the history.
//! - A goal (`set_goal`) keeps the agent working: while it is active and
//!   nothing is queued, each turn is followed by a continuation prompt,
//!   until the model ends a reply with `GOAL COMPLETE` (or `GOAL BLOCKED:
//!   why`), the goal's turn limit or credit budget is reached, or a turn
//!   fails or is interrupted; `system/goal_updated` reports each change.
//! - `get_usage_info` counts one credit per US dollar of model cost.
//! - `--permission-prompt-tool stdio` answers asks with `can_use_tool`;
//!   `mcp__srv__tool` with that MCP tool ([`McpPromptAsker`]); without the
//!   flag asks are denied, as in print mode.
//! - Answered with an error that says why: `mcp_authenticate` /
//!   `mcp_oauth_callback_url` (no OAuth flow; `mcp_inject_token` sets an
//!   `Authorization` header on an HTTP/SSE server and reconnects it,
//!   `mcp_clear_auth` removes it), `set_proxy`, BYOK kinds,
//!   `flush_memory` / `refresh_memory` (SDK memory is not accepted); kinds
//!   not handled in `control/` get "Unsupported control request subtype".

mod asker;
mod callbacks;
mod control;
mod events;
mod goal;
mod host;
mod options;
mod outbox;
mod peer;
mod queue;
mod rebuild;
mod rewinding;
mod sdk_bridge;
mod session;
mod session_rules;
mod turns;

pub use asker::{McpPromptAsker, SdkAsker, answer_from, can_use_tool_request};
pub use callbacks::SdkCallbacks;
pub use events::{EventIds, EventLines, assistant_error};
pub use host::{run, run_stdio};
pub use options::HostOptions;
pub use outbox::{Outbox, OutboxWriter};
pub use peer::{Peer, PeerError};
pub use queue::{QueuedTurn, TurnQueue};
pub use sdk_bridge::{sdk_connector, sdk_server_spec};
