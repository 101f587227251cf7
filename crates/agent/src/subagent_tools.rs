//! Tools a subagent brings for one run: the MCP servers of its definition's
//! `mcpServers` (cli-core.md §7.3). They start when the subagent starts,
//! are offered to that subagent only, and stop when its run ends.

use std::sync::Arc;

use ferrule_memory::Subagent;
use ferrule_tool::Tool;

/// Starts the tools of a subagent definition for one run (a host wires its
/// MCP client in here with [`AgentControls::set_subagent_tools`]).
///
/// [`AgentControls::set_subagent_tools`]: crate::AgentControls::set_subagent_tools
#[async_trait::async_trait]
pub trait SubagentTools: Send + Sync {
    /// The extra tools of `definition` for one run. Servers that fail to
    /// start only leave their tools out; the run goes on.
    async fn start(&self, definition: &Subagent) -> RunTools;
}

/// The tools of one subagent run; dropping it stops what started them.
#[derive(Default)]
pub struct RunTools {
    tools: Vec<Arc<dyn Tool>>,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl RunTools {
    /// `tools`, with `stop` called once when the run ends.
    pub fn new(tools: Vec<Arc<dyn Tool>>, stop: impl FnOnce() + Send + 'static) -> Self {
        Self {
            tools,
            stop: Some(Box::new(stop)),
        }
    }

    /// The tools offered to the subagent.
    pub fn tools(&self) -> &[Arc<dyn Tool>] {
        &self.tools
    }
}

impl std::fmt::Debug for RunTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunTools")
            .field(
                "tools",
                &self.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Drop for RunTools {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}
