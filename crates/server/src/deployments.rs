//! Deployments (`cloud-api.md` §12): an agent bound to an environment, a
//! set of initial events and an optional cron schedule. Create, read, list,
//! update, pause, unpause and archive; runs are in `deployment_runs`, the
//! clock that fires them in `scheduler`.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::input::{Fields, JsonObject, QueryPairs, metadata_create, metadata_patch};
use crate::list::{self, Bind};
use crate::schedule::{self, Schedule, UPCOMING};
use crate::{agents, environments, envvars, events, ids};

pub(crate) const KIND: &str = "deployment";
const EVENT_TYPES: [&str; 3] = ["user.message", "user.define_outcome", "system.message"];

fn columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: body["agent"]["id"].as_str().map(str::to_owned),
        status: body["status"].as_str().map(str::to_owned),
        archived: !body["archived_at"].is_null(),
    }
}

/// Reads a deployment or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Deployment", id))
}

/// The schedule row of a deployment: (next fire, last run), microseconds.
async fn schedule_row(state: &AppState, id: &str) -> ApiResult<(Option<i64>, Option<i64>)> {
    let row = sqlx::query(
        "SELECT next_run_at, last_run_at FROM deployment_schedules WHERE deployment_id = $1",
    )
    .bind(id)
    .fetch_optional(&state.store.pool)
    .await?;
    match row {
        Some(row) => Ok((row.try_get("next_run_at")?, row.try_get("last_run_at")?)),
        None => Ok((None, None)),
    }
}

/// Sets when a deployment fires next: the first fire time from now when it
/// is active, not archived and scheduled; else never.
pub(crate) async fn reschedule(state: &AppState, body: &Value) -> ApiResult<()> {
    let id = body["id"].as_str().unwrap_or_default();
    let firing = body["status"] == "active" && body["archived_at"].is_null();
    let next = Schedule::of(body)
        .filter(|_| firing)
        .and_then(|s| s.next_after(jiff::Timestamp::now().as_microsecond()));
    let updated =
        sqlx::query("UPDATE deployment_schedules SET next_run_at = $1 WHERE deployment_id = $2")
            .bind(next)
            .bind(id)
            .execute(&state.store.pool)
            .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO deployment_schedules (deployment_id, next_run_at, last_run_at) \
             VALUES ($1, $2, NULL)",
        )
        .bind(id)
        .bind(next)
        .execute(&state.store.pool)
        .await?;
    }
    Ok(())
}

/// Adds the read-time fields: `schedule.upcoming_runs_at` (empty once
/// archived) and `schedule.last_run_at` after the first run.
pub(crate) async fn render(state: &AppState, mut body: Value) -> ApiResult<Value> {
    if body["schedule"].is_object() {
        let id = body["id"].as_str().unwrap_or_default().to_owned();
        let (_, last) = schedule_row(state, &id).await?;
        let upcoming = match Schedule::of(&body) {
            Some(s) if body["archived_at"].is_null() => {
                s.upcoming(jiff::Timestamp::now().as_microsecond(), UPCOMING)
            }
            _ => Vec::new(),
        };
        body["schedule"]["upcoming_runs_at"] = schedule::times(&upcoming);
        if let Some(last) = last {
            body["schedule"]["last_run_at"] = json!(schedule::whole_seconds(last));
        }
    }
    Ok(body)
}

/// Resolves `agent` (an ID, or `{type: "agent", id, version?}`) to the
/// pinned reference `{id, type, version}`; 404 unknown, 400 archived.
async fn agent_ref(state: &AppState, value: &Value) -> ApiResult<Value> {
    let (id, version) = match value {
        Value::String(id) if !id.trim().is_empty() => (id.clone(), None),
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) != Some("agent") {
                return Err(ApiError::field(
                    "agent.type",
                    "An agent object must include \"type\": \"agent\".",
                ));
            }
            let id = map
                .required_str("id")
                .map_err(|_| ApiError::required("agent.id"))?;
            let version = match map.get("version") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64().filter(|v| *v >= 1).ok_or_else(|| {
                    ApiError::field(
                        "agent.version",
                        "Field 'agent.version' must be a positive integer.",
                    )
                })?),
            };
            (id, version)
        }
        _ => {
            return Err(ApiError::field(
                "agent",
                "Field 'agent' must be an agent ID or {\"type\": \"agent\", \"id\": …}.",
            ));
        }
    };
    let agent = agents::load(state, &id).await?;
    if !agent.body["archived_at"].is_null() {
        return Err(ApiError::field(
            "agent",
            format!("Agent '{id}' is archived."),
        ));
    }
    let version = match version {
        Some(version) => {
            agents::load_version(state, &id, version).await?;
            version
        }
        None => agent.body["version"].as_i64().unwrap_or(1),
    };
    Ok(json!({"id": id, "type": "agent", "version": version}))
}

/// 404 unknown, 400 archived; returns whether it is self-hosted.
async fn check_environment(state: &AppState, id: &str) -> ApiResult<bool> {
    let environment = environments::load(state, id).await?;
    if !environment.body["archived_at"].is_null() {
        return Err(ApiError::field(
            "environment_id",
            format!("Environment '{id}' is archived."),
        ));
    }
    Ok(environment.body["config"]["type"] == "self_hosted")
}

/// Validates `initial_events` (1–50 of the three template types) into the
/// stored form; outcome IDs are assigned per run, not here.
fn initial_events(value: Option<&Value>) -> ApiResult<Vec<Value>> {
    let Some(Value::Array(items)) = value else {
        return Err(match value {
            None | Some(Value::Null) => ApiError::required("initial_events"),
            Some(_) => {
                ApiError::field("initial_events", "Field 'initial_events' must be an array.")
            }
        });
    };
    if items.is_empty() || items.len() > 50 {
        return Err(ApiError::field(
            "initial_events",
            "Field 'initial_events' must hold 1 to 50 events.",
        ));
    }
    for (index, item) in items.iter().enumerate() {
        let kind = item["type"].as_str().unwrap_or_default();
        if !EVENT_TYPES.contains(&kind) {
            return Err(ApiError::field(
                &format!("initial_events[{index}].type"),
                format!(
                    "Event type '{kind}' is not allowed here; use one of: {}.",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    let mut events = events::validate_batch(items).map_err(|mut error| {
        if let Some(param) = &error.param {
            error.param = Some(param.replacen("events", "initial_events", 1));
        }
        error
    })?;
    for event in &mut events {
        if let Some(map) = event.as_object_mut() {
            map.remove("outcome_id");
        }
    }
    Ok(events)
}

/// `environment_variables` normalized: sorted `K=V` lines.
fn variables(value: &Value) -> ApiResult<String> {
    let parsed = envvars::parse(value)?;
    let mut pairs: Vec<(String, String)> = parsed
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
        .collect();
    pairs.sort();
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn name(body: &Map<String, Value>) -> ApiResult<Option<String>> {
    let Some(name) = body.opt_str("name")? else {
        return Ok(None);
    };
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::field("name", "Field 'name' must not be empty."));
    }
    if name.chars().count() > 256 {
        return Err(ApiError::field(
            "name",
            "Field 'name' must be at most 256 characters.",
        ));
    }
    Ok(Some(name))
}

fn resources(value: Option<&Value>) -> ApiResult<Value> {
    match value {
        None | Some(Value::Null) => Ok(json!([])),
        Some(Value::Array(items)) if items.iter().all(|r| r["type"].is_string()) => {
            Ok(Value::Array(items.clone()))
        }
        Some(_) => Err(ApiError::field(
            "resources",
            "Field 'resources' must be an array of objects with a 'type'.",
        )),
    }
}

async fn vault_ids(state: &AppState, value: Option<&Value>) -> ApiResult<Value> {
    match value {
        None | Some(Value::Null) => Ok(json!([])),
        Some(Value::Array(ids)) if ids.len() <= 50 => {
            Ok(json!(crate::vaults::check_ids(state, ids).await?))
        }
        Some(Value::Array(_)) => Err(ApiError::field(
            "vault_ids",
            "Field 'vault_ids' may hold at most 50 IDs.",
        )),
        Some(_) => Err(ApiError::field(
            "vault_ids",
            "Field 'vault_ids' must be an array.",
        )),
    }
}

fn description(body: &Map<String, Value>) -> ApiResult<Value> {
    Ok(body
        .opt_str("description")?
        .map_or(Value::Null, Value::String))
}

fn schedule_field(value: Option<&Value>) -> ApiResult<Value> {
    match value {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(value) => Schedule::from_request(value),
    }
}

/// `POST /deployments`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let name = name(&body)?.ok_or_else(|| ApiError::required("name"))?;
    let description = description(&body)?;
    let agent_value = body
        .get("agent")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::required("agent"))?;
    let environment_id = body.required_str("environment_id")?;
    let schedule = schedule_field(body.get("schedule"))?;
    let initial = initial_events(body.get("initial_events"))?;
    let resources = resources(body.get("resources"))?;
    let metadata = metadata_create(&body)?;
    let variables = variables(body.get("environment_variables").unwrap_or(&Value::Null))?;
    let agent = agent_ref(&state, agent_value).await?;
    let self_hosted = check_environment(&state, &environment_id).await?;
    if self_hosted && !variables.is_empty() {
        return Err(ApiError::field(
            "environment_variables",
            "environment_variables are not supported on self_hosted environments.",
        ));
    }
    let vault_ids = vault_ids(&state, body.get("vault_ids")).await?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let mut deployment = json!({
        "id": ids::new_id("dep_"),
        "type": "deployment",
        "name": name,
        "description": description,
        "agent": agent,
        "environment_id": environment_id,
        "schedule": schedule,
        "initial_events": initial,
        "resources": resources,
        "vault_ids": vault_ids,
        "metadata": metadata,
        "environment_variables": variables,
        "status": "active",
        "paused_reason": null,
        "archived_at": null,
        "created_at": now,
        "updated_at": now,
    });
    if let Some(budget) = body.get("budget").filter(|v| !v.is_null()) {
        deployment["budget"] = budget.clone();
    }
    let object = StoredObject {
        id: deployment["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: deployment.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &columns(&deployment)).await?;
    reschedule(&state, &deployment).await?;
    Ok(Json(render(&state, deployment).await?))
}

/// `GET /deployments/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let body = load(&state, &id).await?.body;
    Ok(Json(render(&state, body).await?))
}

/// `GET /deployments`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = list::kind_conditions(KIND, &query)?;
    if let Some(status) = query.get("status") {
        if !["active", "paused"].contains(&status) {
            return Err(ApiError::field(
                "status",
                "Field 'status' must be one of: active, paused.",
            ));
        }
        conditions.push(("status = ?".to_owned(), Some(Bind::Text(status.to_owned()))));
    }
    if let Some(agent_id) = query.get("agent_id") {
        conditions.push((
            "parent_id = ?".to_owned(),
            Some(Bind::Text(agent_id.to_owned())),
        ));
    }
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    let mut envelope = page.envelope(|body| body);
    if let Some(items) = envelope["data"].as_array_mut() {
        for item in items.iter_mut() {
            *item = render(&state, item.take()).await?;
        }
    }
    Ok(Json(envelope))
}

/// `POST /deployments/{id}`: a merge patch of the mutable fields.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    // Shape first (400), then existence (404) and references.
    let name = name(&patch)?;
    let description = patch
        .contains_key("description")
        .then(|| description(&patch))
        .transpose()?;
    let schedule = patch
        .contains_key("schedule")
        .then(|| schedule_field(patch.get("schedule")))
        .transpose()?;
    let initial = patch
        .contains_key("initial_events")
        .then(|| initial_events(patch.get("initial_events")))
        .transpose()?;
    let resources = patch
        .contains_key("resources")
        .then(|| resources(patch.get("resources")))
        .transpose()?;
    let variables = patch
        .get("environment_variables")
        .map(variables)
        .transpose()?;
    if let Some(environment_id) = patch.get("environment_id")
        && !environment_id.is_string()
    {
        return Err(ApiError::field(
            "environment_id",
            "Field 'environment_id' must be a string.",
        ));
    }
    let mut object = load(&state, &id).await?;
    let metadata = match patch.get("metadata") {
        Some(Value::Null) => Some(Map::new()),
        _ => metadata_patch(&object.body["metadata"], &patch)?,
    };
    let body = &mut object.body;
    if let Some(agent) = patch.get("agent").filter(|v| !v.is_null()) {
        body["agent"] = agent_ref(&state, agent).await?;
    }
    if let Some(environment_id) = patch.get("environment_id").and_then(Value::as_str) {
        check_environment(&state, environment_id).await?;
        body["environment_id"] = json!(environment_id);
    }
    if patch.contains_key("vault_ids") {
        body["vault_ids"] = vault_ids(&state, patch.get("vault_ids")).await?;
    }
    let self_hosted = check_environment(&state, body["environment_id"].as_str().unwrap_or(""))
        .await
        .unwrap_or(false);
    if let Some(variables) = variables {
        if self_hosted && !variables.is_empty() {
            return Err(ApiError::field(
                "environment_variables",
                "environment_variables are not supported on self_hosted environments.",
            ));
        }
        body["environment_variables"] = json!(variables);
    }
    let fields = [
        ("name", name.map(Value::String)),
        ("description", description),
        ("schedule", schedule),
        ("initial_events", initial.map(Value::Array)),
        ("resources", resources),
        ("metadata", metadata.map(Value::Object)),
        ("budget", patch.get("budget").cloned()),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            body[key] = value;
        }
    }
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(&state.store.pool, &id, body, &columns(body)).await?;
    reschedule(&state, body).await?;
    Ok(Json(render(&state, object.body).await?))
}

/// Applies a state change after its precondition; 409 `conflict_error`
/// when the precondition fails.
async fn transition(
    state: &AppState,
    id: &str,
    change: impl FnOnce(&mut Value) -> Result<(), String>,
) -> ApiResult<Json<Value>> {
    let mut object = load(state, id).await?;
    change(&mut object.body).map_err(ApiError::conflict)?;
    object.body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(&state.store.pool, id, &object.body, &columns(&object.body)).await?;
    reschedule(state, &object.body).await?;
    Ok(Json(render(state, object.body).await?))
}

/// `POST /deployments/{id}/pause` (409 when paused or archived)
pub(crate) async fn pause(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    transition(&state, &id, |body| {
        if !body["archived_at"].is_null() {
            return Err("Deployment is archived.".into());
        }
        if body["status"] == "paused" {
            return Err("Deployment is already paused.".into());
        }
        body["status"] = json!("paused");
        body["paused_reason"] = json!({"type": "manual"});
        Ok(())
    })
    .await
}

/// `POST /deployments/{id}/unpause` (409 unless paused); the next fire
/// times are computed from now.
pub(crate) async fn unpause(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    transition(&state, &id, |body| {
        if !body["archived_at"].is_null() {
            return Err("Deployment is archived.".into());
        }
        if body["status"] != "paused" {
            return Err("Deployment is not paused.".into());
        }
        body["status"] = json!("active");
        body["paused_reason"] = Value::Null;
        Ok(())
    })
    .await
}

/// `POST /deployments/{id}/archive`: irreversible; the name gets
/// `_archived_<unix seconds>` and nothing fires any more.
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let micros = state.store.seq.next();
    transition(&state, &id, |body| {
        if !body["archived_at"].is_null() {
            return Err("Deployment is already archived.".into());
        }
        let name = body["name"].as_str().unwrap_or_default();
        body["name"] = json!(format!("{name}_archived_{}", micros / 1_000_000));
        body["archived_at"] = json!(ids::timestamp(micros));
        Ok(())
    })
    .await
}
