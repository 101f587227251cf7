//! Assembles an agent from settings, flags and the workspace, for every
//! host: the headless CLI, the SDK host, the server worker and the TUI all
//! go through [`prepare`], so they read settings, build the permission
//! policy, hooks, memory, tools, model and session the same way.
//!
//! [`SetupOptions`] holds what the host knows (argv or SDK options and the
//! environment); [`prepare`] returns a [`Prepared`] with every part (its
//! fields are public, so a host can adjust one), and
//! [`Prepared::into_builder`] turns it into a `ferrule_agent::AgentBuilder`
//! plus the [`HostInfo`] a host keeps (session id, transcript path, model
//! name, [`InitFacts`] for `system/init`); [`SessionHooks`] fires the
//! SessionStart / SessionEnd hooks a host runs around the session. Settings, memory
//! and hook problems are logged with `tracing` (stderr) and never fail;
//! an unknown permission mode, an unresolvable model, a bad session option
//! or a missing system prompt file do.
//!
//! While the session runs, [`SessionWatch`] (`HostInfo::watch`, started by
//! `into_builder` and connected to the agent when it is built) watches the
//! settings files, skills and agents folders (ConfigChange; applied unless
//! a hook blocks it) and hooks' `watchPaths` (FileChanged), and answers MCP
//! servers' elicitations through the hooks and the host's asker.
//!
//! Decisions:
//! - Every host but the terminal UI trusts the directory it starts in
//!   (cli-core.md A-22): project settings, hooks and memory load.
//! - `--disallowed-tools` rules naming a whole tool (`WebFetch`,
//!   `mcp__github`) also hide that tool from the model; rules with content
//!   (`Bash(rm:*)`) only deny matching calls.
//! - The HTTP providers' timeouts can be tuned with the variables of
//!   [`model::TIMEOUT_VARIABLES`] (milliseconds).
//! - File checkpoints live in `<project dir>/<session id>/checkpoints/`
//!   beside the transcript.
//! - The agent's context manager (token counts, auto-compaction, pinned
//!   files) follows the `context.*` settings and `QODER_AUTOCOMPACT_*` of
//!   the session environment ([`Prepared::context_manager`]).

mod agent;
mod context;
mod embedded;
pub mod error;
pub mod init;
mod instructions;
mod lifecycle;
mod main_agent;
pub mod model;
pub mod options;
pub mod policy;
mod prepare;
mod subagent_mcp;
pub mod tools;
mod watch;
pub mod workspace;

pub use agent::HostInfo;
pub use embedded::{
    CommandShell, EMBEDDED_COMMAND_TIMEOUT, read_embedded_file, run_embedded_shell,
};
pub use error::SetupError;
pub use init::InitFacts;
pub use lifecycle::SessionHooks;
pub use main_agent::{MainAgent, apply_main_agent};
pub use model::{ModelResolver, ModelSetupError, SessionModel};
pub use options::{Host, SetupOptions, SystemPromptChoice, ToolSelection};
pub use policy::{PolicyError, add_layers, policy_builder, resolve_mode};
pub use prepare::{Prepared, PromptParts, load_settings_of, prepare};
pub use tools::{LOOP_TOOLS, ToolChoice, tool_registry};
pub use watch::SessionWatch;
pub use workspace::{StartupContext, load_workspace, startup_context};
