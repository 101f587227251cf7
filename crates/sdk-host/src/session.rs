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
use ferrule_setup::{InitFacts, Prepared, SessionHooks, SystemPromptChoice};
use serde_json::{Map, Value};

use crate::asker::{McpPromptAsker, SdkAsker};
use crate::callbacks::SdkCallbacks;
use crate::host::{Shared, lock};
use crate::sdk_mcp::{SdkMcpServer, failed_status};

/// Capabilities advertised in `initialize` and `system/init`: only what
/// works (§6.1; the Python SDK gates methods on them).
pub(crate) const CAPABILITIES: &[&str] = &["plan_mode_v1", "interrupt_cancel_queued_v1"];

/// What the control handlers need once the session is up.
pub(crate) struct Ready {
    pub(crate) controls: AgentControls,
    pub(crate) session_id: String,
    pub(crate) facts: InitFacts,
    /// States of the SDK servers this host connected.
    pub(crate) mcp: Vec<McpServerStatus>,
    /// The other MCP servers, run by ferrule-mcp.
    pub(crate) manager: Option<McpManager>,
    pub(crate) models: Vec<ModelInfo>,
    /// The model the session started with (`set_model` with `null`).
    pub(crate) default_model: Arc<dyn ferrule_model::Model>,
    /// For building models by name (`set_model`).
    pub(crate) model_env: BTreeMap<String, String>,
    pub(crate) settings_json: Value,
    pub(crate) cwd: PathBuf,
    /// The mode to return to when plan mode is switched off.
    pub(crate) before_plan: Option<Mode>,
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
    let mut prepared = ferrule_setup::prepare(setup).map_err(|error| error.to_string())?;

    if let Some(hooks) = &request.hooks
        && !hooks.is_empty()
    {
        let value = serde_json::to_value(hooks).map_err(|e| e.to_string())?;
        let callbacks = Arc::new(SdkCallbacks::new(shared.peer.clone()));
        prepared.rebuild_hooks(|builder| builder.sdk_hooks(&value, callbacks));
    }

    // SDK servers are reached over `mcp_message` by this host; ferrule-mcp
    // starts the others (stdio, http, sse).
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

    let mut mcp = Vec::new();
    for name in sdk_names {
        match SdkMcpServer::connect(&name, shared.peer.clone()).await {
            Ok(server) => {
                for tool in server.tools() {
                    if let Err(error) = prepared.tools.register_arc(tool) {
                        tracing::warn!(server = %name, %error, "SDK MCP tool not registered");
                    }
                }
                mcp.push(server.status());
            }
            Err(error) => {
                tracing::warn!(%error, "SDK MCP server not connected");
                mcp.push(failed_status(&name, &error));
            }
        }
    }

    if request.enable_file_checkpointing == Some(true) && prepared.checkpoints.is_none() {
        let dir = SessionStore::new(&prepared.user_dir)
            .project_dir(&prepared.cwd)
            .join(prepared.session_id())
            .join("checkpoints");
        prepared.checkpoints = Some(CheckpointStore::open(dir).map_err(|error| error.to_string())?);
    }

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
    let model_env = shared.options.setup.env.clone();
    let settings_json = serde_json::to_value(&prepared.settings.merged).unwrap_or_default();
    let cwd = prepared.cwd.clone();
    let model_name = prepared.model.model.name().to_owned();
    let (agent, facts, session_hooks) = build_agent(prepared, asker)?;
    let controls = agent.controls();
    let session_id = agent.session_id().to_owned();

    let mut init = facts.to_system_init(uuid::Uuid::new_v4().to_string());
    init.mcp_servers = mcp_statuses(manager.as_ref(), &mcp);
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
        mcp,
        manager,
        models,
        default_model,
        model_env,
        settings_json,
        cwd,
        before_plan: None,
    });
    if agent_slot.send((agent, session_hooks)).is_err() {
        return Err("the session ended during initialize".to_owned());
    }
    serde_json::to_value(response).map_err(|error| error.to_string())
}

/// Builds the agent from everything prepared, with the SDK's asker; also
/// what the session hooks need.
fn build_agent(
    prepared: Prepared,
    asker: Option<Arc<dyn Asker>>,
) -> Result<(ferrule_agent::Agent, InitFacts, SessionHooks), String> {
    let hooks = Arc::clone(&prepared.hooks);
    let (mut builder, info) = prepared.into_builder();
    if let Some(asker) = asker {
        builder = builder.asker(asker);
    }
    let agent = builder.build().map_err(|error| error.to_string())?;
    let facts = info.init_facts(agent.tool_names());
    let session = SessionHooks::new(hooks, &info);
    Ok((agent, facts, session))
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

/// Every MCP server's state: ferrule-mcp's servers, then the SDK's.
pub(crate) fn mcp_statuses(
    manager: Option<&McpManager>,
    sdk: &[McpServerStatus],
) -> Vec<McpServerStatus> {
    let mut all = manager.map(McpManager::status).unwrap_or_default();
    all.extend(sdk.iter().cloned());
    all
}
