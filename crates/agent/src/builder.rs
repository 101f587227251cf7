//! [`AgentBuilder`]: everything an [`Agent`] is made of.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use ferrule_checkpoint::CheckpointStore;
use ferrule_hooks::Dispatcher;
use ferrule_memory::Subagent;
use ferrule_model::{Model, PriceTable, Thinking};
use ferrule_permissions::{Policy, PolicyBuilder};
use ferrule_protocol::Message;
use ferrule_session::Transcript;
use ferrule_tool::{RegistryError, ToolContext, ToolRegistry};
use tokio_util::sync::CancellationToken;

use crate::agent::{Agent, Scope};
use crate::ask::{Asker, HeadlessAsker};
use crate::core::Core;
use crate::policy::PermissionState;
use crate::prompt::{EnvironmentFacts, SystemPrompt};
use crate::tools::{
    AgentTool, AskUserQuestionTool, EnterPlanModeTool, EnterWorktreeTool, ExitPlanModeTool,
    ExitWorktreeTool,
};

/// Why an agent could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentBuildError {
    /// The working directory or an additional directory cannot be used.
    #[error("cannot use the agent's directories: {0}")]
    Directory(#[from] ferrule_tool::ContextError),
    /// A loop tool could not be registered.
    #[error("cannot register the agent's own tools: {0}")]
    Registry(#[from] RegistryError),
}

enum PolicyChoice {
    Default,
    Policy(Box<Policy>),
    Builder(PolicyBuilder),
}

/// Builds an [`Agent`]. Only the model, the tools and the working
/// directory are required.
pub struct AgentBuilder {
    model: Arc<dyn Model>,
    tools: ToolRegistry,
    cwd: PathBuf,
    policy: PolicyChoice,
    hooks: Option<Arc<Dispatcher>>,
    asker: Arc<dyn Asker>,
    classifier: Option<Arc<dyn crate::classifier::Classifier>>,
    system_prompt: Option<SystemPrompt>,
    max_turns: Option<u32>,
    max_tokens: Option<u32>,
    thinking: Thinking,
    session_id: Option<String>,
    transcript: Option<Transcript>,
    history: Vec<Message>,
    checkpoints: Option<CheckpointStore>,
    prices: PriceTable,
    subagents: Vec<Subagent>,
    env: BTreeMap<String, String>,
    additional_dirs: Vec<PathBuf>,
    excluded_tools: BTreeSet<String>,
    model_resolver: Option<crate::hook_runners::ModelResolver>,
    context: Option<ferrule_context::ContextManager>,
    memory: Option<ferrule_memory::SessionMemory>,
    file_state: Option<Arc<ferrule_tool::FileState>>,
    on_build: Vec<OnBuild>,
}

/// Called with the controls of a freshly built agent.
type OnBuild = Box<dyn FnOnce(&crate::core::AgentControls) + Send>;

impl std::fmt::Debug for AgentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentBuilder")
            .field("model", &self.model.name())
            .field("tools", &self.tools)
            .field("cwd", &self.cwd)
            .finish_non_exhaustive()
    }
}

impl AgentBuilder {
    /// An agent using `model` with `tools`, working in `cwd`.
    pub fn new(model: Arc<dyn Model>, tools: ToolRegistry, cwd: impl Into<PathBuf>) -> Self {
        Self {
            model,
            tools,
            cwd: cwd.into(),
            policy: PolicyChoice::Default,
            hooks: None,
            asker: Arc::new(HeadlessAsker),
            classifier: None,
            system_prompt: None,
            max_turns: None,
            max_tokens: None,
            thinking: Thinking::Disabled,
            session_id: None,
            transcript: None,
            history: Vec::new(),
            checkpoints: None,
            prices: PriceTable::builtin(),
            subagents: Vec::new(),
            env: BTreeMap::new(),
            additional_dirs: Vec::new(),
            excluded_tools: BTreeSet::new(),
            model_resolver: None,
            context: None,
            memory: None,
            file_state: None,
            on_build: Vec::new(),
        }
    }

    /// Runs `f` with the agent's controls once it is built, e.g. to connect
    /// a settings watcher or an MCP elicitation bridge that need the
    /// agent's asker and hooks.
    pub fn on_build(
        mut self,
        f: impl FnOnce(&crate::core::AgentControls) + Send + 'static,
    ) -> Self {
        self.on_build.push(Box::new(f));
        self
    }

    /// The session's memory (after its startup context went into the
    /// system prompt): when a call touches a file, the memory of folders
    /// not loaded yet and matching glob rules are added to the call's
    /// result, and InstructionsLoaded fires for each. Default: none.
    pub fn session_memory(mut self, memory: ferrule_memory::SessionMemory) -> Self {
        self.memory = Some(memory);
        self
    }

    /// The context manager: windows, thresholds, pinned files and
    /// auto-compaction as the settings say (see
    /// `ferrule_context::ContextManager::from_settings`). Default: the
    /// model's built-in limits, default settings and
    /// `QODER_AUTOCOMPACT_*` from [`AgentBuilder::env`].
    pub fn context(mut self, context: ferrule_context::ContextManager) -> Self {
        self.context = Some(context);
        self
    }

    /// The permission policy (default: default mode, no rules). Session
    /// rules and mode changes are layered over it; prefer
    /// [`AgentBuilder::policy_builder`], which compiles them in exactly.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = PolicyChoice::Policy(Box::new(policy));
        self
    }

    /// The permission policy as a builder, kept so that "always allow"
    /// answers and mode changes rebuild it.
    pub fn policy_builder(mut self, builder: PolicyBuilder) -> Self {
        self.policy = PolicyChoice::Builder(builder);
        self
    }

    /// The hooks to fire.
    pub fn hooks(mut self, hooks: Arc<Dispatcher>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Who answers "ask" (default [`HeadlessAsker`]).
    pub fn asker(mut self, asker: Arc<dyn Asker>) -> Self {
        self.asker = asker;
        self
    }

    /// The `auto` mode classifier: it decides the calls that mode would
    /// otherwise deny for want of someone to ask (protected paths and
    /// dangerous commands stay denied). Without one they are denied.
    pub fn classifier(mut self, classifier: Arc<dyn crate::classifier::Classifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// The system prompt (default: the built-in base with the environment
    /// facts of cwd).
    pub fn system_prompt(mut self, prompt: SystemPrompt) -> Self {
        self.system_prompt = Some(prompt);
        self
    }

    /// The most model round trips per run; `None` = no limit.
    pub fn max_turns(mut self, max_turns: Option<u32>) -> Self {
        self.max_turns = max_turns;
        self
    }

    /// The output token limit of each model request.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Extended thinking.
    pub fn thinking(mut self, thinking: Thinking) -> Self {
        self.thinking = thinking;
        self
    }

    /// The tracker of the files the session has read (default: a new,
    /// empty one). A host building the agent again for the same
    /// conversation passes the old agent's ([`AgentControls::file_state`]),
    /// so Write and Edit still accept the files it read.
    ///
    /// [`AgentControls::file_state`]: crate::AgentControls::file_state
    pub fn file_state(mut self, file_state: Arc<ferrule_tool::FileState>) -> Self {
        self.file_state = Some(file_state);
        self
    }

    /// The session id (default: the transcript's, else a new uuid).
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// The transcript every message is appended to as it happens.
    pub fn transcript(mut self, transcript: Transcript) -> Self {
        self.transcript = Some(transcript);
        self
    }

    /// The conversation so far (a resumed session).
    pub fn history(mut self, messages: Vec<Message>) -> Self {
        self.history = messages;
        self
    }

    /// The checkpoint store that snapshots files before tools change them.
    pub fn checkpoints(mut self, store: CheckpointStore) -> Self {
        self.checkpoints = Some(store);
        self
    }

    /// Prices for the cost in the summary (default: the built-in table).
    pub fn prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// Subagent definitions the `Agent` tool can run (`general-purpose`
    /// exists without any).
    pub fn subagents(mut self, subagents: Vec<Subagent>) -> Self {
        self.subagents = subagents;
        self
    }

    /// Environment variables for tools (Bash) and hooks.
    pub fn env(mut self, env: BTreeMap<String, String>) -> Self {
        self.env = env;
        self
    }

    /// Directories tools may use besides cwd (`--add-dir`).
    pub fn additional_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.additional_dirs = dirs;
        self
    }

    /// Resolves the `model` of subagent definitions (a name or alias, as
    /// the host's settings understand it). Without one, or when it returns
    /// `None`, subagents run on the session's model.
    pub fn model_resolver(mut self, resolver: crate::hook_runners::ModelResolver) -> Self {
        self.model_resolver = Some(resolver);
        self
    }

    /// Leaves out loop tools (`Agent`, `AskUserQuestion`, `EnterPlanMode`,
    /// `ExitPlanMode`, `EnterWorktree`, `ExitWorktree`) by name, e.g. when `--tools` does not list them.
    pub fn exclude_tools<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.excluded_tools
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Builds the agent.
    ///
    /// # Errors
    /// When cwd or an additional directory is not a usable directory, or a
    /// loop tool cannot be registered.
    pub fn build(self) -> Result<Agent, AgentBuildError> {
        // Resolve the directories once, so that a bad one fails here.
        let mut probe = ToolContext::builder(&self.cwd);
        if let Some(file_state) = self.file_state {
            probe = probe.file_state(file_state);
        }
        for dir in &self.additional_dirs {
            probe = probe.additional_dir(dir);
        }
        let probe = probe.build()?;
        let cwd = probe.cwd().to_path_buf();
        let home = self
            .env
            .get("HOME")
            .cloned()
            .or_else(|| std::env::var("HOME").ok())
            .map_or_else(|| PathBuf::from("/"), PathBuf::from);
        let permissions = match self.policy {
            PolicyChoice::Default => {
                let mut builder = PolicyBuilder::new(&cwd, &home);
                for dir in &self.additional_dirs {
                    builder = builder.additional_dir(dir.display().to_string());
                }
                PermissionState::from_builder(builder, home)
            }
            PolicyChoice::Builder(builder) => PermissionState::from_builder(builder, home),
            PolicyChoice::Policy(policy) => PermissionState::from_policy(*policy, home),
        };
        let session_id = self
            .session_id
            .or_else(|| self.transcript.as_ref().map(|t| t.session_id().to_owned()))
            .unwrap_or_else(crate::events::new_uuid);
        let excluded = self.excluded_tools;
        let mut registry_error = None;
        let host_agent_tool = self.tools.get("Agent").is_some();
        let core = Arc::new_cyclic(|weak| {
            let mut tools = self.tools;
            let loop_tools: [Arc<dyn ferrule_tool::Tool>; 6] = [
                Arc::new(AgentTool::new(weak.clone(), &self.subagents)),
                Arc::new(AskUserQuestionTool),
                Arc::new(EnterPlanModeTool::new(weak.clone())),
                Arc::new(ExitPlanModeTool::new(weak.clone())),
                Arc::new(EnterWorktreeTool::new(weak.clone())),
                Arc::new(ExitWorktreeTool::new(weak.clone())),
            ];
            for tool in loop_tools {
                let name = tool.name().to_owned();
                if excluded.contains(&name) || tools.get(&name).is_some() {
                    continue;
                }
                if let Err(error) = tools.register_arc(tool) {
                    registry_error = Some(error);
                }
            }
            Core {
                model: RwLock::new(self.model),
                tools,
                permissions: Mutex::new(permissions),
                live: crate::live::Live::new(self.hooks, self.subagents),
                asker: self.asker,
                classifier: self.classifier,
                prices: self.prices,
                env: self.env,
                cwd: cwd.clone(),
                shell_cwd: Mutex::new(cwd.clone()),
                worktree: Default::default(),
                memory: self.memory.map(Mutex::new),
                additional_dirs: probe.allowed_dirs().iter().skip(1).cloned().collect(),
                max_tokens: self.max_tokens,
                thinking: RwLock::new(self.thinking),
                checkpoints: self.checkpoints.map(|store| Arc::new(Mutex::new(store))),
                session_id,
                file_state: probe.file_state_handle(),
                model_resolver: self.model_resolver,
                run_cancel: Mutex::new(CancellationToken::new()),
                host_agent_tool,
            }
        });
        if let Some(error) = registry_error {
            return Err(error.into());
        }
        let system_prompt = self
            .system_prompt
            .unwrap_or_else(|| SystemPrompt::new().environment(EnvironmentFacts::detect(&cwd)));
        let context = self
            .context
            .unwrap_or_else(|| crate::context::default_manager(&core));
        let controls = crate::core::AgentControls {
            core: Arc::clone(&core),
        };
        for f in self.on_build {
            f(&controls);
        }
        Ok(Agent {
            context: Some(crate::context::LoopContext::new(context)),
            tools: core.tools.clone(),
            core,
            system_prompt,
            max_turns: self.max_turns,
            messages: self.history,
            transcript: self.transcript,
            scope: Scope::main(),
        })
    }
}
