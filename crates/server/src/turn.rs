//! The turn loop (`cloud-api.md` §7.4). A `user.message` marks a turn and
//! queues a work item ([`start_locked`]); whichever worker claims the item —
//! one of the server's own ([`crate::worker`]) or `ferrule-server worker` on
//! another machine — runs [`run_turn`] against a [`SessionBackend`]: the
//! ferrule agent in the session's working directory, its events stored as
//! session events, pausing for confirmations and custom tool results, until
//! the turn ends, is cancelled, or the worker gives it back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrule_agent::UserInput;
use ferrule_model::{HttpOptions, Model, ModelSettings, resolve_model};
use ferrule_permissions::{Behavior, PolicyBuilder, RuleSource};
use ferrule_protocol::ContentBlock;
use ferrule_tool::ToolRegistry;
use ferrule_tools::{BuiltinOptions, builtin_tools};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::app::{AppState, ServerConfig};
use crate::error::{ApiError, ApiResult};
use crate::pause::{WriterMsg, client_tools};
use crate::toolset::{Policy, ToolPlan};
use crate::{ids, runtime, work};

/// Loop tools of the agent crate the Cloud API does not offer.
pub(crate) const HIDDEN_LOOP_TOOLS: [&str; 6] = [
    "Agent",
    "AskUserQuestion",
    "EnterPlanMode",
    "ExitPlanMode",
    "EnterWorktree",
    "ExitWorktree",
];

/// What starts a turn: the user's content and an optional system note.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TurnInput {
    /// Content blocks of the `user.message` events.
    pub(crate) content: Vec<Value>,
    /// Text of a trailing `system.message`.
    pub(crate) system_note: Option<String>,
    /// The work item that runs the turn.
    #[serde(default)]
    pub(crate) work_id: Option<String>,
    /// Whether a runner has begun it (a later runner resumes it).
    #[serde(default)]
    pub(crate) started: bool,
    /// Whether `session.status_running` was stored when it was queued
    /// (built-in environments, whose workers are the server's own); else
    /// the runner that begins it stores it.
    #[serde(default)]
    pub(crate) announced: bool,
}

impl TurnInput {
    /// The input of a batch of stored client events.
    pub(crate) fn from_events(events: &[Value]) -> Self {
        let mut input = Self {
            content: Vec::new(),
            system_note: None,
            work_id: None,
            started: false,
            announced: false,
        };
        for event in events {
            match event["type"].as_str() {
                Some("user.message") => {
                    input
                        .content
                        .extend(event["content"].as_array().cloned().unwrap_or_default());
                }
                Some("system.message") => {
                    let text: Vec<&str> = event["content"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|b| b["text"].as_str())
                        .collect();
                    input.system_note = Some(text.join("\n"));
                }
                _ => {}
            }
        }
        input
    }

    /// The agent input: the content, then the system note as a reminder.
    pub(crate) fn user_input(&self) -> UserInput {
        let mut blocks: Vec<ContentBlock> = self
            .content
            .iter()
            .filter_map(|block| match block["type"].as_str() {
                Some("text") => Some(ContentBlock::text(
                    block["text"].as_str().unwrap_or_default(),
                )),
                _ => serde_json::from_value(block.clone()).ok(),
            })
            .collect();
        if let Some(note) = &self.system_note {
            blocks.push(ContentBlock::text(format!(
                "<system-reminder>\n{note}\n</system-reminder>"
            )));
        }
        UserInput::blocks(blocks)
    }
}

/// Whether the session has a turn in flight (queued, running or paused).
pub(crate) async fn is_busy(state: &AppState, session_id: &str) -> ApiResult<bool> {
    Ok(runtime::marker(state, session_id).await?.is_some())
}

fn busy() -> ApiError {
    ApiError::state_conflict(
        "Session is currently processing a turn. Cancel the current turn or wait for completion.",
    )
}

/// Starts a turn for events just stored; the caller holds the session
/// lock. The turn is marked, then queued as a work item of the session's
/// environment.
pub(crate) async fn start_locked(
    state: &AppState,
    session: &Value,
    stored: &[Value],
) -> ApiResult<()> {
    let session_id = session["id"].as_str().unwrap_or_default();
    let environment = session["environment_id"].as_str().unwrap_or_default();
    let mut input = TurnInput::from_events(stored);
    let work_id = ids::new_id("work_");
    input.work_id = Some(work_id.clone());
    // The server's own workers take built-in turns at once; a self-hosted
    // turn runs when an external worker begins it.
    input.announced = !work::is_self_hosted(state, environment).await?;
    if !runtime::claim_turn(state, session_id, &input).await? {
        return Err(busy());
    }
    let queued = async {
        if input.announced {
            state
                .store
                .append_locked(
                    session_id,
                    vec![json!({"type": "session.status_running"})],
                    Some("running"),
                )
                .await?;
        }
        work::enqueue_as(
            state,
            &work_id,
            environment,
            session_id,
            &session["metadata"],
        )
        .await
    }
    .await;
    if let Err(error) = queued {
        runtime::clear_turn(state, session_id).await?;
        return Err(error);
    }
    Ok(())
}

/// Asks the session's turn and its child threads to stop (`user.interrupt`,
/// cancel); false when none is in flight. A turn no worker has taken yet ends here at once.
pub(crate) async fn request_cancel(state: &AppState, session_id: &str) -> ApiResult<bool> {
    // Every thread of a multiagent session stops with it.
    let threads = crate::multiagent::cancel_threads(state, session_id, None).await?;
    if !runtime::request_cancel(state, session_id).await? {
        return Ok(threads);
    }
    state.live.wake(session_id);
    let Some(marker) = runtime::marker(state, session_id).await? else {
        return Ok(true);
    };
    if marker.started {
        return Ok(true);
    }
    let Some(work_id) = marker.work_id else {
        return Ok(true);
    };
    let (_, stopped) = work::queue::update(&state.store.pool, &work_id, |item| {
        let unclaimed = item.state() == "queued";
        if unclaimed {
            work::queue::stop(item, true);
        }
        Ok(unclaimed)
    })
    .await?;
    if stopped {
        let lock = state.store.session_lock(session_id);
        let _guard = lock.lock().await;
        runtime::clear_turn(state, session_id).await?;
        state
            .store
            .append_locked(session_id, vec![idle("end_turn")], Some("idle"))
            .await?;
    }
    Ok(true)
}

/// Cancels the turn in flight and waits (up to 5 s) until it has ended.
pub(crate) async fn cancel_and_wait(state: &AppState, session_id: &str) {
    if !matches!(request_cancel(state, session_id).await, Ok(true)) {
        return;
    }
    for _ in 0..250 {
        if !matches!(is_busy(state, session_id).await, Ok(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Queues the turns that were in flight when the server stopped and have
/// no live work item (items given back or still leased are served by the
/// queue itself).
pub(crate) async fn resume_all(state: &AppState) -> ApiResult<()> {
    for (session_id, marker) in runtime::all_markers(state).await? {
        let Ok(session) = crate::sessions::load(state, &session_id).await else {
            continue;
        };
        let Some(mut input) = marker else {
            runtime::clear_turn(state, &session_id).await?;
            continue;
        };
        let open = match &input.work_id {
            Some(id) => work::queue::get(&state.store.pool, id)
                .await?
                .is_some_and(|item| item.state() != "stopped"),
            None => false,
        };
        if open {
            continue;
        }
        tracing::info!(%session_id, "queueing a turn interrupted by shutdown");
        let work_id = ids::new_id("work_");
        input.work_id = Some(work_id.clone());
        input.started = true;
        runtime::set_marker(state, &session_id, &input).await?;
        let environment = session.body["environment_id"].as_str().unwrap_or_default();
        work::enqueue_as(
            state,
            &work_id,
            environment,
            &session_id,
            &session.body["metadata"],
        )
        .await?;
    }
    Ok(())
}

fn idle(stop: &str) -> Value {
    json!({"id": ids::new_id("evt_"), "type": "session.status_idle", "status": "idle",
           "stop_reason": {"type": stop}})
}

/// What the turn loop takes from the server's (or the worker's) settings.
#[derive(Debug, Clone)]
pub(crate) struct TurnConfig {
    /// Where session working directories go (`<dir>/<session id>`).
    pub(crate) workspaces: PathBuf,
    /// Model aliases.
    pub(crate) model_aliases: BTreeMap<String, String>,
    /// Environment the model providers read.
    pub(crate) model_env: BTreeMap<String, String>,
    /// Cap on model requests per turn.
    pub(crate) max_model_requests: Option<u32>,
}

impl TurnConfig {
    /// The settings of a server (or worker) configuration.
    pub(crate) fn from_config(config: &ServerConfig) -> Self {
        Self {
            workspaces: config.data_dir.join("workspaces"),
            model_aliases: config.model_aliases.clone(),
            model_env: config.model_env.clone(),
            max_model_requests: config.max_model_requests,
        }
    }
}

/// The model for an agent's model ID (`cloud-api.md` §3): `provider/model`
/// directly, an alias from settings, else the server default.
pub(crate) fn build_model(
    config: &TurnConfig,
    agent: &Value,
    cwd: &Path,
) -> Result<Arc<dyn Model>, String> {
    let id = match &agent["model"] {
        Value::String(id) => id.clone(),
        other => other["id"].as_str().unwrap_or_default().to_owned(),
    };
    let settings = ModelSettings {
        model_aliases: config.model_aliases.clone(),
        ..ModelSettings::default()
    };
    let flag =
        (id.contains('/') || settings.model_aliases.contains_key(&id)).then_some(id.as_str());
    let resolved = resolve_model(flag, &config.model_env, &settings).map_err(|e| e.to_string())?;
    resolved
        .build(cwd, HttpOptions::default())
        .map_err(|e| e.to_string())
}

/// The tools of a turn: the plan's built-ins, `DeliverArtifacts` when the
/// turn runs in the server process (`local`), and the custom tools.
pub(crate) fn registry(
    local: Option<&AppState>,
    session_id: &str,
    plan: &ToolPlan,
    writer: &mpsc::UnboundedSender<WriterMsg>,
) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    for tool in builtin_tools(&BuiltinOptions::default()) {
        if plan.builtins.iter().any(|(name, _)| *name == tool.name()) {
            let _ = registry.register_arc(tool);
        }
    }
    if let Some(state) = local
        && plan
            .builtins
            .iter()
            .any(|(name, _)| *name == "DeliverArtifacts")
    {
        let _ = registry.register(crate::artifacts::DeliverArtifacts {
            state: state.clone(),
            session_id: session_id.to_owned(),
        });
    }
    for tool in client_tools(plan, writer) {
        let _ = registry.register_arc(tool);
    }
    registry
}

/// The permission rules of a turn, from the agent's tool plan.
pub(crate) fn policy(plan: &ToolPlan, cwd: &Path, home: &Path) -> PolicyBuilder {
    let names = |wanted: Policy| -> Vec<String> {
        plan.builtins
            .iter()
            .filter(|(_, p)| *p == wanted)
            .map(|(n, _)| (*n).to_owned())
            .collect()
    };
    let source = || RuleSource {
        path: None,
        root: cwd.to_path_buf(),
    };
    PolicyBuilder::new(cwd, home)
        .rules(Behavior::Deny, names(Policy::Deny), source())
        .rules(Behavior::Ask, names(Policy::Ask), source())
        .rules(Behavior::Allow, names(Policy::Allow), source())
        .rules(
            Behavior::Allow,
            plan.custom.iter().map(|tool| tool.name.clone()),
            source(),
        )
}
