//! What an agent and its subagents share: the model, the tools, the
//! permission state, hooks, the asker and the current run's cancellation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use ferrule_checkpoint::CheckpointStore;
use ferrule_model::{Model, PriceTable, Thinking};
use ferrule_permissions::Mode;
use ferrule_tool::{FileState, ToolRegistry};
use tokio_util::sync::CancellationToken;

use crate::ask::Asker;
use crate::policy::PermissionState;

/// State shared by an agent, its controls and its subagents.
pub(crate) struct Core {
    pub(crate) model: RwLock<Arc<dyn Model>>,
    /// Every tool of the session, the loop's own tools included.
    pub(crate) tools: ToolRegistry,
    pub(crate) permissions: Mutex<PermissionState>,
    /// Hooks, subagents and queued context, swappable during the session.
    pub(crate) live: crate::live::Live,
    pub(crate) asker: Arc<dyn Asker>,
    /// Decides in `auto` mode what would have asked; none denies it.
    pub(crate) classifier: Option<Arc<dyn crate::classifier::Classifier>>,
    pub(crate) prices: PriceTable,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) cwd: PathBuf,
    /// The Bash shell's directory as last seen (starts at `cwd`).
    pub(crate) shell_cwd: Mutex<PathBuf>,
    /// The worktree EnterWorktree moved the session into.
    pub(crate) worktree: crate::tools::worktree::SessionWorktree,
    /// The session's memory, for subfolder AGENTS.md files and glob rules.
    pub(crate) memory: Option<Mutex<ferrule_memory::SessionMemory>>,
    pub(crate) additional_dirs: Vec<PathBuf>,
    pub(crate) max_tokens: Option<u32>,
    /// Extended thinking of the next model requests.
    pub(crate) thinking: RwLock<Thinking>,
    pub(crate) checkpoints: Option<Arc<Mutex<CheckpointStore>>>,
    pub(crate) session_id: String,
    pub(crate) file_state: Arc<FileState>,
    /// Resolves model names of subagent definitions.
    pub(crate) model_resolver: Option<crate::hook_runners::ModelResolver>,
    /// The token of the top-level run in flight.
    pub(crate) run_cancel: Mutex<CancellationToken>,
    /// The host registered its own `Agent` tool (e.g. the Cloud server's
    /// coordinator tool): calls of `Agent` go to it, not to subagents.
    pub(crate) host_agent_tool: bool,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("session_id", &self.session_id)
            .field("cwd", &self.cwd)
            .field("tools", &self.tools)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, taking the data even if a panicking thread poisoned it
/// (the state is plain data that stays valid).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Core {
    /// The model in use now.
    pub(crate) fn model(&self) -> Arc<dyn Model> {
        Arc::clone(&self.model.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The extended thinking of the next model request.
    pub(crate) fn thinking(&self) -> Thinking {
        *self.thinking.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current permission mode.
    pub(crate) fn mode(&self) -> Mode {
        lock(&self.permissions).mode()
    }
}

/// Handles for steering a run from another task. Cheap to clone.
#[derive(Clone)]
pub struct AgentControls {
    pub(crate) core: Arc<Core>,
}

impl std::fmt::Debug for AgentControls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentControls")
            .field("session_id", &self.core.session_id)
            .finish_non_exhaustive()
    }
}

impl AgentControls {
    /// Cancels the run in flight: its model stream, running tools and
    /// pending asks. The run ends with outcome `Interrupted`. No effect
    /// when nothing runs.
    pub fn interrupt(&self) {
        lock(&self.core.run_cancel).cancel();
    }

    /// Switches the permission mode, from the next tool call on.
    pub fn set_mode(&self, mode: Mode) {
        lock(&self.core.permissions).set_mode(mode);
    }

    /// The permission mode now.
    pub fn mode(&self) -> Mode {
        self.core.mode()
    }

    /// Switches the model, from the next model request on.
    pub fn set_model(&self, model: Arc<dyn Model>) {
        *self
            .core
            .model
            .write()
            .unwrap_or_else(PoisonError::into_inner) = model;
    }

    /// Switches extended thinking (on with a token budget, or off), from
    /// the next model request on.
    pub fn set_thinking(&self, thinking: Thinking) {
        *self
            .core
            .thinking
            .write()
            .unwrap_or_else(PoisonError::into_inner) = thinking;
    }

    /// The extended thinking of the next model request.
    pub fn thinking(&self) -> Thinking {
        self.core.thinking()
    }

    /// The tracker of the files the session has read: what Write and Edit
    /// check before they change a file. A host may record a file the user
    /// showed the session by other means (the SDK's `seed_read_state`).
    pub fn file_state(&self) -> Arc<FileState> {
        Arc::clone(&self.core.file_state)
    }

    /// The name of the model in use.
    pub fn model_name(&self) -> String {
        self.core.model().name().to_owned()
    }

    /// Applies permission updates (as an SDK host's `set_permissions` or a
    /// settings change would) for the rest of the session.
    pub fn apply_permission_updates(&self, updates: &[ferrule_protocol::sdk::PermissionUpdate]) {
        lock(&self.core.permissions).apply(updates);
    }

    /// Allows `rules` (settings syntax, e.g. `Bash(git add:*)`) for the rest
    /// of the session without asking, as a custom command's or skill's
    /// `allowed-tools` asks. Deny rules still win; a malformed rule is
    /// reported in the policy's diagnostics and allows nothing.
    pub fn allow_for_session(&self, rules: &[String]) {
        if !rules.is_empty() {
            lock(&self.core.permissions).allow_for_session(rules);
        }
    }
}
