//! The turn loop (`cloud-api.md` §7.4): a `user.message` starts a worker
//! that runs the ferrule agent in the session's working directory and
//! stores its events as session events, pausing for confirmations and
//! custom tool results, until the turn ends or is cancelled.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ferrule_agent::{AgentBuilder, SystemPrompt, UserInput};
use ferrule_model::{HttpOptions, Model, ModelSettings, resolve_model};
use ferrule_permissions::{Behavior, PolicyBuilder, RuleSource};
use ferrule_protocol::{AgentError, AgentErrorKind, ContentBlock, Message, TurnOutcome};
use ferrule_tool::ToolRegistry;
use ferrule_tools::{BuiltinOptions, builtin_tools};
use serde_json::{Value, json};
use sqlx::Row;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::mapping::{EventMapper, error_event};
use crate::pause::{CloudAsker, WriterMsg, client_tools};
use crate::toolset::{self, Policy, ToolPlan};
use crate::writer::{Sink, write_events};

/// Loop tools of the agent crate the Cloud API does not offer.
const HIDDEN_LOOP_TOOLS: [&str; 4] = ["Agent", "AskUserQuestion", "EnterPlanMode", "ExitPlanMode"];

/// What starts a turn: the user's content and an optional system note.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TurnInput {
    /// Content blocks of the `user.message` events.
    pub(crate) content: Vec<Value>,
    /// Text of a trailing `system.message`.
    pub(crate) system_note: Option<String>,
}

impl TurnInput {
    /// The input of a batch of stored client events.
    pub(crate) fn from_events(events: &[Value]) -> Self {
        let mut input = Self {
            content: Vec::new(),
            system_note: None,
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

    fn user_input(&self) -> UserInput {
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

/// Starts a turn for events just stored; the caller holds the session lock.
pub(crate) async fn start_locked(
    state: &AppState,
    session_id: &str,
    stored: &[Value],
) -> ApiResult<()> {
    let input = TurnInput::from_events(stored);
    let cancel = state.live.start(session_id);
    let marker = serde_json::to_string(&input).map_err(ApiError::internal)?;
    let result = async {
        mark_live(state, session_id, Some(&marker)).await?;
        state
            .store
            .append_locked(
                session_id,
                vec![json!({"type": "session.status_running"})],
                Some("running"),
            )
            .await
    }
    .await;
    if let Err(error) = result {
        state.live.finish(session_id);
        return Err(error);
    }
    spawn(state, session_id, input, cancel);
    Ok(())
}

fn spawn(state: &AppState, session_id: &str, input: TurnInput, cancel: CancellationToken) {
    let task_state = state.clone();
    let session_id = session_id.to_owned();
    state.tasks.spawn(async move {
        run(task_state, session_id, input, cancel).await;
    });
}

/// Cancels a live turn and waits (up to 5 s) until it has ended.
pub(crate) async fn cancel_and_wait(state: &AppState, session_id: &str) {
    if !state.live.cancel(session_id) {
        return;
    }
    for _ in 0..250 {
        if !state.live.is_live(session_id) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Records (or clears) the input of the turn in flight, so a restart can
/// resume it.
async fn mark_live(state: &AppState, session_id: &str, marker: Option<&str>) -> ApiResult<()> {
    let updated = sqlx::query("UPDATE session_runtime SET live_turn = $1 WHERE session_id = $2")
        .bind(marker)
        .bind(session_id)
        .execute(&state.store.pool)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO session_runtime (session_id, history, live_turn) VALUES ($1, '[]', $2)",
        )
        .bind(session_id)
        .bind(marker)
        .execute(&state.store.pool)
        .await?;
    }
    Ok(())
}

async fn load_history(state: &AppState, session_id: &str) -> ApiResult<Vec<Message>> {
    let row = sqlx::query("SELECT history FROM session_runtime WHERE session_id = $1")
        .bind(session_id)
        .fetch_optional(&state.store.pool)
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("history")?;
    serde_json::from_str(&text).map_err(ApiError::internal)
}

/// Resumes the turns that were live when the server stopped.
pub(crate) async fn resume_all(state: &AppState) -> ApiResult<()> {
    let rows = sqlx::query(
        "SELECT session_id, live_turn FROM session_runtime WHERE live_turn IS NOT NULL",
    )
    .fetch_all(&state.store.pool)
    .await?;
    for row in rows {
        let session_id: String = row.try_get("session_id")?;
        let marker: String = row.try_get("live_turn")?;
        let Ok(input) = serde_json::from_str::<TurnInput>(&marker) else {
            continue;
        };
        if crate::sessions::load(state, &session_id).await.is_err() {
            continue;
        }
        tracing::info!(%session_id, "resuming a turn interrupted by shutdown");
        let lock = state.store.session_lock(&session_id);
        let _guard = lock.lock().await;
        let cancel = state.live.start(&session_id);
        state
            .store
            .append_locked(
                &session_id,
                vec![json!({"type": "session.status_rescheduled", "status": "rescheduling"})],
                Some("rescheduling"),
            )
            .await?;
        state
            .store
            .append_locked(
                &session_id,
                vec![json!({"type": "session.status_running"})],
                Some("running"),
            )
            .await?;
        spawn(state, &session_id, input, cancel);
    }
    Ok(())
}

/// The model for an agent's model ID (`cloud-api.md` §3): `provider/model`
/// directly, an alias from settings, else the server default.
fn build_model(
    state: &AppState,
    agent: &Value,
    cwd: &std::path::Path,
) -> Result<Arc<dyn Model>, String> {
    let id = match &agent["model"] {
        Value::String(id) => id.clone(),
        other => other["id"].as_str().unwrap_or_default().to_owned(),
    };
    let settings = ModelSettings {
        model_aliases: state.config.model_aliases.clone(),
        ..ModelSettings::default()
    };
    let flag =
        (id.contains('/') || settings.model_aliases.contains_key(&id)).then_some(id.as_str());
    let resolved =
        resolve_model(flag, &state.config.model_env, &settings).map_err(|e| e.to_string())?;
    resolved
        .build(cwd, HttpOptions::default())
        .map_err(|e| e.to_string())
}

fn registry(
    state: &AppState,
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
    if plan
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

fn policy(plan: &ToolPlan, cwd: &std::path::Path, home: &std::path::Path) -> PolicyBuilder {
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

async fn run(state: AppState, session_id: String, input: TurnInput, cancel: CancellationToken) {
    let started = Instant::now();
    let outcome = drive(&state, &session_id, input, &cancel).await;
    if state.shutdown.is_cancelled() {
        // Left marked: the next start resumes it.
        state.live.finish(&session_id);
        return;
    }
    let (mut events, retries_exhausted) = match outcome {
        Ok(TurnOutcome::Failed) => (vec![], true),
        Ok(TurnOutcome::MaxTurns) => {
            let error = AgentError {
                kind: AgentErrorKind::Other,
                message: "The turn reached the cap on model requests.".into(),
                status: None,
            };
            (vec![error_event(&error, "terminal")], false)
        }
        Ok(_) => (vec![], false),
        Err(message) => {
            let error = AgentError {
                kind: AgentErrorKind::Other,
                message,
                status: None,
            };
            (vec![error_event(&error, "exhausted")], true)
        }
    };
    let stop = if retries_exhausted {
        "retries_exhausted"
    } else {
        "end_turn"
    };
    events.push(
        json!({"type": "session.status_idle", "status": "idle", "stop_reason": {"type": stop}}),
    );
    let lock = state.store.session_lock(&session_id);
    let _guard = lock.lock().await;
    let _ = mark_live(&state, &session_id, None).await;
    let elapsed = started.elapsed().as_secs_f64();
    if let Ok(mut session) = crate::sessions::load(&state, &session_id).await {
        let active = session.body["stats"]["active_seconds"]
            .as_f64()
            .unwrap_or(0.0)
            + elapsed;
        session.body["stats"]["active_seconds"] = json!(active);
        let columns = crate::store::session_columns(&session.body);
        let _ =
            crate::db::update_object(&state.store.pool, &session_id, &session.body, &columns).await;
    }
    state.live.finish(&session_id);
    if let Err(error) = state
        .store
        .append_locked(&session_id, events, Some("idle"))
        .await
    {
        tracing::error!(%session_id, %error, "storing the end of a turn failed");
    }
}

/// Runs the agent for one turn; `Err` when it could not even start.
async fn drive(
    state: &AppState,
    session_id: &str,
    input: TurnInput,
    cancel: &CancellationToken,
) -> Result<TurnOutcome, String> {
    let session = crate::sessions::load(state, session_id)
        .await
        .map_err(|e| e.message)?;
    let agent_json = &session.body["agent"];
    let cwd: PathBuf = state.config.data_dir.join("workspaces").join(session_id);
    std::fs::create_dir_all(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
    let model = build_model(state, agent_json, &cwd)?;
    let plan = toolset::plan(&agent_json["tools"]);
    let history = load_history(state, session_id)
        .await
        .map_err(|e| e.message)?;
    let incremental = session.body["incremental_streaming_enabled"]
        .as_bool()
        .unwrap_or(false);
    let vault_ids: Vec<String> = session.body["vault_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    let secrets = crate::vaults::environment(state, &vault_ids).await?;
    let (writer, inbox) = mpsc::unbounded_channel();
    let stopped = Arc::new(AtomicBool::new(false));
    let writer_task = tokio::spawn(write_events(
        state.clone(),
        session_id.to_owned(),
        EventMapper::new(plan.clone(), incremental),
        inbox,
        stopped.clone(),
    ));
    let home = cwd.clone();
    let env: BTreeMap<String, String> = session.body["environment_variables"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .chain(secrets)
        .chain([("HOME".to_owned(), home.display().to_string())])
        .collect();
    let system = agent_json["system"].as_str().unwrap_or_default();
    let mut prompt = SystemPrompt::new().environment(ferrule_agent::EnvironmentFacts::detect(&cwd));
    if !system.is_empty() {
        prompt = prompt.replace(system);
    }
    let built = AgentBuilder::new(model, registry(state, session_id, &plan, &writer), &cwd)
        .policy_builder(policy(&plan, &cwd, &home))
        .asker(Arc::new(CloudAsker {
            plan: plan.clone(),
            writer: writer.clone(),
        }))
        .system_prompt(prompt)
        .max_turns(state.config.max_model_requests)
        .session_id(session_id)
        .history(history)
        .env(env)
        .exclude_tools(HIDDEN_LOOP_TOOLS)
        .build();
    let mut agent = match built {
        Ok(agent) => agent,
        Err(error) => {
            drop(writer);
            let _ = writer_task.await;
            return Err(format!("cannot start the agent: {error}"));
        }
    };
    let controls = agent.controls();
    let watcher = {
        let cancel = cancel.clone();
        let shutdown = state.shutdown.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = shutdown.cancelled() => {}
            }
            // Nothing from the aborted work is stored after this point.
            stopped.store(true, Ordering::SeqCst);
            controls.interrupt();
        })
    };
    let sink = Sink {
        writer: writer.clone(),
    };
    let result = agent.run(input.user_input(), &sink).await;
    watcher.abort();
    drop(sink);
    drop(writer);
    let messages = agent.messages().to_vec();
    drop(agent);
    let _ = writer_task.await;
    // A turn stopped by shutdown is re-run from its input on the next
    // start, so its partial exchange is not kept.
    if state.shutdown.is_cancelled() {
        return Ok(result.outcome);
    }
    if let Ok(history) = serde_json::to_string(&messages) {
        let _ = sqlx::query("UPDATE session_runtime SET history = $1 WHERE session_id = $2")
            .bind(history)
            .bind(session_id)
            .execute(&state.store.pool)
            .await;
    }
    Ok(result.outcome)
}
