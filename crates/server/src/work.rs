//! The self-hosted environment work queue (`cloud-api.md` §14): sessions on
//! a `self_hosted` environment become work items that external workers
//! poll (long poll), acknowledge, keep alive with heartbeat leases and
//! stop. Unacknowledged deliveries and expired leases are handed out again.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{JsonObject, Order, QueryPairs, metadata_patch};
use crate::list::{self, Bind, ListSpec};

const KIND: &str = "work";

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

fn columns(item: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: item["environment_id"].as_str().map(str::to_owned),
        status: item["state"].as_str().map(str::to_owned),
        archived: false,
    }
}

/// The item as the API shows it (internal `_` fields removed).
fn render(mut item: Value) -> Value {
    if let Some(map) = item.as_object_mut() {
        map.retain(|key, _| !key.starts_with('_'));
    }
    item
}

/// Queues a work item for a session on a self-hosted environment.
pub(crate) async fn enqueue(
    state: &AppState,
    environment_id: &str,
    session_id: &str,
    metadata: &Value,
) -> ApiResult<()> {
    let seq = state.store.seq.next();
    let item = json!({
        "id": ids::new_id("work_"), "type": "work", "environment_id": environment_id,
        "data": {"type": "session", "id": session_id}, "state": "queued",
        "created_at": ids::timestamp(seq), "acknowledged_at": null, "started_at": null,
        "latest_heartbeat_at": null, "stop_requested_at": null, "stopped_at": null,
        "metadata": metadata,
    });
    let object = StoredObject {
        id: item["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: item.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &columns(&item)).await?;
    Ok(())
}

async fn self_hosted(state: &AppState, environment_id: &str) -> ApiResult<()> {
    let env = crate::environments::load(state, environment_id).await?;
    if env.body["config"]["type"] != "self_hosted" {
        return Err(ApiError::invalid(format!(
            "Environment '{environment_id}' is not self_hosted."
        )));
    }
    Ok(())
}

async fn load(state: &AppState, environment_id: &str, id: &str) -> ApiResult<StoredObject> {
    self_hosted(state, environment_id).await?;
    match db::get_object(&state.store.pool, KIND, id).await? {
        Some(item) if item.body["environment_id"] == environment_id => Ok(item),
        _ => Err(ApiError::not_found("Work item", id)),
    }
}

async fn save(state: &AppState, item: &Value) -> ApiResult<()> {
    db::update_object(
        &state.store.pool,
        item["id"].as_str().unwrap_or_default(),
        item,
        &columns(item),
    )
    .await?;
    Ok(())
}

fn worker_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("worker-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET /environments/{id}/work`
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(env): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    self_hosted(&state, &env).await?;
    let conditions = vec![
        ("kind = ?".to_owned(), Some(Bind::Text(KIND.to_owned()))),
        ("parent_id = ?".to_owned(), Some(Bind::Text(env))),
    ];
    let page = list::run(
        &state.store.pool,
        ListSpec {
            table: "objects",
            conditions,
            order: Order::Asc,
            limit: query.limit()?,
            cursor: query.cursor()?,
        },
    )
    .await?;
    Ok(Json(page.envelope(render)))
}

/// `GET /environments/{id}/work/{wid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(load(&state, &env, &id).await?.body)))
}

/// `POST /environments/{id}/work/{wid}`: metadata merge-patch.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    let mut item = load(&state, &env, &id).await?.body;
    if let Some(metadata) = metadata_patch(&item["metadata"], &patch)? {
        item["metadata"] = Value::Object(metadata);
        save(&state, &item).await?;
    }
    Ok(Json(render(item)))
}

/// Claims the next deliverable item, if any (caller holds the queue lock).
async fn claim(
    state: &AppState,
    env: &str,
    worker: Option<&str>,
    reclaim_us: i64,
) -> ApiResult<Option<Value>> {
    let rows = sqlx::query(
        "SELECT id, seq, body FROM objects WHERE kind = $1 AND parent_id = $2 \
         AND status IN ('queued', 'starting', 'active') ORDER BY seq ASC",
    )
    .bind(KIND)
    .bind(env)
    .fetch_all(&state.store.pool)
    .await?;
    let now = now_us();
    for row in rows {
        let mut item = db::object_from_row(&row)?.body;
        let deliverable = match item["state"].as_str() {
            Some("queued") => item["_delivered_us"]
                .as_i64()
                .is_none_or(|at| now - at >= reclaim_us),
            // A lease that ran out: the worker is gone, hand it out again.
            _ => item["_lease_until_us"]
                .as_i64()
                .is_some_and(|until| until < now),
        };
        if !deliverable {
            continue;
        }
        item["state"] = json!("queued");
        item["_delivered_us"] = json!(now);
        item["_worker"] = json!(worker);
        item["_lease_until_us"] = Value::Null;
        save(state, &item).await?;
        return Ok(Some(item));
    }
    Ok(None)
}

/// `GET /environments/{id}/work/poll` → an item or JSON `null`.
pub(crate) async fn poll(
    State(state): State<AppState>,
    Path(env): Path<String>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let block_ms: u64 = match query.get("block_ms") {
        None => 0,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=999).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "block_ms",
                    "Field 'block_ms' must be 1 to 999.",
                ));
            }
        },
    };
    let reclaim_us = match query.get("reclaim_older_than_ms") {
        None => 5_000_000,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n * 1000)
            .ok_or_else(|| {
                ApiError::field(
                    "reclaim_older_than_ms",
                    "Field 'reclaim_older_than_ms' must be >= 0.",
                )
            })?,
    };
    self_hosted(&state, &env).await?;
    let worker = worker_id(&headers);
    if let Some(worker) = &worker {
        state
            .pollers
            .lock()
            .map_err(ApiError::internal)?
            .entry(env.clone())
            .or_insert_with(HashMap::new)
            .insert(worker.clone(), now_us());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(block_ms);
    loop {
        let lock = state.store.session_lock(&format!("work-queue:{env}"));
        let claimed = {
            let _guard = lock.lock().await;
            claim(&state, &env, worker.as_deref(), reclaim_us).await?
        };
        if let Some(item) = claimed {
            return Ok(Json(render(item)));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(Json(Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `POST /environments/{id}/work/{wid}/ack`
pub(crate) async fn ack(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let mut item = load(&state, &env, &id).await?.body;
    let worker = worker_id(&headers);
    if let (Some(polled), Some(worker)) = (item["_worker"].as_str(), worker.as_deref())
        && polled != worker
    {
        return Err(ApiError::state_conflict(
            "Work item was delivered to another worker.",
        ));
    }
    match item["state"].as_str() {
        Some("queued") => {
            item["state"] = json!("starting");
            item["acknowledged_at"] = json!(ids::timestamp(now_us()));
            // Until the first heartbeat, the reclaim window is the lease.
            item["_lease_until_us"] = json!(now_us() + 30_000_000);
            save(&state, &item).await?;
        }
        Some("starting" | "active") => {}
        _ => {
            return Err(ApiError::state_conflict(format!(
                "Work item '{id}' is {}.",
                item["state"]
            )));
        }
    }
    Ok(Json(render(item)))
}

/// `POST /environments/{id}/work/{wid}/heartbeat`
pub(crate) async fn heartbeat(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let ttl = match query.get("desired_ttl_seconds") {
        None => 60,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::field(
                    "desired_ttl_seconds",
                    "Field 'desired_ttl_seconds' must be > 0.",
                )
            })?
            .clamp(10, 600),
    };
    let mut item = load(&state, &env, &id).await?.body;
    if !matches!(
        item["state"].as_str(),
        Some("starting" | "active" | "stopping")
    ) {
        return Err(ApiError::state_conflict(format!(
            "Work item '{id}' is {}.",
            item["state"]
        )));
    }
    if let Some(expected) = query.get("expected_last_heartbeat") {
        let current = item["latest_heartbeat_at"]
            .as_str()
            .unwrap_or("NO_HEARTBEAT");
        let matches = current == expected
            || ids::parse_timestamp(expected)
                .is_some_and(|e| ids::parse_timestamp(current) == Some(e));
        if !matches {
            return Err(ApiError {
                status: StatusCode::PRECONDITION_FAILED,
                kind: "precondition_failed_error",
                message: format!("Lease mismatch: the last heartbeat is {current}."),
                param: Some("expected_last_heartbeat".into()),
            });
        }
    }
    let now = now_us();
    let stamp = ids::timestamp(now);
    if item["state"] == "starting" {
        item["state"] = json!("active");
        item["started_at"] = json!(stamp);
    }
    item["latest_heartbeat_at"] = json!(stamp);
    item["_lease_until_us"] = json!(now + ttl * 1_000_000);
    save(&state, &item).await?;
    Ok(Json(
        json!({"type": "work_heartbeat", "last_heartbeat": stamp, "lease_extended": true,
                   "state": item["state"], "ttl_seconds": ttl}),
    ))
}

/// `POST /environments/{id}/work/{wid}/stop` (`{force?}`)
pub(crate) async fn stop(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let force = body.get("force").and_then(Value::as_bool).unwrap_or(false);
    let mut item = load(&state, &env, &id).await?.body;
    let stamp = json!(ids::timestamp(now_us()));
    let next = match (item["state"].as_str(), force) {
        (Some("stopped"), _) => None,
        (Some("queued" | "stopping"), _) | (_, true) => Some("stopped"),
        _ => Some("stopping"),
    };
    if let Some(next) = next {
        if item["stop_requested_at"].is_null() {
            item["stop_requested_at"] = stamp.clone();
        }
        if next == "stopped" {
            item["stopped_at"] = stamp;
        }
        item["state"] = json!(next);
        save(&state, &item).await?;
    }
    Ok(Json(render(item)))
}

/// `GET /environments/{id}/work/stats`
pub(crate) async fn stats(
    State(state): State<AppState>,
    Path(env): Path<String>,
) -> ApiResult<Json<Value>> {
    self_hosted(&state, &env).await?;
    let rows = sqlx::query("SELECT id, seq, body FROM objects WHERE kind = $1 AND parent_id = $2 AND status <> 'stopped' ORDER BY seq ASC")
        .bind(KIND)
        .bind(&env)
        .fetch_all(&state.store.pool)
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|row| db::object_from_row(row).ok())
        .map(|o| o.body)
        .collect();
    let queued: Vec<&Value> = items.iter().filter(|i| i["state"] == "queued").collect();
    let cutoff = now_us() - 30_000_000;
    let polling = state
        .pollers
        .lock()
        .map_err(ApiError::internal)?
        .get(&env)
        .map_or(0, |workers| {
            workers.values().filter(|at| **at >= cutoff).count()
        });
    Ok(Json(json!({
        "type": "work_queue_stats",
        "depth": queued.len(),
        "pending": items.len() - queued.len(),
        "oldest_queued_at": queued.first().map(|i| i["created_at"].clone()),
        "workers_polling": polling,
    })))
}
