//! Custom commands in print mode: a prompt `/name args` naming one of the
//! workspace's commands runs as that command's prompt, its `` !`cmd` ``
//! parts through the Bash permission check (print mode has no one to ask,
//! so "ask" refuses) and its `@file` parts read from the project. The
//! command's `allowed-tools` apply to its shell parts and, for the rest of
//! the session, to the model's calls. A
//! `/mcp__<server>__<prompt> args` naming a prompt of a running MCP server
//! is sent as that prompt's text, as in the TUI (cli-core.md §8.3). Any
//! other `/x` is sent as written.

use ferrule_mcp::McpManager;
use ferrule_memory::{Slash, Workspace};
use ferrule_setup::CommandShell;

/// What a `/name args` prompt became.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    /// The prompt to send.
    pub(crate) text: String,
    /// The command's `allowed-tools`: session allow rules.
    pub(crate) allowed_tools: Vec<String>,
}

/// The prompt a custom command or an MCP prompt expands to; `Ok(None)`
/// when `prompt` is neither.
///
/// # Errors
/// Bad arguments, a refused or failing shell part, an unreadable file, an
/// MCP server that fails to give the prompt.
pub(crate) async fn expand(
    prompt: &str,
    workspace: &Workspace,
    host: &CommandShell,
    mcp: Option<&McpManager>,
) -> Result<Option<Expansion>, String> {
    let Some(line) = prompt.trim_start().strip_prefix('/') else {
        return Ok(None);
    };
    let (name, args) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(name, args)| (name, args.trim()));
    let Some(Slash::Command(command)) = workspace.slash(name) else {
        let text = mcp_prompt(name, args, mcp).await?;
        return Ok(text.map(|text| Expansion {
            text,
            allowed_tools: Vec::new(),
        }));
    };
    let template = command.render(args).map_err(|e| format!("/{name}: {e}"))?;
    let allowed_tools = command.meta.allowed_tools.0.clone();
    let host = host.clone().allowing(&allowed_tools, &command.path);
    let expanded = ferrule_memory::expand(&template, &host)
        .await
        .map_err(|e| format!("/{name}: {e}"))?;
    Ok(Some(Expansion {
        text: expanded.text,
        allowed_tools,
    }))
}

/// The text of MCP prompt command `name` (`mcp__server__prompt`) with
/// `args`; `Ok(None)` when no running server offers it.
async fn mcp_prompt(
    name: &str,
    args: &str,
    mcp: Option<&McpManager>,
) -> Result<Option<String>, String> {
    if !name.starts_with("mcp__") {
        return Ok(None);
    }
    let Some(manager) = mcp else {
        return Ok(None);
    };
    match manager.run_prompt_command(name, args).await {
        None => Ok(None),
        Some(Ok(prompt)) => Ok(Some(prompt.joined())),
        Some(Err(error)) => Err(format!("/{name}: {error}")),
    }
}
