//! The MCP servers of a subagent definition's `mcpServers`, started by the
//! session's MCP client for each run of that subagent (cli-core.md §7.3).

use std::collections::BTreeMap;
use std::path::Path;

use ferrule_agent::{RunTools, SubagentTools};
use ferrule_mcp::{ManagerOptions, McpManager, ServerSpec, SubagentServer, subagent_servers};
use ferrule_memory::Subagent;

use crate::tools::ToolChoice;

/// Starts a definition's servers with the session's configuration: names
/// refer to the session's configured servers, inline configs are used as
/// written. A named server the session already runs is not started again
/// (its tools are the session's, which the subagent sees anyway).
pub(crate) struct SubagentMcp {
    /// Every server configured for the session.
    pub(crate) configured: Vec<ServerSpec>,
    /// The session's running servers, once started.
    pub(crate) session: Option<McpManager>,
    /// The environment for `${VAR}` and `MCP_*` options.
    pub(crate) env: BTreeMap<String, String>,
    /// `--disallowed-tools` and `tools.exclude`, which hide MCP tools too.
    pub(crate) tool_choice: ToolChoice,
}

impl SubagentMcp {
    /// The servers to start for `definition`.
    fn specs(&self, definition: &Subagent) -> Vec<ServerSpec> {
        let Some(value) = &definition.meta.mcp_servers else {
            return Vec::new();
        };
        let base = definition.path.parent().unwrap_or(Path::new("/"));
        let lookup = |name: &str| self.env.get(name).cloned();
        let (entries, errors) =
            subagent_servers(value, &definition.path.display().to_string(), base, &lookup);
        for error in errors {
            tracing::warn!(subagent = %definition.name, "mcp: {error}");
        }
        let running = self
            .session
            .as_ref()
            .map(McpManager::server_names)
            .unwrap_or_default();
        let mut specs = Vec::new();
        for entry in entries {
            match entry {
                SubagentServer::Inline(spec) => specs.push(*spec),
                SubagentServer::Named(name) => {
                    let configured = self.configured.iter().find(|s| s.name == name);
                    match configured {
                        Some(spec) if spec.disabled.is_some() => tracing::warn!(
                            subagent = %definition.name,
                            "mcp: server `{name}` is not started: {}",
                            spec.disabled.as_deref().unwrap_or_default()
                        ),
                        Some(_) if running.contains(&name) => {}
                        Some(spec) => specs.push(spec.clone()),
                        None => tracing::warn!(
                            subagent = %definition.name,
                            "mcp: no server named `{name}` is configured for this session"
                        ),
                    }
                }
            }
        }
        specs
    }
}

#[async_trait::async_trait]
impl SubagentTools for SubagentMcp {
    async fn start(&self, definition: &Subagent) -> RunTools {
        let specs = self.specs(definition);
        if specs.is_empty() {
            return RunTools::default();
        }
        let options = ManagerOptions::from_lookup(&|name| self.env.get(name).cloned());
        let manager = McpManager::start(specs, options).await;
        for status in manager.status() {
            if let Some(error) = &status.error {
                tracing::warn!(
                    subagent = %definition.name,
                    "mcp: server `{}` failed: {error}",
                    status.name
                );
            }
        }
        let tools = manager
            .tools()
            .into_iter()
            .filter(|tool| !self.tool_choice.hides(tool.name()))
            .collect();
        RunTools::new(tools, move || manager.shutdown())
    }
}
