//! `ferrule -p`: headless runs of the real binary against fake model
//! servers on 127.0.0.1 and the scripted provider.

mod background_hooks;
mod commands;
mod elicit;
mod failures;
mod flags;
mod harness;
mod hook_messages;
mod hooks;
mod interrupt;
mod logs;
mod mcp;
mod output;
mod sessions;
mod startup;
mod tools;
mod worktree;

/// The MCP crate's test helpers: the Python venv with the `mcp` package
/// (created once by `tests/mcp/setup.sh`) and its test servers.
#[path = "../../../../mcp/tests/common/mod.rs"]
mod mcp_common;
