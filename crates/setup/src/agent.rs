//! From a [`Prepared`] session to an [`AgentBuilder`].

use std::path::PathBuf;
use std::sync::Arc;

use ferrule_agent::{AgentBuilder, EnvironmentFacts, SystemPrompt};
use ferrule_mcp::McpManager;
use ferrule_memory::Workspace;
use ferrule_model::Thinking;
use ferrule_permissions::Mode;
use ferrule_session::SessionOrigin;
use ferrule_tools::BackgroundTasks;

use crate::init::InitFacts;
use crate::prepare::{Prepared, PromptParts};
use crate::tools::LOOP_TOOLS;
use crate::watch::SessionWatch;

/// What a host keeps about the session once the builder has taken the
/// parts: what it prints at start and where things live.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostInfo {
    /// The absolute working directory.
    pub cwd: PathBuf,
    /// The user directory.
    pub user_dir: PathBuf,
    /// The session id.
    pub session_id: String,
    /// The transcript file (`None` without persistence).
    pub transcript_path: Option<PathBuf>,
    /// New, resumed or forked.
    pub origin: SessionOrigin,
    /// The model's name, `provider/model`.
    pub model: String,
    /// The script `--record` writes.
    pub record: Option<PathBuf>,
    /// The starting permission mode.
    pub mode: Mode,
    /// The memory snapshot.
    pub workspace: Arc<Workspace>,
    /// The session's background shells (killed when the last clone goes).
    pub background: BackgroundTasks,
    /// The running MCP servers (stopped when the last clone goes).
    pub mcp: Option<McpManager>,
    /// `.mcp.json` servers that wait for the user's approval and were not
    /// started (`ferrule mcp approve NAME` approves one).
    pub mcp_needs_approval: Vec<String>,
    /// The session's watcher of settings files, skills, agents and hooks'
    /// `watchPaths` (stops when the last clone goes).
    pub watch: SessionWatch,
}

impl HostInfo {
    /// The init facts; `tools` is the agent's final tool list
    /// (`Agent::tool_names`).
    pub fn init_facts(&self, tools: Vec<String>) -> InitFacts {
        let mut facts = InitFacts::new(
            &self.workspace,
            self.session_id.clone(),
            tools,
            self.model.clone(),
            self.mode,
        );
        if let Some(mcp) = &self.mcp {
            facts.mcp_servers = mcp.status();
        }
        facts
    }
}

impl PromptParts {
    /// The system prompt: the built-in one (or the replacement), memory,
    /// rules, skills, the facts of `cwd`, then the appended text.
    pub fn system_prompt(&self, cwd: &std::path::Path) -> SystemPrompt {
        let mut prompt = SystemPrompt::new();
        if let Some(text) = &self.replace {
            prompt = prompt.replace(text.clone());
        }
        for (_, text) in &self.context.memory {
            prompt = prompt.memory(text.clone());
        }
        for (_, text) in &self.context.rules {
            prompt = prompt.rule(text.clone());
        }
        for (name, description) in &self.context.skills {
            prompt = prompt.skill(name.clone(), description.clone());
        }
        prompt = prompt.environment(EnvironmentFacts::detect(cwd));
        if let Some(text) = &self.append {
            prompt = prompt.append(text.clone());
        }
        prompt
    }
}

impl Prepared {
    /// An agent builder holding every part, and what the host keeps. The
    /// asker is the builder's default ([`ferrule_agent::HeadlessAsker`]);
    /// hosts with a user or an SDK set their own with `.asker(...)`.
    pub fn into_builder(self) -> (AgentBuilder, HostInfo) {
        let context = self.context_manager();
        let excluded: Vec<&str> = LOOP_TOOLS
            .iter()
            .copied()
            .filter(|name| !self.tool_choice.keeps(name))
            .collect();
        let info = HostInfo {
            cwd: self.cwd.clone(),
            user_dir: self.user_dir.clone(),
            session_id: self.transcript.session_id().to_owned(),
            transcript_path: match self.transcript.persistence() {
                ferrule_session::Persistence::Enabled => Some(self.transcript.path().to_path_buf()),
                ferrule_session::Persistence::Disabled => None,
            },
            origin: self.origin.clone(),
            model: self.model.model.name().to_owned(),
            record: self.model.record.clone(),
            mode: self.mode,
            workspace: Arc::clone(&self.workspace),
            background: self.builtin.background.clone(),
            mcp: self.mcp.clone(),
            mcp_needs_approval: self.mcp_servers.needs_approval.clone(),
            watch: SessionWatch {
                inner: Arc::clone(&self.watch),
            },
        };
        // The watcher takes the final hooks; once the agent exists it gets
        // the agent's controls (reloads, watchPaths, the asker for MCP
        // elicitations).
        self.watch.start(
            Arc::clone(&self.hooks),
            ferrule_hooks::CommonFields {
                session_id: info.session_id.clone(),
                transcript_path: info
                    .transcript_path
                    .as_ref()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default(),
                cwd: self.cwd.display().to_string(),
                ..ferrule_hooks::CommonFields::default()
            },
        );
        let watch = Arc::clone(&self.watch);
        let subagent_mcp = Arc::new(crate::subagent_mcp::SubagentMcp {
            configured: self.mcp_servers.servers.clone(),
            session: self.mcp.clone(),
            env: self.env.clone(),
            tool_choice: self.tool_choice.clone(),
        });
        // `auto` mode's classifier asks the session's model, with the
        // `autoMode` guidance of the trusted settings layers.
        let guidance = self
            .settings
            .merged
            .auto_mode
            .as_ref()
            .map(|auto| ferrule_agent::AutoModeGuidance {
                allow: auto.allow.clone(),
                soft_deny: auto.soft_deny.clone(),
                environment: auto.environment.clone(),
            })
            .unwrap_or_default();
        let classifier =
            ferrule_agent::ModelClassifier::new(Arc::clone(&self.model.model)).guidance(guidance);
        let mut builder =
            AgentBuilder::new(Arc::clone(&self.model.model), self.tools, self.cwd.clone())
                .policy_builder(self.policy)
                .hooks(self.hooks)
                .system_prompt(self.prompt.system_prompt(&self.cwd))
                .max_turns(self.max_turns)
                .session_id(info.session_id.clone())
                .transcript(self.transcript)
                .history(self.history)
                .prices(self.model.prices)
                .subagents(self.subagents)
                .env(self.env)
                .additional_dirs(self.additional_dirs)
                .exclude_tools(excluded)
                .context(context)
                .session_memory(self.memory)
                .classifier(Arc::new(classifier))
                .model_resolver(Arc::clone(&self.model.resolver))
                .on_build(move |controls| watch.attach(controls))
                .on_build(move |controls| controls.set_subagent_tools(subagent_mcp));
        if let Some(tokens) = self.max_output_tokens {
            builder = builder.max_tokens(tokens);
        }
        if let Some(budget_tokens) = self.thinking_budget {
            builder = builder.thinking(Thinking::Enabled { budget_tokens });
        }
        if let Some(store) = self.checkpoints {
            builder = builder.checkpoints(store);
        }
        (builder, info)
    }
}
