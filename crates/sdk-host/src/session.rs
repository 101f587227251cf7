//! The `initialize` handshake (`sdk-protocol.md` §6.1, §8.1): assemble the
//! agent from the flags (ferrule-setup) and what the request adds — SDK
//! hook callbacks, subagents, in-process MCP servers, system prompt
//! options, checkpoints — then emit `system/init` and answer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ferrule_agent::{AgentControls, Asker};
use ferrule_checkpoint::CheckpointStore;
use ferrule_mcp::{McpManager, TransportSpec};
use ferrule_permissions::Mode;
use ferrule_protocol::sdk::{
    AgentInfo, InitializeRequest, InitializeResponse, McpServerStatus, ModelInfo, StreamMessage,
    SystemMessage,
};
use ferrule_session::SessionStore;
use ferrule_setup::{HostInfo, InitFacts, Prepared, SessionHooks, SystemPromptChoice};
use serde_json::{Map, Value};

use crate::asker::{McpPromptAsker, SdkAsker};
use crate::callbacks::SdkCallbacks;
use crate::host::{Shared, lock};
use crate::rebuild::Blueprint;
use crate::session_rules::{RecordingAsker, SessionRules};

/// Capabilities advertised in `initialize` and `system/init`: only what
/// works (§6.1; the Python SDK gates methods on them).
pub(crate) const CAPABILITIES: &[&str] = &[
    "plan_mode_v1",
    "interrupt_cancel_queued_v1",
    "session_rewind_v1",
    "side_question_v1",
    "background_tasks_v1",
    "goal_v1",
    "goal_max_turns_v1",
    "goal_resume_v1",
    "reload_skills_v1",
];

/// What the control handlers need once the session is up.
pub(crate) struct Ready {
    pub(crate) controls: AgentControls,
    pub(crate) session_id: String,
    pub(crate) facts: InitFacts,
    /// The configured MCP servers (stdio, http, sse).
    pub(crate) manager: Option<McpManager>,
    /// The SDK's in-process MCP servers.
    pub(crate) sdk_manager: Option<McpManager>,
    pub(crate) models: Vec<ModelInfo>,
    /// The model the session started with (`set_model` with `null`).
    pub(crate) default_model: Arc<dyn ferrule_model::Model>,
    /// For building models by name (`set_model`).
    pub(crate) model_env: BTreeMap<String, String>,
    pub(crate) settings_json: Value,
    pub(crate) cwd: PathBuf,
    /// The additional working directories the session started with
    /// (`--add-dir`, settings); `add_directories` reports them too.
    pub(crate) start_dirs: Vec<PathBuf>,
    /// The mode to return to when plan mode is switched off.
    pub(crate) before_plan: Option<Mode>,
    /// The model in use now (side questions and titles use it too).
    pub(crate) model: Arc<dyn ferrule_model::Model>,
    /// The system prompt as the agent sends it.
    pub(crate) system_prompt: String,
    /// The conversation after the last turn (for side questions).
    pub(crate) history: Vec<ferrule_protocol::Message>,
    /// The session's background shells (`stop_task`).
    pub(crate) background: ferrule_tools::BackgroundTasks,
    /// Where the transcript is (`None` without session persistence).
    pub(crate) transcript_path: Option<PathBuf>,
    /// The session store, when transcripts are written (titles).
    pub(crate) store: Option<SessionStore>,
    /// How to build the agent again (conversation rewind).
    pub(crate) blueprint: Blueprint,
    /// The settings, skills and agents watcher (ConfigChange, FileChanged):
    /// it runs as long as this handle is kept.
    pub(crate) watch: ferrule_setup::SessionWatch,
}

/// Handles `initialize`; the answer's payload or the error text.
pub(crate) async fn initialize(
    shared: &Arc<Shared>,
    request: InitializeRequest,
) -> Result<Value, String> {
    let Some(agent_slot) = lock(&shared.agent_slot).take() else {
        return Err("Already initialized".to_owned());
    };
    let mut setup = shared.options.setup.clone();
    // TypeScript sends its system prompt options here instead of flags (§16).
    match &request.system_prompt {
        Some(Value::String(text)) => {
            setup.system_prompt = SystemPromptChoice::Replace(text.clone())
        }
        Some(Value::Object(spec)) => {
            if let Some(append) = spec.get("append").and_then(Value::as_str) {
                setup.append_system_prompt = Some(append.to_owned());
            }
        }
        _ => {}
    }
    if let Some(append) = &request.append_system_prompt {
        setup.append_system_prompt = Some(append.clone());
    }
    if let Some(agents) = &request.agents {
        setup.agents_json = Some(merge_agents(setup.agents_json.as_deref(), agents)?);
    }
    if let Some(limit) = request.goal_max_turns.filter(|n| *n > 0) {
        lock(&shared.goals).max_turns = Some(limit);
    }
    let blueprint_setup = setup.clone();
    let mut prepared = ferrule_setup::prepare(setup).map_err(|error| error.to_string())?;

    let mut sdk_hooks = None;
    if let Some(hooks) = &request.hooks
        && !hooks.is_empty()
    {
        let value = serde_json::to_value(hooks).map_err(|e| e.to_string())?;
        let callbacks = Arc::new(SdkCallbacks::new(shared.peer.clone()));
        let extra = Arc::clone(&callbacks);
        prepared.rebuild_hooks(|builder| builder.sdk_hooks(&value, extra));
        sdk_hooks = Some((value, callbacks));
    }

    // ferrule-mcp runs every server: setup's manager the configured stdio,
    // http and sse ones, a second manager the SDK's in-process servers,
    // reached over `mcp_message` through this host's bridge.
    let mut sdk_names = request.sdk_mcp_servers.clone().unwrap_or_default();
    prepared
        .mcp_servers
        .servers
        .retain(|server| match &server.transport {
            TransportSpec::Sdk { .. } => {
                sdk_names.push(server.name.clone());
                false
            }
            _ => true,
        });
    let mut seen = std::collections::BTreeSet::new();
    sdk_names.retain(|name| seen.insert(name.clone()));
    prepared
        .start_mcp()
        .await
        .map_err(|error| error.to_string())?;
    let manager = prepared.mcp.clone();

    let sdk_manager = crate::sdk_bridge::start(&mut prepared, &sdk_names, &shared.peer).await?;

    let checkpoints = request.enable_file_checkpointing == Some(true);
    open_checkpoints(&mut prepared, checkpoints)?;

    let asker: Option<Arc<dyn Asker>> = match shared.options.permission_prompt_tool.as_deref() {
        Some("stdio") => Some(Arc::new(SdkAsker::new(shared.peer.clone()))),
        Some(name) => match prepared.tools.get(name) {
            Some(tool) => Some(Arc::new(McpPromptAsker::new(
                Arc::clone(tool),
                prepared.cwd.clone(),
            ))),
            None => {
                return Err(format!(
                    "--permission-prompt-tool {name}: no such tool (expected stdio or an MCP tool name such as mcp__server__tool)"
                ));
            }
        },
        None => None,
    };

    let rules = SessionRules::default();
    let asker = asker.map(|inner| {
        Arc::new(RecordingAsker {
            inner,
            rules: rules.clone(),
        }) as Arc<dyn Asker>
    });
    let agents: Vec<AgentInfo> = prepared
        .subagents
        .iter()
        .map(|agent| AgentInfo {
            name: agent.name.clone(),
            description: agent.description.clone(),
            model: None,
        })
        .collect();
    let default_model = Arc::clone(&prepared.model.model);
    let model_in_use = Arc::clone(&default_model);
    let model_env = shared.options.setup.env.clone();
    let settings_json = serde_json::to_value(&prepared.settings.merged).unwrap_or_default();
    let cwd = prepared.cwd.clone();
    let start_dirs = prepared.additional_dirs.clone();
    let model_name = prepared.model.model.name().to_owned();
    let blueprint = Blueprint {
        setup: blueprint_setup,
        hooks: sdk_hooks,
        managers: manager.iter().chain(&sdk_manager).cloned().collect(),
        checkpoints,
        asker: asker.clone(),
        rules,
    };
    let (agent, facts, session_hooks, info) = build_agent(prepared, asker, None)?;
    let controls = agent.controls();
    let session_id = agent.session_id().to_owned();

    let mut init = facts.to_system_init(uuid::Uuid::new_v4().to_string());
    init.mcp_servers = mcp_statuses(manager.as_ref(), sdk_manager.as_ref());
    init.capabilities = Some(CAPABILITIES.iter().map(|c| (*c).to_owned()).collect());
    shared
        .outbox
        .send(&StreamMessage::System(SystemMessage::Init(init)));

    let models = vec![ModelInfo {
        value: model_name.clone(),
        display_name: model_name
            .rsplit('/')
            .next()
            .unwrap_or(&model_name)
            .to_owned(),
        description: String::new(),
        is_default: Some(true),
        is_enabled: Some(true),
        extra: Map::new(),
    }];
    let response = InitializeResponse {
        commands: Vec::new(),
        agents,
        skills: None,
        output_style: "default".to_owned(),
        available_output_styles: vec!["default".to_owned()],
        models: models.clone(),
        account: Map::new(),
        capabilities: CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        permission_mode: Some(ferrule_agent::mode_to_wire(facts.mode)),
        memory: None,
        evolution: None,
        fast_mode_state: None,
        extra: Map::new(),
    };
    *lock(&shared.ready) = Some(Ready {
        controls,
        session_id,
        facts,
        manager,
        sdk_manager,
        models,
        default_model,
        model_env,
        settings_json,
        cwd,
        start_dirs,
        before_plan: None,
        model: Arc::clone(&model_in_use),
        system_prompt: agent.system_prompt(),
        history: agent.messages().to_vec(),
        background: info.background.clone(),
        store: info
            .transcript_path
            .as_ref()
            .map(|_| SessionStore::new(&info.user_dir)),
        transcript_path: info.transcript_path,
        blueprint,
        watch: info.watch,
    });
    if agent_slot.send((agent, session_hooks)).is_err() {
        return Err("the session ended during initialize".to_owned());
    }
    serde_json::to_value(response).map_err(|error| error.to_string())
}

/// Builds the agent from everything prepared, with the SDK's asker (and
/// an earlier agent's read record, when given); also what the session
/// hooks need.
pub(crate) fn build_agent(
    prepared: Prepared,
    asker: Option<Arc<dyn Asker>>,
    file_state: Option<Arc<ferrule_tool::FileState>>,
) -> Result<(ferrule_agent::Agent, InitFacts, SessionHooks, HostInfo), String> {
    let hooks = Arc::clone(&prepared.hooks);
    let (mut builder, info) = prepared.into_builder();
    if let Some(asker) = asker {
        builder = builder.asker(asker);
    }
    if let Some(file_state) = file_state {
        builder = builder.file_state(file_state);
    }
    let agent = builder.build().map_err(|error| error.to_string())?;
    let facts = info.init_facts(agent.tool_names());
    let session = SessionHooks::new(hooks, &info);
    Ok((agent, facts, session, info))
}

/// Opens the file checkpoint store when `initialize` asked for it and the
/// settings did not already.
pub(crate) fn open_checkpoints(prepared: &mut Prepared, wanted: bool) -> Result<(), String> {
    if wanted && prepared.checkpoints.is_none() {
        let dir = SessionStore::new(&prepared.user_dir)
            .project_dir(&prepared.cwd)
            .join(prepared.session_id())
            .join("checkpoints");
        prepared.checkpoints = Some(CheckpointStore::open(dir).map_err(|error| error.to_string())?);
    }
    Ok(())
}

/// `initialize.agents` merged over `--agents` JSON (the request wins).
fn merge_agents(
    flag: Option<&str>,
    agents: &BTreeMap<String, ferrule_protocol::sdk::AgentDefinition>,
) -> Result<String, String> {
    let mut merged = match flag {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        None => Map::new(),
    };
    for (name, definition) in agents {
        let value = serde_json::to_value(definition).map_err(|e| e.to_string())?;
        merged.insert(name.clone(), value);
    }
    serde_json::to_string(&Value::Object(merged)).map_err(|e| e.to_string())
}

/// Every MCP server's state: the configured servers, then the SDK's.
pub(crate) fn mcp_statuses(
    manager: Option<&McpManager>,
    sdk: Option<&McpManager>,
) -> Vec<McpServerStatus> {
    manager
        .into_iter()
        .chain(sdk)
        .flat_map(McpManager::status)
        .collect()
}
