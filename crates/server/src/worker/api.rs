//! The worker-facing endpoints (a ferrule extension): what an external
//! worker needs to run a claimed item's turn on its own machine. All live
//! under `/environments/{id}/work/{wid}/session/` and want, besides the
//! API key, the `Work-Secret` header with the `secret` of the poll that
//! delivered the item; a worker whose item was reclaimed gets 409.
//!
//! | Endpoint | Does |
//! |---|---|
//! | `POST …/begin` | marks the turn running; → what the turn needs, or `null` |
//! | `POST …/events` `{events, status?}` | appends agent events (IDs already stored are skipped) |
//! | `POST …/park` `{event_id, kind}` | the turn waits on the client (`requires_action`) |
//! | `GET …/control?block_ms=` | cancel request and answers that arrived (long poll) |
//! | `POST …/finish` `{history, events, active_seconds}` | ends the turn, completes the item |
//! | `POST …/release` | gives the unfinished turn back (worker shutdown) |

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::backend::{BackendError, DbBackend, SessionBackend, TurnEnd};
use crate::error::{ApiError, ApiResult};
use crate::input::{JsonObject, QueryPairs};
use crate::live::PendingKind;

fn api_error(error: BackendError) -> ApiError {
    match error {
        BackendError::Lost(message) => ApiError::state_conflict(message),
        BackendError::Other(message) => ApiError::internal(message),
    }
}

/// The backend of the item named in the path, for the holder of its secret.
async fn holder(
    state: &AppState,
    env: &str,
    work_id: &str,
    headers: &HeaderMap,
) -> ApiResult<DbBackend> {
    let item = crate::work::load(state, env, work_id).await?;
    let secret = headers
        .get("work-secret")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::required("Work-Secret"))?;
    if item.secret.as_deref() != Some(secret) {
        return Err(ApiError::state_conflict(format!(
            "Work item '{work_id}' is not held with this secret (reclaimed or released)."
        )));
    }
    if !matches!(item.state(), "starting" | "active" | "stopping") {
        return Err(ApiError::state_conflict(format!(
            "Work item '{work_id}' is {}; acknowledge it first.",
            item.state()
        )));
    }
    Ok(DbBackend {
        state: state.clone(),
        session_id: item.session_id,
        work_id: work_id.to_owned(),
        secret: Some(secret.to_owned()),
        wake: None,
    })
}

fn decode<T: serde::de::DeserializeOwned>(body: serde_json::Map<String, Value>) -> ApiResult<T> {
    serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::invalid(e.to_string()))
}

/// `POST …/session/begin`
pub(crate) async fn begin(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let backend = holder(&state, &env, &id, &headers).await?;
    let setup = backend.begin().await.map_err(api_error)?;
    Ok(Json(
        serde_json::to_value(setup).map_err(ApiError::internal)?,
    ))
}

/// `POST …/session/events`
pub(crate) async fn events(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let backend = holder(&state, &env, &id, &headers).await?;
    let Some(Value::Array(events)) = body.get("events") else {
        return Err(ApiError::field(
            "events",
            "Field 'events' must be an array.",
        ));
    };
    let status = match body.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(status)) if ["idle", "running"].contains(&status.as_str()) => {
            Some(status.clone())
        }
        Some(_) => {
            return Err(ApiError::field(
                "status",
                "Field 'status' must be idle, running or null.",
            ));
        }
    };
    let mut fresh = Vec::with_capacity(events.len());
    for event in events {
        let Some(event_id) = event["id"].as_str() else {
            return Err(ApiError::field("events", "Every event needs its 'id'."));
        };
        // A retried request: what was stored the first time stays once.
        let known = state
            .store
            .event_seq(&backend.session_id, event_id)
            .await?
            .is_some();
        if !known {
            fresh.push(event.clone());
        }
    }
    let count = fresh.len();
    if count > 0 {
        backend
            .append(fresh, status.as_deref())
            .await
            .map_err(api_error)?;
    }
    Ok(Json(json!({"stored": count})))
}

/// `POST …/session/park`
pub(crate) async fn park(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let backend = holder(&state, &env, &id, &headers).await?;
    #[derive(serde::Deserialize)]
    struct Park {
        event_id: String,
        kind: PendingKind,
    }
    let park: Park = decode(body)?;
    backend
        .park(&park.event_id, park.kind)
        .await
        .map_err(api_error)?;
    Ok(Json(json!({"parked": park.event_id})))
}

/// `GET …/session/control?block_ms=`
pub(crate) async fn control(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let block_ms = match query.get("block_ms") {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 999)
            .ok_or_else(|| ApiError::field("block_ms", "Field 'block_ms' must be 0 to 999."))?,
    };
    let backend = holder(&state, &env, &id, &headers).await?;
    let control = backend
        .control(Duration::from_millis(block_ms))
        .await
        .map_err(api_error)?;
    Ok(Json(
        serde_json::to_value(control).map_err(ApiError::internal)?,
    ))
}

/// `POST …/session/finish`
pub(crate) async fn finish(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let backend = holder(&state, &env, &id, &headers).await?;
    let end: TurnEnd = decode(body)?;
    backend.finish(end).await.map_err(api_error)?;
    Ok(Json(json!({"finished": id})))
}

/// `POST …/session/release`
pub(crate) async fn release(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let backend = holder(&state, &env, &id, &headers).await?;
    backend.release().await.map_err(api_error)?;
    Ok(Json(json!({"released": id})))
}
