//! [`prepare`]: from [`SetupOptions`] to every part an agent is built from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrule_agent::hook_runners::{ModelPromptRunner, SubagentRunner};
use ferrule_checkpoint::CheckpointStore;
use ferrule_config::{CliArgs, DEFAULT_POLICY_PATH, LoadOptions, LoadedSettings, load};
use ferrule_hooks::{Dispatcher, DispatcherBuilder, FolderTrust, HookSource};
use ferrule_mcp::{
    LoadRequest, LoadedServers, ManagerOptions, McpManager, PluginServers, load_servers,
};
use ferrule_memory::{SessionMemory, Subagent, Trust, Workspace};
use ferrule_permissions::{Mode, PolicyBuilder};
use ferrule_protocol::Message;
use ferrule_session::{SessionOrigin, SessionStore, Transcript};
use ferrule_tool::ToolRegistry;
use ferrule_tools::BuiltinOptions;

use crate::error::SetupError;
use crate::init::InitFacts;
use crate::model::{SessionModel, http_options, session_model};
use crate::options::{Host, SetupOptions, SystemPromptChoice};
use crate::policy::{policy_builder, resolve_mode};
use crate::tools::{ToolChoice, tool_registry};
use crate::workspace::{StartupContext, load_workspace, startup_context};

/// The system prompt's inputs: what replaces or extends the built-in
/// prompt, and the startup context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptParts {
    /// `--system-prompt` / `--system-prompt-file` text replacing the
    /// built-in prompt (`None`: the built-in prompt).
    pub replace: Option<String>,
    /// `--append-system-prompt`.
    pub append: Option<String>,
    /// Memory, rules and skills.
    pub context: StartupContext,
}

/// Everything an agent is built from, with what hosts print about it.
/// Fields are public so a host can adjust a part before building (the SDK
/// host adds its hooks and asker, the server its own session store).
#[non_exhaustive]
pub struct Prepared {
    /// The host it was prepared for.
    pub host: Host,
    /// The absolute working directory.
    pub cwd: PathBuf,
    /// The user directory (transcripts, plans, user settings).
    pub user_dir: PathBuf,
    /// Every settings layer and the merge.
    pub settings: LoadedSettings,
    /// The permission mode the session starts in.
    pub mode: Mode,
    /// The permission policy, as a builder so session rules can be added.
    pub policy: PolicyBuilder,
    /// The hooks of every settings layer and plugin.
    pub hooks: Arc<Dispatcher>,
    /// The memory snapshot.
    pub workspace: Arc<Workspace>,
    /// The session's memory (subfolder memory and glob rules as files are
    /// touched).
    pub memory: SessionMemory,
    /// Inputs of the system prompt.
    pub prompt: PromptParts,
    /// The built-in tools offered.
    pub tools: ToolRegistry,
    /// Which tool names are offered (for tools added later: loop and MCP tools).
    pub tool_choice: ToolChoice,
    /// Shared state of the built-in tools (background shells, todo list).
    pub builtin: BuiltinOptions,
    /// The model.
    pub model: SessionModel,
    /// The transcript writer (writes nothing with `--no-session-persistence`).
    pub transcript: Transcript,
    /// The resumed conversation (empty for a new session).
    pub history: Vec<Message>,
    /// New, resumed or forked.
    pub origin: SessionOrigin,
    /// File checkpoints, when `general.fileCheckpointing.enabled`.
    pub checkpoints: Option<CheckpointStore>,
    /// Subagent definitions.
    pub subagents: Vec<Subagent>,
    /// The environment of tools and hooks: the process environment with
    /// the settings' `env` over it.
    pub env: BTreeMap<String, String>,
    /// Additional working directories (absolute).
    pub additional_dirs: Vec<PathBuf>,
    /// `--max-turns`.
    pub max_turns: Option<u32>,
    /// `--max-output-tokens`.
    pub max_output_tokens: Option<u32>,
    /// Extended thinking budget (`None`: off).
    pub thinking_budget: Option<u32>,
    /// `--context-window`: the model's window for this session.
    pub context_window: Option<u64>,
    /// The MCP servers configured for the session (started by
    /// [`Prepared::start_mcp`]).
    pub mcp_servers: LoadedServers,
    /// The running MCP servers, once started.
    pub mcp: Option<McpManager>,
    /// Whether the folder's hooks are trusted.
    trusted: bool,
    /// What answers prompt and agent hooks.
    hook_runners: HookRunners,
    /// The session's watcher (settings, skills, agents, `watchPaths`) and
    /// MCP elicitation bridge; started by `into_builder`.
    pub(crate) watch: Arc<crate::watch::Watch>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("cwd", &self.cwd)
            .field("mode", &self.mode)
            .field("model", &self.model)
            .field("session_id", &self.transcript.session_id())
            .finish_non_exhaustive()
    }
}

impl Prepared {
    /// Builds [`Prepared::hooks`] again from the same settings, plugins,
    /// environment and hook runners, with `extend` adding to it — e.g. the
    /// SDK host's `initialize` hooks (`DispatcherBuilder::sdk_hooks`).
    pub fn rebuild_hooks(&mut self, extend: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder) {
        self.hooks = Arc::new(dispatcher(
            &self.settings,
            &self.workspace,
            &self.user_dir,
            &self.env,
            self.trusted,
            self.hook_runners.clone(),
            extend,
        ));
        // The extension cannot be replayed when settings are read again:
        // the watcher then keeps these hooks and only reloads the rules.
        self.watch.keep_hooks();
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        self.transcript.session_id()
    }

    /// Starts the configured MCP servers (concurrently, each within
    /// `MCP_TIMEOUT`) and adds their tools to [`Prepared::tools`], except
    /// those a tool-level `--disallowed-tools` rule hides. A server that
    /// fails is reported in the init facts' `mcp_servers` and offers no
    /// tools. Without servers this does nothing.
    pub async fn start_mcp(&mut self) -> Result<(), SetupError> {
        if self.mcp_servers.servers.is_empty() || self.mcp.is_some() {
            return Ok(());
        }
        let env = self.env.clone();
        let mut options = ManagerOptions::from_lookup(&|name| env.get(name).cloned());
        options.elicitor = Some(Arc::new(crate::watch::Bridge {
            watch: Arc::downgrade(&self.watch),
        }));
        let manager = McpManager::start(self.mcp_servers.servers.clone(), options).await;
        for tool in manager.tools() {
            if self.tool_choice.hides(tool.name()) {
                continue;
            }
            if self.tools.get(tool.name()).is_some() {
                tracing::warn!(
                    "MCP tool {} is shadowed by a tool of the same name",
                    tool.name()
                );
                continue;
            }
            self.tools.register_arc(tool)?;
        }
        for status in manager.status() {
            if let Some(error) = &status.error {
                tracing::warn!("mcp: server `{}` failed: {error}", status.name);
            }
        }
        self.mcp = Some(manager);
        Ok(())
    }

    /// The init facts, with `tools` as the final list the model sees
    /// (built-ins plus whatever the agent and MCP added).
    pub fn init_facts(&self, tools: Vec<String>) -> InitFacts {
        let mut facts = InitFacts::new(
            &self.workspace,
            self.session_id().to_owned(),
            tools,
            self.model.model.name().to_owned(),
            self.mode,
        );
        if let Some(mcp) = &self.mcp {
            facts.mcp_servers = mcp.status();
        }
        facts
    }
}

/// Reads settings, memory, the model and the session as `options` say.
/// Settings and memory problems are logged (tracing, to stderr) and do not
/// fail; a bad mode, model, session option or prompt file does.
pub fn prepare(options: SetupOptions) -> Result<Prepared, SetupError> {
    let cwd = options.cwd.clone();
    if !cwd.is_dir() {
        return Err(SetupError::Cwd(cwd));
    }
    let home = options.resolved_home().ok_or(SetupError::NoHome)?;
    let user_dir = options
        .resolved_user_dir()
        .unwrap_or_else(|| home.join(".qoder"));

    let settings = load_settings(&options, &home, &user_dir);
    for diagnostic in &settings.diagnostics {
        tracing::warn!(
            "settings: {}:{}:{}: {}",
            diagnostic.path.display(),
            diagnostic.line.unwrap_or(0),
            diagnostic.column.unwrap_or(0),
            diagnostic.message
        );
    }
    let merged = &settings.merged;

    let mode = resolve_mode(&settings, None)?;
    let policy = policy_builder(&settings, &cwd, &home, Some(&user_dir), mode);
    let built = policy.clone().build();
    for diagnostic in built.diagnostics() {
        tracing::warn!("permissions: {diagnostic}");
    }
    let additional_dirs = built.working_dirs().iter().skip(1).cloned().collect();

    let mut env = options.env.clone();
    if let Some(extra) = &merged.env {
        env.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    // Non-interactive hosts trust the directory they were started in.
    let trusted = !matches!(options.host, Host::Interactive);
    let workspace = Arc::new(load_workspace(
        &cwd,
        Some(&home),
        Some(&user_dir),
        merged,
        &options.plugin_dirs,
        options.agents_json.as_deref(),
        if trusted {
            Trust::Trusted
        } else {
            Trust::Untrusted
        },
    ));
    let (memory, context) = startup_context(Arc::clone(&workspace));
    let prompt = PromptParts {
        replace: system_prompt_text(&options)?,
        append: options.append_system_prompt.clone(),
        context,
    };

    let excluded = merged
        .tools
        .as_ref()
        .and_then(|t| t.exclude.clone())
        .unwrap_or_default();
    let tool_choice = ToolChoice::new(options.tools.clone(), &options.disallowed_tools, &excluded);
    let builtin = BuiltinOptions::default();
    let (mut tools, unknown) = tool_registry(&tool_choice, &builtin)?;
    // `Skill` is added below once the skills are known.
    for name in unknown.into_iter().filter(|name| name != "Skill") {
        if options.host == Host::Sdk && crate::tools::SDK_TOOL_NAMES.contains(&name.as_str()) {
            tracing::debug!("--tools: no built-in tool is called `{name}`");
        } else {
            tracing::warn!("--tools: no built-in tool is called `{name}`");
        }
    }

    let settings_json = serde_json::to_value(merged).unwrap_or_default();
    let http =
        http_options(&options.env, options.max_model_request_retries).map_err(SetupError::Model)?;
    let model = session_model(
        options.model.as_deref(),
        &options.env,
        &settings_json,
        &cwd,
        http,
        options.record.as_deref(),
    )?;

    // Prompt and agent hooks run on the session's model; agent hooks get
    // the built-in tools under the session's permission policy.
    let runners = HookRunners {
        prompt: Arc::new(
            ModelPromptRunner::new(Arc::clone(&model.model))
                .with_resolver(Arc::clone(&model.resolver)),
        ),
        agent: Arc::new(
            SubagentRunner::new(Arc::clone(&model.model), tools.clone(), &cwd)
                .policy_builder(policy.clone())
                .with_resolver(Arc::clone(&model.resolver)),
        ),
    };
    let hooks = Arc::new(dispatcher(
        &settings,
        &workspace,
        &user_dir,
        &env,
        trusted,
        runners.clone(),
        |builder| builder,
    ));

    let store = SessionStore::new(&user_dir);
    let opened = store.open(&cwd, &options.session)?;
    for diagnostic in &opened.conversation.diagnostics {
        tracing::warn!("session: {diagnostic}");
    }
    let checkpoints_on = merged
        .general
        .as_ref()
        .and_then(|g| g.file_checkpointing.as_ref())
        .and_then(|c| c.enabled)
        .unwrap_or(false);
    let checkpoints = if checkpoints_on {
        let dir = store
            .project_dir(&cwd)
            .join(opened.transcript.session_id())
            .join("checkpoints");
        Some(CheckpointStore::open(dir)?)
    } else {
        None
    };

    let mcp_servers = load_servers(
        &LoadRequest {
            cwd: cwd.clone(),
            mcp_config: options.mcp_config.clone(),
            strict: options.strict_mcp_config,
            allowed_server_names: options.allowed_mcp_server_names.clone(),
            trust_project_servers: trusted,
            env: Some(env.clone().into_iter().collect()),
            plugins: plugin_servers(&workspace),
        },
        &settings,
    );
    let mut mcp_servers = mcp_servers;
    apply_session_switches(&mut mcp_servers, &options.mcp_session_switches);
    for error in &mcp_servers.errors {
        tracing::warn!("mcp: {error}");
    }
    for name in &mcp_servers.needs_approval {
        tracing::warn!("mcp: project server `{name}` waits for approval (ferrule mcp approve)");
    }

    let watch = crate::watch::Watch::new(
        crate::watch::Reload {
            load: load_options(&options, &home, &user_dir),
            cwd: cwd.clone(),
            home: home.clone(),
            user_dir: user_dir.clone(),
            base_env: options.env.clone(),
            trusted,
            runners: runners.clone(),
        },
        Arc::clone(&hooks),
        &settings,
        Arc::clone(&workspace),
    );

    if tool_choice.keeps("Config") {
        tools.register(ferrule_tools::ConfigTool::new(load_options(
            &options, &home, &user_dir,
        )))?;
    }
    if tool_choice.keeps("Skill") && !workspace.skills.is_empty() {
        tools.register(skill_tool(
            &watch,
            &workspace,
            &cwd,
            &user_dir,
            opened.transcript.session_id(),
        ))?;
    }

    Ok(Prepared {
        watch,
        host: options.host,
        cwd,
        user_dir,
        subagents: workspace.subagents.clone(),
        settings,
        mode,
        policy,
        hooks,
        workspace,
        memory,
        prompt,
        tools,
        tool_choice,
        builtin,
        model,
        transcript: opened.transcript,
        history: opened.conversation.messages,
        origin: opened.origin,
        checkpoints,
        env,
        additional_dirs,
        max_turns: options.max_turns,
        max_output_tokens: options.max_output_tokens,
        thinking_budget: options.thinking_budget,
        context_window: options.context_window,
        mcp_servers,
        mcp: None,
        trusted,
        hook_runners: runners,
    })
}

/// Applies `/mcp enable|disable NAME --session`: on clears why a server
/// would not start (a `.mcp.json` server no longer waits for approval),
/// off keeps it from starting. Names no server has are ignored.
fn apply_session_switches(servers: &mut LoadedServers, switches: &BTreeMap<String, bool>) {
    for spec in &mut servers.servers {
        match switches.get(&spec.name) {
            Some(true) => spec.disabled = None,
            Some(false) => spec.disabled = Some("disabled for this session".to_owned()),
            None => {}
        }
    }
    servers
        .needs_approval
        .retain(|name| !switches.contains_key(name));
}

/// The MCP servers the session's plugins ship (their `.mcp.json`).
pub(crate) fn plugin_servers(workspace: &Workspace) -> Vec<PluginServers> {
    workspace
        .plugins
        .iter()
        .filter_map(|plugin| {
            Some(PluginServers {
                plugin: plugin.name.clone(),
                root: plugin.root.clone(),
                servers: plugin.mcp_servers.clone()?,
            })
        })
        .collect()
}

/// The settings `options` select (every layer, merged), without preparing
/// a session: what `--list-models` and other one-shot commands read.
///
/// # Errors
/// [`SetupError::NoHome`] when no home directory is known.
pub fn load_settings_of(options: &SetupOptions) -> Result<LoadedSettings, SetupError> {
    let home = options.resolved_home().ok_or(SetupError::NoHome)?;
    let user_dir = options
        .resolved_user_dir()
        .unwrap_or_else(|| home.join(".qoder"));
    Ok(load_settings(options, &home, &user_dir))
}

pub(crate) fn load_settings(
    options: &SetupOptions,
    home: &std::path::Path,
    user_dir: &std::path::Path,
) -> LoadedSettings {
    load(&load_options(options, home, user_dir))
}

/// What [`load_settings`] reads.
fn load_options(
    options: &SetupOptions,
    home: &std::path::Path,
    user_dir: &std::path::Path,
) -> LoadOptions {
    let mut opts = LoadOptions::new(&options.cwd);
    opts.user_dir = Some(user_dir.to_path_buf());
    opts.home = Some(home.to_path_buf());
    opts.settings_flag.clone_from(&options.settings);
    opts.setting_sources.clone_from(&options.setting_sources);
    opts.cli_args = CliArgs {
        permission_mode: options.permission_mode.clone(),
        allowed_tools: options.allowed_tools.clone(),
        disallowed_tools: options.disallowed_tools.clone(),
        add_dirs: options.add_dirs.clone(),
        model: options.model.clone(),
    };
    opts.policy_path = Some(options.policy_path.clone().unwrap_or_else(|| {
        options
            .var("FERRULE_POLICY_SETTINGS")
            .map_or_else(|| PathBuf::from(DEFAULT_POLICY_PATH), PathBuf::from)
    }));
    opts.trust = match options.host {
        Host::Interactive => ferrule_config::Trust::Untrusted,
        _ => ferrule_config::Trust::Trusted,
    };
    opts.env = Some(options.env.clone().into_iter().collect());
    opts
}

/// What answers `prompt` and `agent` hooks.
#[derive(Clone)]
pub(crate) struct HookRunners {
    prompt: Arc<dyn ferrule_hooks::PromptRunner>,
    agent: Arc<dyn ferrule_hooks::AgentRunner>,
}

pub(crate) fn dispatcher(
    settings: &LoadedSettings,
    workspace: &Workspace,
    user_dir: &std::path::Path,
    env: &BTreeMap<String, String>,
    trusted: bool,
    runners: HookRunners,
    extend: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder,
) -> Dispatcher {
    let trust = if trusted {
        FolderTrust::Trusted
    } else {
        FolderTrust::Untrusted
    };
    let mut builder = Dispatcher::builder(&workspace.cwd).settings(settings, trust);
    let data_root = user_dir.join("plugins/data");
    for plugin in &workspace.plugins {
        if let Some(hooks) = &plugin.hooks {
            let source = HookSource::plugin(
                &plugin.name,
                &plugin.root,
                data_root.join(&plugin.name),
                plugin.root.join("hooks/hooks.json"),
            );
            builder = builder.hooks(hooks, source);
        }
    }
    let dispatcher = extend(builder)
        .env(env.iter().map(|(k, v)| (k.clone(), v.clone())))
        .prompt_runner(runners.prompt)
        .agent_runner(runners.agent)
        .build();
    for diagnostic in dispatcher.diagnostics() {
        tracing::warn!(
            "hooks: {}: {}",
            diagnostic.path.display(),
            diagnostic.message
        );
    }
    dispatcher
}

fn system_prompt_text(options: &SetupOptions) -> Result<Option<String>, SetupError> {
    match &options.system_prompt {
        SystemPromptChoice::Default => Ok(None),
        SystemPromptChoice::Replace(text) if text.is_empty() => Ok(None),
        SystemPromptChoice::Replace(text) => Ok(Some(text.clone())),
        SystemPromptChoice::File(path) => {
            let path = options.cwd.join(path);
            std::fs::read_to_string(&path)
                .map(Some)
                .map_err(|source| SetupError::SystemPromptFile { path, source })
        }
    }
}

/// The `Skill` tool over the session's skills as the watcher last read
/// them (the start-up ones once the watcher is gone).
fn skill_tool(
    watch: &Arc<crate::watch::Watch>,
    workspace: &Arc<Workspace>,
    cwd: &Path,
    user_dir: &Path,
    session_id: &str,
) -> ferrule_tools::SkillTool {
    let watch = Arc::downgrade(watch);
    let start = Arc::clone(workspace);
    let vars = ferrule_memory::SkillVars {
        session_id: Some(session_id.to_owned()),
        config_dir: Some(cwd.join(".qoder")),
        user_config_dir: Some(user_dir.to_path_buf()),
    };
    ferrule_tools::SkillTool::with_source(
        Arc::new(move || match watch.upgrade() {
            Some(watch) => watch.workspace().skills.clone(),
            None => start.skills.clone(),
        }),
        vars,
    )
}
