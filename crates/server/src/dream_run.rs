//! Running a dream (`dreams.md`): claim it, clone the input memory store
//! (copy on write: the input is never modified), start a hidden session
//! whose agent has only the `dream_tools`, answer its tool calls until its
//! turn ends, and record the outcome, the touched paths and token usage.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::dream_tools::Workspace;
use crate::dreams;
use crate::error::ApiResult;
use crate::input::{JsonObject, QueryPairs};
use crate::{db, events, ids, memories, memory_stores, sessions};

const SYSTEM: &str = "You consolidate a memory store. Review the sessions you are given \
    (session_list, session_read) and the memories (memory: list, read), then reorganize the \
    store: merge duplicates, delete outdated or wrong memories, and add what the sessions \
    taught that is missing. Keep each memory focused, with a clear path. Work only through \
    your tools and finish with a short summary of what you changed.";

/// How often a running dream records that its process is alive.
const HEARTBEAT_MICROS: i64 = 5_000_000;

/// Why a dream did not complete.
enum Stop {
    /// Failed with `{type, message}`.
    Failed(&'static str, String),
    /// Canceled by the user (already recorded).
    Canceled,
}

impl From<crate::error::ApiError> for Stop {
    fn from(error: crate::error::ApiError) -> Self {
        Self::Failed("internal_error", error.message)
    }
}

/// Claims a pending dream and runs it in the background; a dream already
/// claimed (by this or another replica) is left alone.
pub(crate) async fn start(state: &AppState, id: &str) -> ApiResult<()> {
    let claimed = sqlx::query(
        "UPDATE objects SET status = 'running' WHERE id = $1 AND kind = $2 AND status = 'pending'",
    )
    .bind(id)
    .bind(dreams::KIND)
    .execute(&state.store.pool)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(());
    }
    let mut dream = dreams::load(state, id).await?.body;
    dream["status"] = json!("running");
    dream["heartbeat_at"] = json!(jiff::Timestamp::now().as_microsecond());
    update_running(state, &dream).await?;
    let state = state.clone();
    let tasks = state.tasks.clone();
    tasks.spawn(async move {
        let mut usage = Usage::default();
        let mut workspace = None;
        let outcome = run(&state, &mut dream, &mut usage, &mut workspace).await;
        finish(&state, dream, outcome, usage, workspace).await;
    });
    Ok(())
}

/// Rewrites a running dream unless it was canceled meanwhile.
async fn update_running(state: &AppState, dream: &Value) -> ApiResult<bool> {
    let updated = sqlx::query("UPDATE objects SET body = $1 WHERE id = $2 AND status = 'running'")
        .bind(dream.to_string())
        .bind(dream["id"].as_str().unwrap_or_default())
        .execute(&state.store.pool)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Interrupts the dreaming session's turn (cancel).
pub(crate) async fn interrupt(state: &AppState, session_id: &str) {
    if let Ok(events) = events::validate_batch(&[json!({"type": "user.interrupt"})]) {
        let _ = events::accept(state, session_id, events).await;
    }
}

/// Copies every memory of `source` into a new store; returns its ID.
async fn clone_store(state: &AppState, source: &str) -> ApiResult<String> {
    let original = memory_stores::load(state, source).await?.body;
    let mut body = Map::new();
    let name = original["name"].as_str().unwrap_or("memory");
    let name: String = format!("{name} (consolidated)").chars().take(64).collect();
    body.insert("name".into(), json!(name));
    body.insert("description".into(), original["description"].clone());
    body.insert("metadata".into(), original["metadata"].clone());
    let (_, Json(copy)) = memory_stores::create(State(state.clone()), JsonObject(body)).await?;
    let copy_id = copy["id"].as_str().unwrap_or_default().to_owned();
    for entry in Workspace::entries(state, source).await? {
        let mut body = Map::new();
        for key in ["path", "content", "metadata"] {
            body.insert(key.into(), entry[key].clone());
        }
        let _created = memories::create(
            State(state.clone()),
            Path(copy_id.clone()),
            QueryPairs::default(),
            JsonObject(body),
        )
        .await?;
    }
    Ok(copy_id)
}

/// The hidden session's agent: only the dream tools.
fn agent(dream: &Value) -> Value {
    json!({
        "id": null, "type": "agent", "version": 1,
        "name": "memory-consolidation",
        "description": "Consolidates a memory store (dreams).",
        "model": dream["model"],
        "system": SYSTEM,
        "tools": crate::dream_tools::definitions(),
        "skills": [], "mcp_servers": [],
    })
}

fn prompt(dream: &Value) -> String {
    let mut text = "Consolidate the memory store now.".to_owned();
    if let Some(instructions) = dream["instructions"].as_str().filter(|s| !s.is_empty()) {
        text.push_str("\n\nInstructions from the user: ");
        text.push_str(instructions);
    }
    text
}

/// Token counts summed over the session's model requests.
#[derive(Debug, Default, Clone, Copy)]
struct Usage([i64; 4]);

const USAGE_KEYS: [&str; 4] = [
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
];

impl Usage {
    fn add(&mut self, usage: &Value) {
        for (slot, key) in self.0.iter_mut().zip(USAGE_KEYS) {
            *slot += usage[key].as_i64().unwrap_or(0);
        }
    }

    fn json(self) -> Value {
        let map: Map<String, Value> = USAGE_KEYS
            .iter()
            .zip(self.0)
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        Value::Object(map)
    }
}

async fn run(
    state: &AppState,
    dream: &mut Value,
    usage: &mut Usage,
    workspace: &mut Option<Workspace>,
) -> Result<(), Stop> {
    let inputs = dream["inputs"].as_array().cloned().unwrap_or_default();
    let source = inputs
        .iter()
        .find_map(|i| i["memory_store_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let session_ids: Vec<String> = inputs
        .iter()
        .filter_map(|i| i["session_ids"].as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    let store_id = match dream["output_behavior"]["memory_store_id"].as_str() {
        Some(target) => target.to_owned(),
        None => clone_store(state, &source).await?,
    };
    *workspace = Some(Workspace {
        store_id,
        session_ids,
        touched: BTreeSet::new(),
    });
    let environment = db::meta_get(&state.store.pool, "default_environment")
        .await
        .map_err(crate::error::ApiError::from)?
        .unwrap_or_default();
    let mut request = Map::new();
    request.insert("environment_id".into(), json!(environment));
    request.insert(
        "title".into(),
        json!(format!("Dream {}", dream["id"].as_str().unwrap_or(""))),
    );
    request.insert(
        "initial_events".into(),
        json!([{"type": "user.message", "content": [{"type": "text", "text": prompt(dream)}]}]),
    );
    let mut extra = Map::new();
    extra.insert("dream_id".into(), dream["id"].clone());
    let session = sessions::create_session(state, &request, Some(agent(dream)), extra)
        .await
        .map_err(|e| {
            Stop::Failed(
                "internal_error",
                format!("cannot start the dreaming session: {}", e.message),
            )
        })?;
    let session_id = session["id"].as_str().unwrap_or_default().to_owned();
    dream["session_id"] = json!(session_id);
    if !update_running(state, dream).await? {
        interrupt(state, &session_id).await;
        return Err(Stop::Canceled);
    }
    let Some(workspace) = workspace.as_mut() else {
        return Err(Stop::Failed("internal_error", "no workspace".into()));
    };
    converse(state, dream, &session_id, workspace, usage).await
}

/// Answers the session's tool calls until its turn ends.
async fn converse(
    state: &AppState,
    dream: &Value,
    session_id: &str,
    workspace: &mut Workspace,
    usage: &mut Usage,
) -> Result<(), Stop> {
    let dream_id = dream["id"].as_str().unwrap_or_default().to_owned();
    let mut feed = state.store.subscribe();
    let mut after: Option<i64> = None;
    let mut calls: HashMap<String, (String, Value)> = HashMap::new();
    let mut answered: BTreeSet<String> = BTreeSet::new();
    let mut last_error = None;
    loop {
        for event in state.store.events_after(session_id, after).await? {
            after = Some(event.seq);
            let body = &event.body;
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            match body["type"].as_str().unwrap_or_default() {
                "agent.custom_tool_use" => {
                    let name = body["name"].as_str().unwrap_or_default().to_owned();
                    calls.insert(id, (name, body["input"].clone()));
                }
                "span.model_request_end" => {
                    usage.add(body.get("model_usage").unwrap_or(&body["usage"]));
                }
                "session.error" => {
                    last_error = body["error"]["message"].as_str().map(str::to_owned);
                }
                "session.status_idle" => match body["stop_reason"]["type"].as_str() {
                    Some("requires_action") => {
                        let mut results = Vec::new();
                        for call_id in body["stop_reason"]["event_ids"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            if !answered.insert(call_id.to_owned()) {
                                continue;
                            }
                            let (name, input) = calls
                                .get(call_id)
                                .cloned()
                                .unwrap_or_else(|| (String::new(), Value::Null));
                            let (text, is_error) = match workspace.call(state, &name, &input).await
                            {
                                Ok(text) => (text, false),
                                Err(text) => (text, true),
                            };
                            results.push(json!({
                                "type": "user.custom_tool_result",
                                "custom_tool_use_id": call_id,
                                "content": [{"type": "text", "text": text}],
                                "is_error": is_error,
                            }));
                        }
                        if !results.is_empty() {
                            let results = events::validate_batch(&results)?;
                            events::accept(state, session_id, results).await?;
                        }
                    }
                    Some("end_turn") => {
                        if let Some(message) = last_error {
                            return Err(Stop::Failed("internal_error", message));
                        }
                        return Ok(());
                    }
                    other => {
                        let message = last_error.clone().unwrap_or_else(|| {
                            format!(
                                "the dreaming agent stopped ({})",
                                other.unwrap_or("unknown")
                            )
                        });
                        return Err(Stop::Failed("internal_error", message));
                    }
                },
                "session.status_terminated" | "session.deleted" => {
                    return Err(Stop::Failed(
                        "internal_error",
                        "the dreaming session ended".into(),
                    ));
                }
                _ => {}
            }
        }
        let mut current = dreams::load(state, &dream_id).await?.body;
        if current["status"] == "canceled" {
            interrupt(state, session_id).await;
            return Err(Stop::Canceled);
        }
        let now = jiff::Timestamp::now().as_microsecond();
        if now - current["heartbeat_at"].as_i64().unwrap_or(0) > HEARTBEAT_MICROS {
            current["heartbeat_at"] = json!(now);
            update_running(state, &current).await?;
        }
        tokio::select! {
            _ = feed.recv() => {}
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
            () = state.shutdown.cancelled() => {
                return Err(Stop::Failed("internal_error", "the server stopped during the dream".into()));
            }
        }
    }
}

/// Records the end state (unless the dream was canceled meanwhile).
async fn finish(
    state: &AppState,
    mut dream: Value,
    outcome: Result<(), Stop>,
    usage: Usage,
    workspace: Option<Workspace>,
) {
    let mut dream = dreams::render(dream.take());
    dream["usage"] = usage.json();
    dream["ended_at"] = json!(ids::timestamp(state.store.seq.next()));
    match outcome {
        Ok(()) => {
            let (store_id, touched) = workspace
                .map(|w| (json!(w.store_id), w.touched.into_iter().collect::<Vec<_>>()))
                .unwrap_or((Value::Null, Vec::new()));
            dream["status"] = json!("completed");
            dream["outputs"] = json!([{"type": "memory_store", "memory_store_id": store_id,
                                       "files_touched": touched}]);
        }
        Err(Stop::Failed(kind, message)) => {
            dream["status"] = json!("failed");
            dream["error"] = json!({"type": kind, "message": message});
        }
        Err(Stop::Canceled) => {
            // The cancel request recorded the status; keep its usage current.
            if let Ok(mut current) = dreams::load(state, dream["id"].as_str().unwrap_or("")).await {
                current.body["usage"] = usage.json();
                let _ = dreams::save(state, &current.body).await;
            }
            return;
        }
    }
    let status = dream["status"].as_str().unwrap_or_default().to_owned();
    let result = sqlx::query(
        "UPDATE objects SET body = $1, status = $2 WHERE id = $3 AND status = 'running'",
    )
    .bind(dream.to_string())
    .bind(&status)
    .bind(dream["id"].as_str().unwrap_or_default())
    .execute(&state.store.pool)
    .await;
    if let Err(error) = result {
        tracing::error!(%error, "recording the end of a dream failed");
    }
}
