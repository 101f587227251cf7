//! `reload_plugins` and `reload_skills` (`sdk-protocol.md` §6.5): the
//! plugin folders (`--plugin-dir`), skills, commands, subagents, their
//! hooks and the memory files are read from disk again the way the session
//! read them at start, and the agent is built again with them for the same
//! conversation (`rebuild.rs`). The MCP servers keep running as they are.

use std::path::{Path, PathBuf};

use ferrule_memory::{Kind, Workspace};
use ferrule_protocol::sdk::{AgentInfo, ReloadPluginsResponse, SlashCommandInfo};
use serde_json::{Value, json};

use super::{run_command, with_ready};
use crate::host::Shared;
use crate::rewinding::Replaced;
use crate::turns::Command;

/// `reload_plugins`: `{commands, agents, plugins, mcpServers, error_count}`
/// of the session after the reload.
pub(super) async fn reload_plugins(shared: &Shared) -> Result<Value, String> {
    let replaced = reload(shared, "reload_plugins").await?;
    let mcp_servers = with_ready(shared, |ready| {
        crate::session::mcp_statuses(ready.manager.as_ref(), ready.sdk_manager.as_ref())
    })?;
    let plugin_dirs: Vec<PathBuf> = shared
        .options
        .setup
        .plugin_dirs
        .iter()
        .map(|dir| replaced.facts.cwd.join(dir))
        .collect();
    let response = ReloadPluginsResponse {
        commands: commands(&replaced.workspace),
        agents: agents(&replaced.workspace),
        plugins: replaced.facts.plugins.clone(),
        mcp_servers,
        error_count: plugin_errors(&replaced.workspace, &plugin_dirs),
    };
    serde_json::to_value(response).map_err(|error| error.to_string())
}

/// `reload_skills`: `{skills: [{name, description, argumentHint}]}`, the
/// session's skills after the reload (from the same folders and plugins
/// as at start).
pub(super) async fn reload_skills(shared: &Shared) -> Result<Value, String> {
    let replaced = reload(shared, "reload_skills").await?;
    let skills: Vec<SlashCommandInfo> = replaced
        .workspace
        .skills
        .iter()
        .map(|skill| SlashCommandInfo {
            name: skill.name.clone(),
            description: skill.description.clone(),
            argument_hint: skill.meta.argument_hint.clone().unwrap_or_default(),
        })
        .collect();
    Ok(json!({"skills": skills}))
}

/// Has the turn runner build the agent again (between turns).
async fn reload(shared: &Shared, kind: &str) -> Result<Replaced, String> {
    with_ready(shared, |_| ())?;
    run_command(shared, |reply| Command::Reload { reply })
        .await
        .and_then(|done| done)
        .map_err(|error| format!("{kind}: {error}"))
}

/// Custom commands, then skills the user may invoke, as slash commands.
fn commands(workspace: &Workspace) -> Vec<SlashCommandInfo> {
    let mut out: Vec<SlashCommandInfo> = workspace
        .commands
        .iter()
        .map(|command| SlashCommandInfo {
            name: command.name.trim_start_matches('/').to_owned(),
            description: command.meta.description.clone().unwrap_or_default(),
            argument_hint: command.meta.argument_hint.clone().unwrap_or_default(),
        })
        .collect();
    for skill in &workspace.skills {
        if skill.meta.user_invocable == Some(false) || out.iter().any(|c| c.name == skill.name) {
            continue;
        }
        out.push(SlashCommandInfo {
            name: skill.name.clone(),
            description: skill.description.clone(),
            argument_hint: skill.meta.argument_hint.clone().unwrap_or_default(),
        });
    }
    out
}

fn agents(workspace: &Workspace) -> Vec<AgentInfo> {
    workspace
        .subagents
        .iter()
        .map(|agent| AgentInfo {
            name: agent.name.clone(),
            description: agent.description.clone(),
            model: None,
        })
        .collect()
}

/// Problems loading the plugins: plugin folders or manifests that could
/// not be read, and files inside a plugin that were skipped.
fn plugin_errors(workspace: &Workspace, plugin_dirs: &[PathBuf]) -> u64 {
    let roots: Vec<&Path> = workspace
        .plugins
        .iter()
        .map(|plugin| plugin.root.as_path())
        .chain(plugin_dirs.iter().map(PathBuf::as_path))
        .collect();
    let count = workspace
        .skipped
        .iter()
        .filter(|skipped| {
            skipped.kind == Kind::Plugin || roots.iter().any(|root| skipped.path.starts_with(root))
        })
        .count();
    u64::try_from(count).unwrap_or(u64::MAX)
}
