//! What may change while a session runs: the hooks and permission rules of
//! re-read settings files, the subagent definitions, context that a file
//! watcher's hooks add for the next model request, and who hears about the
//! `watchPaths` that CwdChanged hooks return (cli-core.md §4 end, §5.6),
//! and what starts a subagent definition's own MCP servers.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use ferrule_hooks::Dispatcher;
use ferrule_memory::Subagent;
use ferrule_permissions::PolicyBuilder;

use crate::ask::Asker;
use crate::core::{AgentControls, lock};
use crate::subagent_tools::SubagentTools;

/// Receives the absolute paths hooks asked to watch (CwdChanged
/// `watchPaths`).
pub type WatchPathsFn = Arc<dyn Fn(Vec<String>) + Send + Sync>;

/// The session state that can be swapped between tool calls.
#[derive(Default)]
pub(crate) struct Live {
    hooks: RwLock<Option<Arc<Dispatcher>>>,
    subagents: RwLock<Vec<Subagent>>,
    context: Mutex<Vec<String>>,
    watch_paths: RwLock<Option<WatchPathsFn>>,
    subagent_tools: RwLock<Option<Arc<dyn SubagentTools>>>,
}

impl Live {
    /// Live state starting with `hooks` and `subagents`.
    pub(crate) fn new(hooks: Option<Arc<Dispatcher>>, subagents: Vec<Subagent>) -> Self {
        Self {
            hooks: RwLock::new(hooks),
            subagents: RwLock::new(subagents),
            ..Self::default()
        }
    }

    /// The hooks in force now.
    pub(crate) fn hooks(&self) -> Option<Arc<Dispatcher>> {
        self.hooks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The subagent definitions in force now.
    pub(crate) fn subagents(&self) -> Vec<Subagent> {
        self.subagents
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What starts a subagent definition's own tools, when a host set it.
    pub(crate) fn subagent_tools(&self) -> Option<Arc<dyn SubagentTools>> {
        self.subagent_tools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes the context queued for the next model request.
    pub(crate) fn take_context(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.context))
    }

    /// Hands `paths` to whoever watches files for the session.
    pub(crate) fn report_watch_paths(&self, paths: Vec<String>) {
        if paths.is_empty() {
            return;
        }
        let sink = self
            .watch_paths
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(sink) = sink {
            sink(paths);
        }
    }
}

impl AgentControls {
    /// Replaces the session's hooks from the next event on (settings files
    /// changed and a ConfigChange hook did not block the change).
    pub fn set_hooks(&self, hooks: Option<Arc<Dispatcher>>) {
        *self
            .core
            .live
            .hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner) = hooks;
    }

    /// The hooks in force now.
    pub fn hooks(&self) -> Option<Arc<Dispatcher>> {
        self.core.live.hooks()
    }

    /// Replaces the settings' permission rules from the next tool call on.
    /// The current mode, rules added during the session and added
    /// directories stay.
    pub fn set_policy_builder(&self, builder: PolicyBuilder) {
        lock(&self.core.permissions).replace_base(builder);
    }

    /// Replaces the subagent definitions the `Agent` tool can start.
    pub fn set_subagents(&self, subagents: Vec<Subagent>) {
        *self
            .core
            .live
            .subagents
            .write()
            .unwrap_or_else(PoisonError::into_inner) = subagents;
    }

    /// What starts the tools a subagent definition brings (its
    /// `mcpServers`) each time the `Agent` tool runs it.
    pub fn set_subagent_tools(&self, tools: Arc<dyn SubagentTools>) {
        *self
            .core
            .live
            .subagent_tools
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(tools);
    }

    /// Queues `text` for the model: it goes with the next model request of
    /// the main agent (the running one, or the next run's first).
    pub fn add_context(&self, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            lock(&self.core.live.context).push(text);
        }
    }

    /// Who receives the `watchPaths` CwdChanged hooks return.
    pub fn on_watch_paths(&self, sink: WatchPathsFn) {
        *self
            .core
            .live
            .watch_paths
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(sink);
    }

    /// The host's asker (what answers permission prompts, questions and
    /// MCP elicitations).
    pub fn asker(&self) -> Arc<dyn Asker> {
        Arc::clone(&self.core.asker)
    }
}
