//! Dreams (`cloud-api.md` §13, `dreams.md`): asynchronous consolidation of
//! a memory store. Create (201, one active dream at a time), read, list,
//! cancel and archive; the run itself is in `dream_run`.
//!
//! Statuses: `pending` → `running` → `completed` | `failed`, or
//! `canceled` from either of the first two. A pending dream is claimed by
//! a conditional update of its status, so one replica runs it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::input::{Fields, JsonObject, QueryPairs};
use crate::list;
use crate::{ids, memory_stores, sessions};

pub(crate) const KIND: &str = "dream";
const MODELS: [&str; 3] = ["auto", "lite", "ultimate"];

pub(crate) fn columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: None,
        status: body["status"].as_str().map(str::to_owned),
        archived: !body["archived_at"].is_null(),
    }
}

/// Reads a dream or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Dream", id))
}

/// How long a running dream may go without a heartbeat from the process
/// running it before it is taken as lost (that process died).
pub(crate) const STALE_AFTER_MICROS: i64 = 60_000_000;

/// The dream as the API shows it (without the run's heartbeat).
pub(crate) fn render(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("heartbeat_at");
    }
    body
}

/// Writes a dream back.
pub(crate) async fn save(state: &AppState, body: &Value) -> ApiResult<()> {
    let id = body["id"].as_str().unwrap_or_default();
    db::update_object(&state.store.pool, id, body, &columns(body)).await?;
    Ok(())
}

/// Validated `inputs`: the memory store ID and the prioritized sessions.
fn inputs(value: Option<&Value>) -> ApiResult<(String, Vec<String>)> {
    let items = match value {
        Some(Value::Array(items)) if !items.is_empty() => items,
        None | Some(Value::Null) => return Err(ApiError::required("inputs")),
        Some(_) => {
            return Err(ApiError::field(
                "inputs",
                "Field 'inputs' must be a non-empty array.",
            ));
        }
    };
    let mut store = None;
    let mut sessions = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let param = format!("inputs[{index}]");
        match item["type"].as_str() {
            Some("memory_store") => {
                let Some(id) = item["memory_store_id"].as_str().filter(|s| !s.is_empty()) else {
                    return Err(ApiError::required(&format!("{param}.memory_store_id")));
                };
                if store.replace(id.to_owned()).is_some() {
                    return Err(ApiError::field(
                        &param,
                        "Only one memory_store input is allowed.",
                    ));
                }
            }
            Some("sessions") => {
                let Some(ids) = item["session_ids"].as_array() else {
                    return Err(ApiError::required(&format!("{param}.session_ids")));
                };
                for id in ids {
                    let Some(id) = id.as_str() else {
                        return Err(ApiError::field(
                            &format!("{param}.session_ids"),
                            "session_ids must be strings.",
                        ));
                    };
                    if !sessions.iter().any(|s| s == id) {
                        sessions.push(id.to_owned());
                    }
                }
            }
            _ => {
                return Err(ApiError::field(
                    &format!("{param}.type"),
                    "Input type must be one of: memory_store, sessions.",
                ));
            }
        }
    }
    if sessions.len() > 100 {
        return Err(ApiError::field(
            "inputs",
            "At most 100 session IDs may be given.",
        ));
    }
    let store = store.ok_or_else(|| {
        ApiError::field(
            "inputs",
            "Field 'inputs' must include a memory_store input.",
        )
    })?;
    Ok((store, sessions))
}

fn model(value: Option<&Value>) -> ApiResult<Value> {
    let (id, speed) = match value {
        None | Some(Value::Null) => ("auto".to_owned(), None),
        Some(Value::String(id)) => (id.clone(), None),
        Some(Value::Object(map)) => (
            map.get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            map.get("speed").filter(|v| !v.is_null()).cloned(),
        ),
        Some(_) => return Err(ApiError::field("model", "Field 'model' must be a string.")),
    };
    if !MODELS.contains(&id.as_str()) {
        return Err(ApiError::field(
            "model",
            "Field 'model' must be one of: auto, lite, ultimate.",
        ));
    }
    let mut out = json!({"id": id});
    if let Some(speed) = speed {
        out["speed"] = speed;
    }
    Ok(out)
}

/// `output_behavior`: a new clone (default) or an existing store to write.
fn output_behavior(value: Option<&Value>) -> ApiResult<Value> {
    match value {
        None | Some(Value::Null) => Ok(json!({"type": "create_new"})),
        Some(v) if v["type"] == "create_new" => Ok(json!({"type": "create_new"})),
        Some(v) if v["type"] == "update_existing" => match v["memory_store_id"].as_str() {
            Some(id) if !id.is_empty() => {
                Ok(json!({"type": "update_existing", "memory_store_id": id}))
            }
            _ => Err(ApiError::required("output_behavior.memory_store_id")),
        },
        Some(_) => Err(ApiError::field(
            "output_behavior.type",
            "Field 'output_behavior.type' must be one of: create_new, update_existing.",
        )),
    }
}

/// Whether a pending or running dream exists.
async fn active_exists(state: &AppState) -> ApiResult<bool> {
    let row = sqlx::query(
        "SELECT id FROM objects WHERE kind = $1 AND status IN ('pending', 'running') LIMIT 1",
    )
    .bind(KIND)
    .fetch_optional(&state.store.pool)
    .await?;
    Ok(row.is_some())
}

/// `POST /dreams` → 201
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (store_id, session_ids) = inputs(body.get("inputs"))?;
    let model = model(body.get("model"))?;
    let instructions = body.opt_str("instructions")?.unwrap_or_default();
    if instructions.chars().count() > 4096 {
        return Err(ApiError::field(
            "instructions",
            "Field 'instructions' must be at most 4096 characters.",
        ));
    }
    let output = output_behavior(body.get("output_behavior"))?;
    memory_stores::load(&state, &store_id).await?;
    if let Some(target) = output["memory_store_id"].as_str() {
        memory_stores::load(&state, target).await?;
    }
    for id in &session_ids {
        sessions::load(&state, id).await?;
    }
    if active_exists(&state).await? {
        return Err(ApiError::state_conflict(
            "An active dream (pending or running) already exists.",
        ));
    }
    let mut inputs = vec![json!({"type": "memory_store", "memory_store_id": store_id})];
    if !session_ids.is_empty() {
        inputs.push(json!({"type": "sessions", "session_ids": session_ids}));
    }
    let seq = state.store.seq.next();
    let dream = json!({
        "id": ids::new_id("drm_"),
        "type": "dream",
        "status": "pending",
        "inputs": inputs,
        "outputs": [],
        "model": model,
        "instructions": instructions,
        "output_behavior": output,
        "session_id": null,
        "usage": {"input_tokens": 0, "output_tokens": 0,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        "error": null,
        "created_at": ids::timestamp(seq),
        "ended_at": null,
        "archived_at": null,
    });
    let object = StoredObject {
        id: dream["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: dream.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &columns(&dream)).await?;
    crate::dream_run::start(&state, &object.id).await?;
    Ok((StatusCode::CREATED, Json(dream)))
}

/// Claims and starts every pending dream (one left by a process that
/// stopped between storing and starting it).
pub(crate) async fn start_pending(state: &AppState) -> ApiResult<()> {
    let rows = sqlx::query("SELECT id FROM objects WHERE kind = $1 AND status = 'pending'")
        .bind(KIND)
        .fetch_all(&state.store.pool)
        .await?;
    for row in rows {
        let id: String = sqlx::Row::try_get(&row, "id")?;
        crate::dream_run::start(state, &id).await?;
    }
    Ok(())
}

/// Fails the running dreams whose process stopped sending heartbeats, so
/// they no longer block new ones.
pub(crate) async fn fail_stale(state: &AppState) -> ApiResult<()> {
    let rows = sqlx::query("SELECT id, body FROM objects WHERE kind = $1 AND status = 'running'")
        .bind(KIND)
        .fetch_all(&state.store.pool)
        .await?;
    let now = jiff::Timestamp::now().as_microsecond();
    for row in rows {
        let id: String = sqlx::Row::try_get(&row, "id")?;
        let text: String = sqlx::Row::try_get(&row, "body")?;
        let mut body: Value = serde_json::from_str(&text).map_err(ApiError::internal)?;
        let beat = body["heartbeat_at"].as_i64().unwrap_or(0);
        if now - beat < STALE_AFTER_MICROS {
            continue;
        }
        body["status"] = json!("failed");
        body["error"] = json!({"type": "internal_error",
            "message": "The server running the dream stopped before it finished."});
        body["ended_at"] = json!(ids::timestamp(state.store.seq.next()));
        let body = render(body);
        // Conditional on the body read: a live run's heartbeat wins.
        sqlx::query(
            "UPDATE objects SET body = $1, status = 'failed' \
             WHERE id = $2 AND status = 'running' AND body = $3",
        )
        .bind(body.to_string())
        .bind(&id)
        .bind(&text)
        .execute(&state.store.pool)
        .await?;
    }
    Ok(())
}

/// `GET /dreams/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(load(&state, &id).await?.body)))
}

/// `GET /dreams` (`include_archived`, `statuses[]`, `created_at[…]`)
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = list::kind_conditions(KIND, &query)?;
    let statuses = query.list("statuses");
    const ALL: [&str; 5] = ["pending", "running", "completed", "failed", "canceled"];
    for status in &statuses {
        if !ALL.contains(&status.as_str()) {
            return Err(ApiError::field(
                "statuses",
                "Field 'statuses' values must be one of: pending, running, completed, failed, canceled.",
            ));
        }
    }
    if !statuses.is_empty() {
        let quoted: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
        conditions.push((format!("status IN ({})", quoted.join(", ")), None));
    }
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(render)))
}

/// `POST /dreams/{id}/cancel`: pending/running → canceled; idempotent on
/// canceled; 400 once completed or failed.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut object = load(&state, &id).await?;
    match object.body["status"].as_str() {
        Some("canceled") => return Ok(Json(render(object.body))),
        Some("completed" | "failed") => {
            return Err(ApiError::invalid(format!(
                "Dream '{id}' has already ended and cannot be canceled."
            )));
        }
        _ => {}
    }
    // Conditional on the status read, so a run finishing meanwhile wins.
    let previous = object.body["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    object.body["status"] = json!("canceled");
    object.body["ended_at"] = json!(ids::timestamp(state.store.seq.next()));
    let updated = sqlx::query(
        "UPDATE objects SET body = $1, status = 'canceled' WHERE id = $2 AND status = $3",
    )
    .bind(object.body.to_string())
    .bind(&id)
    .bind(&previous)
    .execute(&state.store.pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(Json(render(load(&state, &id).await?.body)));
    }
    if let Some(session_id) = object.body["session_id"].as_str() {
        crate::dream_run::interrupt(&state, session_id).await;
    }
    Ok(Json(render(object.body)))
}

/// `POST /dreams/{id}/archive`: terminal dreams only (else 400); idempotent.
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut object = load(&state, &id).await?;
    if matches!(object.body["status"].as_str(), Some("pending" | "running")) {
        return Err(ApiError::invalid(format!(
            "Dream '{id}' is still active; cancel it first."
        )));
    }
    if object.body["archived_at"].is_null() {
        object.body["archived_at"] = json!(ids::timestamp(state.store.seq.next()));
        save(&state, &object.body).await?;
    }
    Ok(Json(render(object.body)))
}
