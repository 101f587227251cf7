//! Sessions (`cloud-api.md` §6): create (pinning the agent version), read,
//! list, update, archive, delete and cancel.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::{self, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::input::{Fields, JsonObject, Order, QueryPairs, metadata_create, metadata_patch};
use crate::list::{self, Bind, ListSpec};
use crate::store::session_columns;
use crate::{agents, environments, envvars, events, ids, toolset};

const KIND: &str = "session";

/// The session's view of its agent: the snapshot without timestamps and
/// metadata, `model` as an object.
pub(crate) fn embed_agent(agent: &Value) -> Value {
    let mut embedded = agent.clone();
    if let Some(map) = embedded.as_object_mut() {
        for key in [
            "created_at",
            "updated_at",
            "archived_at",
            "archived",
            "metadata",
        ] {
            map.remove(key);
        }
        if map.get("multiagent").is_some_and(Value::is_null) {
            map.remove("multiagent");
        }
    }
    embedded["model"] = match &agent["model"] {
        Value::String(id) => json!({"id": id}),
        other => other.clone(),
    };
    embedded
}

/// Adds the fields computed at read time (`stats.duration_seconds`).
pub(crate) fn render(mut body: Value) -> Value {
    let created = body["created_at"].as_str().and_then(ids::parse_timestamp);
    if let Some(created) = created {
        let now = jiff::Timestamp::now().as_microsecond();
        body["stats"]["duration_seconds"] = json!(((now - created).max(0) as f64) / 1e6);
    }
    body
}

/// Reads a session or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Session", id))
}

async fn resolve_agent(state: &AppState, value: &Value) -> ApiResult<Value> {
    let (id, version, overrides) = match value {
        Value::String(id) if !id.is_empty() => (id.clone(), 0, None),
        Value::Object(map) => {
            let kind = map.get("type").and_then(Value::as_str);
            if !matches!(kind, Some("agent" | "agent_with_overrides")) {
                return Err(ApiError::field(
                    "agent",
                    "Field 'agent' must be an agent ID or {\"type\": \"agent\", \"id\": …}.",
                ));
            }
            let id = map
                .required_str("id")
                .map_err(|_| ApiError::required("agent.id"))?;
            let version = match map.get("version") {
                None | Some(Value::Null) => 0,
                Some(v) => v.as_i64().filter(|v| *v >= 0).ok_or_else(|| {
                    ApiError::field(
                        "agent.version",
                        "Field 'agent.version' must be a non-negative integer.",
                    )
                })?,
            };
            let overrides = (kind == Some("agent_with_overrides")).then(|| map.clone());
            (id, version, overrides)
        }
        _ => {
            return Err(ApiError::field(
                "agent",
                "Field 'agent' must be an agent ID string or an object.",
            ));
        }
    };
    if let Some(overrides) = &overrides
        && let Some(tools) = overrides.get("tools")
    {
        toolset::validate(tools, &[])?;
    }
    let current = agents::load(state, &id).await?;
    if !current.body["archived_at"].is_null() {
        return Err(ApiError::invalid(format!(
            "Agent '{id}' is archived and cannot start sessions."
        )));
    }
    let mut snapshot = if version == 0 {
        current.body
    } else {
        agents::load_version(state, &id, version).await?
    };
    if let Some(overrides) = overrides {
        for key in ["system", "model", "tools", "skills", "mcp_servers"] {
            if let Some(value) = overrides.get(key).filter(|v| !v.is_null()) {
                snapshot[key] = value.clone();
            }
        }
    }
    Ok(embed_agent(&snapshot))
}

/// `POST /sessions`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    create_session(&state, &body, None, Map::new())
        .await
        .map(Json)
}

/// Creates a session from a create request body and sends its initial
/// events. `embedded` replaces resolving `agent` (an internal agent such as
/// a dream's); `extra` fields are set on the session before it is stored
/// (`deployment_id`, …).
pub(crate) async fn create_session(
    state: &AppState,
    body: &Map<String, Value>,
    embedded: Option<Value>,
    extra: Map<String, Value>,
) -> ApiResult<Value> {
    let state = state.clone();
    for legacy in [
        "environment",
        "delta_flush_interval_ms",
        "vaults",
        "memory_store_ids",
    ] {
        if body.contains_key(legacy) {
            return Err(ApiError::field(
                legacy,
                format!("Field '{legacy}' is no longer supported."),
            ));
        }
    }
    let agent_value = match &embedded {
        Some(agent) => agent,
        None => body
            .get("agent")
            .filter(|v| !v.is_null())
            .ok_or_else(|| ApiError::required("agent"))?,
    };
    let environment_id = body.required_str("environment_id")?;
    let title = body.opt_str("title")?;
    let metadata = metadata_create(body)?;
    let variables = envvars::parse(body.get("environment_variables").unwrap_or(&Value::Null))?;
    let incremental = body
        .opt_bool("incremental_streaming_enabled")?
        .unwrap_or(false);
    let resources = body.opt_array("resources")?.cloned().unwrap_or_default();
    crate::resources::check_create(&state, &resources).await?;
    let initial = match body.opt_array("initial_events")? {
        Some(items) => events::validate_batch(items)?,
        None => Vec::new(),
    };
    let agent = match &embedded {
        Some(agent) => agent.clone(),
        None => resolve_agent(&state, agent_value).await?,
    };
    let environment = environments::load(&state, &environment_id).await?;
    if !environment.body["archived_at"].is_null() {
        return Err(ApiError::invalid(format!(
            "Environment '{environment_id}' is archived and cannot host new sessions."
        )));
    }
    let self_hosted = environment.body["config"]["type"] == "self_hosted";
    if self_hosted && !resources.is_empty() {
        return Err(ApiError::field(
            "resources",
            "resources are not supported on self_hosted environments.",
        ));
    }
    if self_hosted && !variables.is_empty() {
        return Err(ApiError::field(
            "environment_variables",
            "environment_variables are not supported on self_hosted environments.",
        ));
    }
    let vault_ids = match body.opt_array("vault_ids")? {
        Some(ids) => crate::vaults::check_ids(&state, ids).await?,
        None => Vec::new(),
    };
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let mut session = json!({
        "id": ids::new_id("sess_"),
        "type": "session",
        "agent": agent,
        "environment_id": environment_id,
        "status": "idle",
        "title": title,
        "metadata": metadata,
        "environment_variables": variables,
        "incremental_streaming_enabled": incremental,
        "resources": [],
        "vault_ids": vault_ids,
        "deployment_id": null,
        "outcome_evaluations": [],
        "stats": {"active_seconds": 0.0, "duration_seconds": 0.0},
        "archived_at": null,
        "created_at": now,
        "updated_at": now,
    });
    if let Some(budget) = body.get("budget").filter(|v| !v.is_null()) {
        session["budget"] = budget.clone();
    }
    for (key, value) in extra {
        session[key] = value;
    }
    let id = session["id"].as_str().unwrap_or_default().to_owned();
    let object = StoredObject {
        id: id.clone(),
        seq,
        body: session.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &session_columns(&session)).await?;
    if !resources.is_empty() {
        session["resources"] =
            json!(crate::resources::attach_created(&state, &id, &resources).await?);
        db::update_object(&state.store.pool, &id, &session, &session_columns(&session)).await?;
    }
    if self_hosted {
        crate::work::enqueue(&state, &environment_id, &id, &session["metadata"]).await?;
    }
    if !initial.is_empty() {
        events::accept(&state, &id, initial).await?;
        session = load(&state, &id).await?.body;
    }
    Ok(render(session))
}

/// `GET /sessions/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(load(&state, &id).await?.body)))
}

/// `GET /sessions`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = list::kind_conditions(KIND, &query)?;
    let statuses = query.list("statuses");
    for status in &statuses {
        if !["idle", "running", "rescheduling", "terminated"].contains(&status.as_str()) {
            return Err(ApiError::field(
                "statuses",
                "Field 'statuses' values must be one of: idle, running, rescheduling, terminated.",
            ));
        }
    }
    if !statuses.is_empty() {
        let quoted: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
        conditions.push((format!("status IN ({})", quoted.join(", ")), None));
    }
    if let Some(agent_id) = query.get("agent_id") {
        conditions.push((
            "parent_id = ?".to_owned(),
            Some(Bind::Text(agent_id.to_owned())),
        ));
    }
    if let Some(deployment_id) = query.get("deployment_id") {
        conditions.push((
            "body LIKE ?".to_owned(),
            Some(Bind::Text(format!(
                "%\"deployment_id\":\"{deployment_id}\"%"
            ))),
        ));
    }
    if let Some(store_id) = query.get("memory_store_id") {
        conditions.push((
            "body LIKE ?".to_owned(),
            Some(Bind::Text(format!("%\"memory_store_id\":\"{store_id}\"%"))),
        ));
    }
    // Dreaming sessions are internal (`dreams`).
    conditions.push(("body NOT LIKE '%\"dream_id\":\"drm_%'".to_owned(), None));
    if let Some(version) = query.get("agent_version") {
        let version: i64 = version.parse().map_err(|_| {
            ApiError::field("agent_version", "Field 'agent_version' must be an integer.")
        })?;
        conditions.push((format!("body LIKE '%\"version\":{version},%'"), None));
    }
    let page = list::run(
        &state.store.pool,
        ListSpec {
            table: "objects",
            conditions,
            order: query.order(Order::Desc)?,
            limit: query.limit()?,
            cursor: query.cursor()?,
        },
    )
    .await?;
    Ok(Json(page.envelope(render)))
}

/// `POST /sessions/{id}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    if patch.contains_key("vault_ids") {
        return Err(ApiError::field(
            "vault_ids",
            "Field 'vault_ids' is read-only.",
        ));
    }
    let title = patch.get("title").cloned();
    if let Some(title) = &title
        && !(title.is_null() || title.is_string())
    {
        return Err(ApiError::field(
            "title",
            "Field 'title' must be a string or null.",
        ));
    }
    let agent_patch = match patch.get("agent") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            if let Some(key) = map
                .keys()
                .find(|k| !["tools", "mcp_servers"].contains(&k.as_str()))
            {
                return Err(ApiError::field(
                    &format!("agent.{key}"),
                    "Only 'tools' and 'mcp_servers' of the session's agent can be updated.",
                ));
            }
            Some(map.clone())
        }
        Some(_) => return Err(ApiError::field("agent", "Field 'agent' must be an object.")),
    };
    let variables = match patch.get("environment_variables") {
        None => None,
        Some(value) => Some(envvars::parse(value)?),
    };
    let lock = state.store.session_lock(&id);
    let _guard = lock.lock().await;
    let mut object = load(&state, &id).await?;
    let metadata = metadata_patch(&object.body["metadata"], &patch)?;
    let mut changed = Map::new();
    let body = &mut object.body;
    if let Some(title) = title {
        body["title"] = title.clone();
        changed.insert("title".into(), title);
    }
    if let Some(metadata) = metadata {
        body["metadata"] = Value::Object(metadata.clone());
        changed.insert("metadata".into(), Value::Object(metadata));
    }
    if let Some(agent_patch) = agent_patch {
        let servers = agent_patch
            .get("mcp_servers")
            .cloned()
            .unwrap_or_else(|| body["agent"]["mcp_servers"].clone());
        let names: Vec<String> = servers
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["name"].as_str().map(str::to_owned))
            .collect();
        let tools = agent_patch
            .get("tools")
            .cloned()
            .unwrap_or_else(|| body["agent"]["tools"].clone());
        toolset::validate(&tools, &names)?;
        body["agent"]["tools"] = tools;
        body["agent"]["mcp_servers"] = servers;
        changed.insert("agent".into(), body["agent"].clone());
    }
    if let Some(variables) = variables {
        body["environment_variables"] = Value::Object(variables);
    }
    if let Some(budget) = patch.get("budget") {
        body["budget"] = budget.clone();
        changed.insert("budget".into(), budget.clone());
    }
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(&state.store.pool, &id, body, &session_columns(body)).await?;
    if !changed.is_empty() {
        let mut event = Value::Object(changed);
        event["type"] = json!("session.updated");
        state.store.append_locked(&id, vec![event], None).await?;
    }
    Ok(Json(render(object.body)))
}

/// `POST /sessions/{id}/archive`
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    load(&state, &id).await?;
    crate::turn::cancel_and_wait(&state, &id).await;
    let lock = state.store.session_lock(&id);
    let _guard = lock.lock().await;
    let mut object = load(&state, &id).await?;
    if object.body["archived_at"].is_null() {
        let now = ids::timestamp(state.store.seq.next());
        object.body["archived_at"] = json!(now);
        object.body["updated_at"] = json!(now);
        db::update_object(
            &state.store.pool,
            &id,
            &object.body,
            &session_columns(&object.body),
        )
        .await?;
    }
    Ok(Json(render(object.body)))
}

/// `DELETE /sessions/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    load(&state, &id).await?;
    crate::turn::cancel_and_wait(&state, &id).await;
    let lock = state.store.session_lock(&id);
    let _guard = lock.lock().await;
    // Open streams see the deletion, then close.
    state
        .store
        .append_locked(&id, vec![json!({"type": "session.deleted"})], None)
        .await?;
    // Everything stored for the session goes with it: its events, turn
    // state, queued or finished work items, pending actions, child
    // threads with their mailboxes, and the objects under it (resources).
    let mut tx = state.store.pool.begin().await?;
    db::delete_object(&mut *tx, &id).await?;
    for statement in [
        "DELETE FROM events WHERE session_id = $1",
        "DELETE FROM session_runtime WHERE session_id = $1",
        "DELETE FROM work_items WHERE session_id = $1",
        "DELETE FROM pending_actions WHERE session_id = $1",
        "DELETE FROM session_threads WHERE session_id = $1",
        "DELETE FROM thread_messages WHERE session_id = $1",
        "DELETE FROM objects WHERE parent_id = $1",
    ] {
        sqlx::query(statement).bind(&id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let cwd = state.config.data_dir.join("workspaces").join(&id);
    if let Err(error) = std::fs::remove_dir_all(&cwd)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %cwd.display(), %error, "removing a deleted session's working directory");
    }
    Ok(Json(json!({"id": id, "type": "session_deleted"})))
}

/// `POST /sessions/{id}/cancel`: 202 when a turn was live, else 200.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    load(&state, &id).await?;
    let live = crate::turn::request_cancel(&state, &id).await?;
    let status = if live {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"id": id, "type": "session", "status": "canceling"})),
    ))
}
